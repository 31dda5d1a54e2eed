import { Readable } from 'node:stream'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import {
  ObjectLengthMismatchError,
  ObjectTooLargeError,
  checkBucketName,
  checkKey,
  checkPrefix,
  compareKeys,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from './object-store.js'

export interface S3ObjectStoreOptions {
  /** `https://objectstorage.kr-central-2.kakaocloud.com`, a MinIO URL...; the SDK's AWS default when absent. */
  endpoint?: string
  region: string
  /** Default: the SDK's standard chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `~/.aws`, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Multipart part size (default 8 MiB); at most `partSize * queueSize` bytes are buffered. */
  partSize?: number
  /** Parts in flight at once (default 2). */
  queueSize?: number
}

const errorName = (e: unknown): string | undefined => (e as { name?: string } | undefined)?.name
const statusOf = (e: unknown): number | undefined =>
  (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
/** HEAD answers carry no error body, so a missing key or bucket there is a bare 404 `NotFound`. */
const isMissing = (e: unknown) =>
  ['NoSuchKey', 'NoSuchBucket', 'NotFound'].includes(errorName(e) ?? '') || statusOf(e) === 404

/**
 * Any S3-compatible service through `@aws-sdk/client-s3`: path-style addressing (MinIO, Ceph and
 * KakaoCloud serve buckets under the endpoint's path), and checksums only when an operation
 * requires them, because KakaoCloud's S3 API rejects the SDK's default CRC32 trailers. Buckets
 * belong to the S3 account: the `project` argument changes nothing here.
 */
export const createS3ObjectStore = (opts: S3ObjectStoreOptions): ObjectStore => {
  const client = new S3Client({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  /** Buckets seen to exist, so a put asks once per bucket and not once per object. */
  const known = new Set<string>()

  const headObject = async (bucket: string, key: string): Promise<ObjectInfo | undefined> => {
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      return {
        bucket,
        key,
        bytes: r.ContentLength ?? 0,
        lastModified: r.LastModified?.getTime() ?? 0,
        ...(r.ContentType ? { contentType: r.ContentType } : {}),
        ...(r.ETag ? { etag: r.ETag } : {}),
      }
    } catch (e) {
      if (isMissing(e)) return undefined
      throw e
    }
  }

  const bucketExists = async (bucket: string): Promise<boolean> => {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }))
      known.add(bucket)
      return true
    } catch (e) {
      if (isMissing(e)) return false
      throw e
    }
  }

  const createBucket = async (bucket: string): Promise<boolean> => {
    const create = (constraint?: string) =>
      client.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(constraint ? { CreateBucketConfiguration: { LocationConstraint: constraint as never } } : {}),
        }),
      )
    try {
      try {
        await create()
      } catch (e) {
        // AWS outside us-east-1 wants the region named; KakaoCloud, MinIO and Ceph do not.
        if (!/LocationConstraint/i.test(errorName(e) ?? '')) throw e
        await create(opts.region)
      }
      known.add(bucket)
      return true
    } catch (e) {
      const name = errorName(e)
      // `BucketAlreadyExists` is also what some services say to the owner: ours if we can see it.
      if (
        name === 'BucketAlreadyOwnedByYou' ||
        (name === 'BucketAlreadyExists' && (await bucketExists(bucket)))
      )
        return false
      throw e
    }
  }

  return {
    kind: 's3',

    async put(_project, bucket, key, body, putOpts: PutOptions = {}) {
      checkBucketName(bucket)
      checkKey(key)
      const { contentLength, maxBytes = Number.POSITIVE_INFINITY, signal, contentType } = putOpts
      if (contentLength !== undefined && contentLength > maxBytes) throw new ObjectTooLargeError(maxBytes)
      signal?.throwIfAborted()
      if (!known.has(bucket) && !(await bucketExists(bucket))) await createBucket(bucket)
      // Aborted while the bucket was made: the listener below would never hear of it, and the
      // upload would wait for a body that never ends. From here to the listener nothing awaits.
      signal?.throwIfAborted()
      let received = 0
      // A refusal ends the upload without destroying the source (see the file back-end).
      const counted = Readable.from(
        (async function* () {
          for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
            received += chunk.length
            if (received > maxBytes) throw new ObjectTooLargeError(maxBytes)
            if (contentLength !== undefined && received > contentLength)
              throw new ObjectLengthMismatchError(contentLength, received)
            yield chunk
          }
          if (contentLength !== undefined && received !== contentLength)
            throw new ObjectLengthMismatchError(contentLength, received)
        })(),
        { objectMode: false },
      )
      const upload = new Upload({
        client,
        params: {
          Bucket: bucket,
          Key: key,
          Body: counted,
          ...(contentType ? { ContentType: contentType } : {}),
        },
        partSize: opts.partSize ?? 8 * 1024 * 1024,
        queueSize: opts.queueSize ?? 2,
        // A failed multipart upload is aborted, so its parts neither show nor cost storage.
        leavePartsOnError: false,
      })
      const onAbort = () => void upload.abort().catch(() => undefined)
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        await upload.done()
      } catch (e) {
        counted.destroy()
        if (isMissing(e)) known.delete(bucket)
        // The stream's own refusal, not the SDK's wrapping of it.
        const cause = (e as { cause?: unknown }).cause
        if (cause instanceof ObjectTooLargeError || cause instanceof ObjectLengthMismatchError) throw cause
        if (signal?.aborted) throw signal.reason
        throw e
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
      return (
        (await headObject(bucket, key)) ?? {
          bucket,
          key,
          bytes: received,
          lastModified: Date.now(),
          ...(contentType ? { contentType } : {}),
        }
      )
    },

    async get(_project, bucket, key, getOpts = {}) {
      checkBucketName(bucket)
      checkKey(key)
      try {
        const r = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key }),
          getOpts.signal ? { abortSignal: getOpts.signal } : {},
        )
        return {
          info: {
            bucket,
            key,
            bytes: r.ContentLength ?? 0,
            lastModified: r.LastModified?.getTime() ?? 0,
            ...(r.ContentType ? { contentType: r.ContentType } : {}),
            ...(r.ETag ? { etag: r.ETag } : {}),
          },
          body: r.Body as Readable,
        }
      } catch (e) {
        if (isMissing(e)) return undefined
        throw e
      }
    },

    async head(_project, bucket, key) {
      checkBucketName(bucket)
      checkKey(key)
      return headObject(bucket, key)
    },

    async delete(_project, bucket, key) {
      checkBucketName(bucket)
      checkKey(key)
      // S3 answers 204 whether or not the key existed; the port says which it was.
      if (!(await headObject(bucket, key))) return false
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
        return true
      } catch (e) {
        if (isMissing(e)) return false
        throw e
      }
    },

    async list(_project, bucket, prefix = '', listOpts = {}) {
      checkBucketName(bucket)
      checkPrefix(prefix)
      const out: ObjectInfo[] = []
      let token: string | undefined
      const limit = listOpts.limit ?? Number.POSITIVE_INFINITY
      try {
        do {
          const r = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              ...(prefix ? { Prefix: prefix } : {}),
              ...(token
                ? { ContinuationToken: token }
                : listOpts.after
                  ? { StartAfter: listOpts.after }
                  : {}),
            }),
          )
          for (const o of r.Contents ?? [])
            out.push({
              bucket,
              key: o.Key ?? '',
              bytes: o.Size ?? 0,
              lastModified: o.LastModified?.getTime() ?? 0,
              ...(o.ETag ? { etag: o.ETag } : {}),
            })
          token = r.IsTruncated ? r.NextContinuationToken : undefined
        } while (token && out.length < limit)
      } catch (e) {
        if (isMissing(e)) return undefined
        throw e
      }
      // Whole pages of 1,000 are asked for and cut here (some servers fail on a small MaxKeys),
      // and sorted again: some S3 look-alikes list a key after its "folder".
      return out.sort((a, b) => compareKeys(a.key, b.key)).slice(0, listOpts.limit)
    },

    async bucketExists(_project, bucket) {
      checkBucketName(bucket)
      return bucketExists(bucket)
    },

    async createBucket(_project, bucket) {
      checkBucketName(bucket)
      return createBucket(bucket)
    },

    async deleteBucket(_project, bucket) {
      checkBucketName(bucket)
      try {
        await client.send(new DeleteBucketCommand({ Bucket: bucket }))
        known.delete(bucket)
        return 'deleted'
      } catch (e) {
        if (errorName(e) === 'BucketNotEmpty') return 'not-empty'
        if (isMissing(e)) {
          known.delete(bucket)
          return 'missing'
        }
        throw e
      }
    },

    async close() {
      client.destroy()
    },
  }
}
