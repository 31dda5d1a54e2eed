import type { Readable } from 'node:stream'
import { AppError, type ErrorCode } from '../domain/errors.js'
import {
  InvalidObjectNameError,
  ObjectLengthMismatchError,
  ObjectTooLargeError,
  type ObjectInfo,
  type ObjectStore,
} from '../objects/object-store.js'
import type { ObjectEntry } from '../wire/schemas.js'
import type { Caller } from './clusters.js'

interface Deps {
  store: ObjectStore
  /** HADOOP_ECO_OBJECT_MAX_BYTES. */
  maxBytes: number
}

/** As Swift: a list answers at most 10,000 names; `marker` pages on. */
export const MAX_LIST_LIMIT = 10_000

export type { ObjectInfo }

export const toEntry = (info: ObjectInfo): ObjectEntry => ({
  name: info.key,
  bytes: info.bytes,
  lastModified: new Date(info.lastModified).toISOString(),
})

const fieldError = (code: ErrorCode, field: string, message: string) =>
  new AppError(code, message, [{ field, code, message }])

/** The store's refusals as the API's stable codes; anything else goes on as it is. */
const translate = (e: unknown): unknown => {
  if (e instanceof InvalidObjectNameError) return fieldError('INVALID_OBJECT_NAME', e.field, e.message)
  if (e instanceof ObjectTooLargeError)
    return new AppError('OBJECT_TOO_LARGE', `the object is larger than the ${e.maxBytes} bytes allowed`)
  if (e instanceof ObjectLengthMismatchError) return new AppError('CONTENT_LENGTH_MISMATCH', e.message)
  return e
}

/**
 * The use cases behind the Swift-style object route: every call acts in the caller's project,
 * whatever the URL's `{projectId}` says, so one project never sees another's objects. Refusals
 * become the API's codes; a miss says whether the bucket or the object is missing.
 */
export const createObjectService = ({ store, maxBytes }: Deps) => {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work()
    } catch (e) {
      throw translate(e)
    }
  }
  /** A miss: 404 naming the bucket when that is what is missing. */
  const missing = async (caller: Caller, bucket: string, key: string): Promise<never> => {
    if (!(await store.bucketExists(caller.project, bucket)))
      throw new AppError('BUCKET_NOT_FOUND', `no bucket "${bucket}"`)
    throw new AppError('OBJECT_NOT_FOUND', `no object "${key}" in bucket "${bucket}"`)
  }

  return {
    /** The Swift-style route is served only by the file back-end (DESIGN section 8). */
    served: store.kind === 'file',
    maxBytes,

    /**
     * Streams `body` into the store; nothing is kept unless all of it arrives. `signal` aborts
     * when the client goes away, which is then UPLOAD_INCOMPLETE rather than a server error.
     */
    put: (
      caller: Caller,
      bucket: string,
      key: string,
      body: Readable,
      opts: { contentType?: string; contentLength?: number; signal?: AbortSignal } = {},
    ): Promise<ObjectInfo> =>
      guard(async () => {
        try {
          return await store.put(caller.project, bucket, key, body, { ...opts, maxBytes })
        } catch (e) {
          if (opts.signal?.aborted && !(e instanceof ObjectTooLargeError))
            throw new AppError('UPLOAD_INCOMPLETE', 'the upload ended before the whole body arrived')
          throw e
        }
      }),

    /** The object's bytes: the caller must read `body` to its end or destroy it. */
    get: (caller: Caller, bucket: string, key: string): Promise<{ info: ObjectInfo; body: Readable }> =>
      guard(async () => (await store.get(caller.project, bucket, key)) ?? missing(caller, bucket, key)),

    head: (caller: Caller, bucket: string, key: string): Promise<ObjectInfo> =>
      guard(async () => (await store.head(caller.project, bucket, key)) ?? missing(caller, bucket, key)),

    delete: (caller: Caller, bucket: string, key: string): Promise<void> =>
      guard(async () => {
        if (!(await store.delete(caller.project, bucket, key))) await missing(caller, bucket, key)
      }),

    /** `limit` and `marker` as Swift takes them: at most 10,000 names, the ones after `marker`. */
    list: (
      caller: Caller,
      bucket: string,
      query: { prefix?: string; marker?: string; limit?: string },
    ): Promise<ObjectEntry[]> =>
      guard(async () => {
        let limit = MAX_LIST_LIMIT
        if (query.limit !== undefined) {
          limit = Number(query.limit)
          if (!/^\d+$/.test(query.limit) || limit < 1 || limit > MAX_LIST_LIMIT)
            throw fieldError('INVALID_PARAMETER', 'limit', `limit must be an integer in 1..${MAX_LIST_LIMIT}`)
        }
        const found = await store
          .list(caller.project, bucket, query.prefix ?? '', {
            ...(query.marker ? { after: query.marker } : {}),
            limit,
          })
          .catch((e: unknown) => {
            if (e instanceof InvalidObjectNameError && e.field === 'key')
              throw fieldError('INVALID_OBJECT_NAME', 'prefix', e.message.replace(/^object key/, 'prefix'))
            throw e
          })
        if (!found) throw new AppError('BUCKET_NOT_FOUND', `no bucket "${bucket}"`)
        return found.map(toEntry)
      }),

    /** True when created now (201), false when it existed (202), as Swift answers. */
    createBucket: (caller: Caller, bucket: string): Promise<boolean> =>
      guard(() => store.createBucket(caller.project, bucket)),

    deleteBucket: (caller: Caller, bucket: string): Promise<void> =>
      guard(async () => {
        const r = await store.deleteBucket(caller.project, bucket)
        if (r === 'missing') throw new AppError('BUCKET_NOT_FOUND', `no bucket "${bucket}"`)
        if (r === 'not-empty')
          throw new AppError('BUCKET_NOT_EMPTY', `bucket "${bucket}" is not empty: delete its objects first`)
      }),
  }
}

export type ObjectService = ReturnType<typeof createObjectService>
