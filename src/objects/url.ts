import { InvalidObjectNameError, checkBucketName, checkKey, checkPrefix } from './object-store.js'

/** Where an object URL points (DESIGN section 8). `key` is '' only for a prefix that names a bucket. */
export interface ObjectLocation {
  scheme: 'http' | 'https' | 's3'
  bucket: string
  key: string
  /** The Swift account segment (`{projectId}`): shown, never used to pick a project. */
  account?: string
}

export interface ObjectUrlOptions {
  /** Accept `s3://bucket/key` too (the CLI does; spec fields take http(s) only). */
  s3?: boolean
  /** A list prefix: the key may be empty or end anywhere (`.../bucket`, `.../bucket/logs/`). */
  prefix?: boolean
}

export class InvalidObjectUrlError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`"${url.length > 200 ? `${url.slice(0, 200)}...` : url}" is not an object URL: ${reason}`)
    this.name = 'InvalidObjectUrlError'
  }
}

/** KakaoCloud Object Storage's endpoint in a region, for both its Swift and its S3 API. */
export const kakaoObjectStorageEndpoint = (region: string): string =>
  `https://objectstorage.${region}.kakaocloud.com`

const HTTP_URL = /^(https?):\/\/([^/?#]+)([^?#]*)(\?[^#]*)?(#.*)?$/i
const S3_URL = /^s3:\/\/([^/?#]+)(?:\/(.*))?$/i

/**
 * Maps an object URL to its bucket and key, or throws InvalidObjectUrlError saying why not:
 * - `http(s)://{host}/v1/{account}/{bucket}/{key}`: the console's "Copy object URL"
 *   (`https://objectstorage.{region}.kakaocloud.com/v1/{projectId}/...`), this server's Swift
 *   route, or any Swift-style host. The key is percent-decoded; query and fragment are ignored.
 * - `s3://{bucket}/{key}` (with `{ s3: true }`): the key is taken literally, as the AWS CLI does.
 * Bucket and key follow the store's rules, so a location returned here can be stored.
 * @example
 * parseObjectUrl('https://objectstorage.kr-central-2.kakaocloud.com/v1/9f1c/my-bucket/conf/core%20site.json')
 * // { scheme: 'https', account: '9f1c', bucket: 'my-bucket', key: 'conf/core site.json' }
 */
export const parseObjectUrl = (url: string, opts: ObjectUrlOptions = {}): ObjectLocation => {
  const fail = (reason: string): never => {
    throw new InvalidObjectUrlError(url, reason)
  }
  let location: ObjectLocation
  const http = HTTP_URL.exec(url)
  const s3 = S3_URL.exec(url)
  if (http) {
    const [, scheme = '', , path = ''] = http
    const m = /^\/v1\/([^/]+)\/([^/]+)(?:\/(.*))?$/.exec(path)
    if (!m) return fail('expected /v1/{account}/{bucket}/{key} after the host')
    const decode = (raw: string, what: string) => {
      try {
        return decodeURIComponent(raw)
      } catch {
        return fail(`the ${what} is not valid percent-encoding`)
      }
    }
    location = {
      scheme: scheme.toLowerCase() as 'http' | 'https',
      account: decode(m[1] ?? '', 'account'),
      bucket: decode(m[2] ?? '', 'bucket'),
      key: decode(m[3] ?? '', 'key'),
    }
  } else if (s3 && opts.s3) {
    location = { scheme: 's3', bucket: s3[1] ?? '', key: s3[2] ?? '' }
  } else {
    return fail(
      opts.s3
        ? 'expected http(s)://{host}/v1/{account}/{bucket}/{key} or s3://{bucket}/{key}'
        : 'expected http(s)://{host}/v1/{account}/{bucket}/{key}',
    )
  }
  try {
    checkBucketName(location.bucket)
    if (opts.prefix) checkPrefix(location.key)
    else if (location.key === '') fail('it names a bucket, not an object')
    else checkKey(location.key)
  } catch (e) {
    if (e instanceof InvalidObjectNameError) fail(e.message)
    throw e
  }
  return location
}

/**
 * parseObjectUrl, with undefined for a URL that maps to no object: what a cluster's spec fields
 * need (DESIGN section 3 accepts any http(s) URL; one that is no object URL is found out when it
 * is read, as a missing file).
 * @example
 * resolveObjectUrl('https://example.com/script.sh') // undefined
 */
export const resolveObjectUrl = (url: string, opts: ObjectUrlOptions = {}): ObjectLocation | undefined => {
  try {
    return parseObjectUrl(url, opts)
  } catch (e) {
    if (e instanceof InvalidObjectUrlError) return undefined
    throw e
  }
}
