import type { Readable } from 'node:stream'

/**
 * The ObjectStore port (DESIGN section 8): the files a cluster reads (config file, user script,
 * task file) and the logs it writes, in buckets that belong to one project. Two back-ends:
 * `file:` (the embedded default, `<dir>/<project>/<bucket>/<key>`) and `s3` (any S3-compatible
 * service, where buckets belong to the S3 account and `project` changes nothing). Bodies are
 * streams: an object may be gigabytes and is never held in memory.
 */
export interface ObjectInfo {
  bucket: string
  key: string
  bytes: number
  /** Epoch milliseconds. */
  lastModified: number
  contentType?: string
  /** A quoted entity tag, when the back-end has one cheaply. */
  etag?: string
}

export interface PutOptions {
  contentType?: string
  /** The length the client announced: a body of any other length is refused and nothing is kept. */
  contentLength?: number
  /** Refuse (ObjectTooLargeError) a body longer than this; nothing is kept. */
  maxBytes?: number
  signal?: AbortSignal
}

export interface ListOptions {
  /** Only keys that sort after this one (Swift's `marker`, S3's `StartAfter`). */
  after?: string
  /** At most this many objects (default: all of them). */
  limit?: number
}

export interface ObjectStore {
  readonly kind: 'file' | 's3'
  /**
   * Stores a whole object or nothing: a partial upload (a client gone mid-way, a wrong length,
   * too large) is never visible. Creates the bucket when it does not exist yet.
   */
  put(project: string, bucket: string, key: string, body: Readable, opts?: PutOptions): Promise<ObjectInfo>
  /** The object and a stream of its bytes; undefined when the bucket or the key does not exist. */
  get(
    project: string,
    bucket: string,
    key: string,
    opts?: { signal?: AbortSignal },
  ): Promise<{ info: ObjectInfo; body: Readable } | undefined>
  head(project: string, bucket: string, key: string): Promise<ObjectInfo | undefined>
  /** False when there was nothing to delete. */
  delete(project: string, bucket: string, key: string): Promise<boolean>
  /**
   * Objects whose key starts with `prefix`, in key order (UTF-8 bytes, as S3 sorts); undefined
   * when the bucket does not exist.
   */
  list(
    project: string,
    bucket: string,
    prefix?: string,
    opts?: ListOptions,
  ): Promise<ObjectInfo[] | undefined>
  bucketExists(project: string, bucket: string): Promise<boolean>
  /** True when this call created it, false when it existed already. */
  createBucket(project: string, bucket: string): Promise<boolean>
  /** Only an empty bucket is deleted. */
  deleteBucket(project: string, bucket: string): Promise<'deleted' | 'missing' | 'not-empty'>
  /** Releases connections (the S3 client's sockets); the store is not used afterwards. */
  close?(): Promise<void>
}

/** A bucket name S3 would refuse, or a key with `..` segments, NUL, or over 1,024 bytes. */
export class InvalidObjectNameError extends Error {
  constructor(
    message: string,
    readonly field: 'bucket' | 'key' | 'project',
  ) {
    super(message)
    this.name = 'InvalidObjectNameError'
  }
}

export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the object is larger than ${maxBytes} bytes`)
    this.name = 'ObjectTooLargeError'
  }
}

/** The body ended before (or ran past) the announced Content-Length. */
export class ObjectLengthMismatchError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`Content-Length said ${expected} bytes, the body had ${received}`)
    this.name = 'ObjectLengthMismatchError'
  }
}

export const MAX_KEY_BYTES = 1024

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/
/** Lone UTF-16 surrogates have no UTF-8 form: two different keys would become the same bytes. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * S3's bucket naming rules: 3-63 characters of lower-case letters, digits, `.` and `-`, starting
 * and ending with a letter or digit, no `..`, not an IPv4 address. They also make a bucket name a
 * safe folder name (never `.`, `..`, nor anything with a `/`).
 */
export const checkBucketName = (bucket: string): void => {
  const problem =
    bucket.length < 3 || bucket.length > 63
      ? 'must be 3-63 characters long'
      : !/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket)
        ? 'may hold only lower-case letters, digits, "." and "-", and must start and end with a letter or digit'
        : bucket.includes('..')
          ? 'may not contain ".."'
          : IPV4.test(bucket)
            ? 'may not be an IP address'
            : undefined
  if (problem) throw new InvalidObjectNameError(`bucket name "${bucket.slice(0, 80)}" ${problem}`, 'bucket')
}

/**
 * DESIGN section 8's key rules: not empty, at most 1,024 bytes of UTF-8, no NUL, no `..` segment
 * (a key is also a path on disk and in URLs, where `..` means "up").
 */
export const checkKey = (key: string): void => {
  const problem =
    key === ''
      ? 'may not be empty'
      : key.includes('\0')
        ? 'may not contain NUL'
        : LONE_SURROGATE.test(key)
          ? 'is not valid Unicode'
          : Buffer.byteLength(key) > MAX_KEY_BYTES
            ? `may be at most ${MAX_KEY_BYTES} bytes long (UTF-8)`
            : key.split('/').includes('..')
              ? 'may not have a ".." segment'
              : undefined
  if (problem) throw new InvalidObjectNameError(`object key ${problem}`, 'key')
}

/**
 * A list prefix is the start of a key: the same rules, except that it may be empty and its last
 * segment may be `..` (the start of a key like `a/..b`).
 */
export const checkPrefix = (prefix: string): void => {
  // `.x` has the length of `..` and breaks no rule: every other rule applies to the whole prefix.
  if (prefix !== '') checkKey(prefix.replace(/(^|\/)\.\.$/, '$1.x'))
}

/** UTF-8 byte order, the order S3 lists keys in (JS string order differs above U+FFFF). */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))
