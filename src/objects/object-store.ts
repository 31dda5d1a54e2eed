import type { Readable } from 'node:stream'

/**
 * The ObjectStore port (DESIGN section 8): the files a cluster reads (config file, user script,
 * task file) and the logs it writes, in buckets that belong to one project. Two back-ends:
 * `file:` (the embedded default, `<dir>/<project>/<bucket>/<key>`) and `s3` (any S3-compatible
 * service). Bodies are streams: an object may be gigabytes and is never held in memory.
 */
export interface ObjectInfo {
  bucket: string
  key: string
  bytes: number
  /** Epoch milliseconds. */
  lastModified: number
  contentType?: string
}

export interface PutOptions {
  contentType?: string
  /** The length the client announced: a body of any other length is refused and nothing is kept. */
  contentLength?: number
  /** Refuse (ObjectTooLargeError) a body longer than this; nothing is kept. */
  maxBytes?: number
  signal?: AbortSignal
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
  /** Objects whose key starts with `prefix`, by key; undefined when the bucket does not exist. */
  list(project: string, bucket: string, prefix?: string): Promise<ObjectInfo[] | undefined>
}

/** A bucket name S3 would refuse, or a key with `..` segments, NUL, or over 1,024 bytes. */
export class InvalidObjectNameError extends Error {
  constructor(
    message: string,
    readonly field: 'bucket' | 'key',
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
