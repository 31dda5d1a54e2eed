import { ConnectionError, errorFromResponse, type ApiError } from './errors.js'
import {
  abortableSleep,
  authHeaders,
  fetchExtras,
  parseRetryAfter,
  randomKey,
  type TransportConfig,
} from './transport.js'
import type { ErrorBody, RequestOptions } from './types.js'
import type { ObjectEntry } from '../wire/schemas.js'

export type { ObjectEntry }

/**
 * What HEAD says about an object (and GET, before its bytes).
 * @example
 * const { bytes, lastModified } = await client.objects.head('logs', 'HadoopEco/etl/run/task.log')
 */
export interface ObjectHead {
  name: string
  bytes: number
  /** ISO-8601. */
  lastModified: string
  contentType: string
  etag?: string
}

/**
 * An object being downloaded: its facts and a stream of its bytes. Read `body` to its end (or
 * `text()`/`arrayBuffer()`), or cancel it, so the connection is released.
 * @example
 * const obj = await client.objects.get('jobs', 'scripts/init.sh')
 * console.log(obj.bytes, await obj.text())
 */
export interface ObjectDownload extends ObjectHead {
  body: ReadableStream<Uint8Array>
  text(): Promise<string>
  arrayBuffer(): Promise<ArrayBuffer>
}

/**
 * An upload body. Strings, bytes and Blobs (`fs.openAsBlob(path)` streams a file from disk)
 * are retried like any call; a stream or async iterable is sent once, chunked, and not retried.
 * @example
 * const body: ObjectBody = await openAsBlob('job.jar')
 */
export type ObjectBody =
  string | Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>

/**
 * Options of {@link Objects.put}.
 * @example
 * await client.objects.put('conf', 'core-site.json', text, { contentType: 'application/json' })
 */
export interface PutObjectOptions extends RequestOptions {
  contentType?: string
}

/**
 * Filters of {@link Objects.list}: Swift's `prefix`, `marker` (keys after it) and `limit` (1..10,000).
 * @example
 * const page = await client.objects.list('logs', { prefix: 'HadoopEco/etl/', limit: 100 })
 */
export interface ListObjectsParams {
  prefix?: string
  marker?: string
  limit?: number
}

/** The server acts in the credential's project whatever this segment says (DESIGN section 8). */
const ACCOUNT = '_'

const isDots = (segment: string) => segment === '.' || segment === '..'

/**
 * The key as URL path segments. URL parsing resolves `.` and `..` segments (fetch sends `a/../b`
 * as `b`: another object), so a key that has one goes as a single segment with its slashes
 * encoded, and the server judges it as written.
 */
export const objectPath = (bucket: string, key?: string): string => {
  const base = `/v1/${ACCOUNT}/${encodeURIComponent(bucket)}`
  if (key === undefined) return base
  if (isDots(key)) throw new Error(`hadoop-eco: the object key "${key}" cannot be addressed in a URL`)
  const segments = key.split('/')
  const encoded = segments.some(isDots)
    ? encodeURIComponent(key)
    : segments.map((s) => encodeURIComponent(s)).join('/')
  return `${base}/${encoded}`
}

const isErrorBody = (v: unknown): v is ErrorBody =>
  typeof v === 'object' && v !== null && typeof (v as ErrorBody).code === 'string'

const isReplayable = (body: ObjectBody | undefined) =>
  body === undefined ||
  typeof body === 'string' ||
  body instanceof Uint8Array ||
  body instanceof ArrayBuffer ||
  (typeof Blob !== 'undefined' && body instanceof Blob)

const headOf = (key: string, res: Response): ObjectHead => {
  const timestamp = Number(res.headers.get('x-timestamp'))
  const date =
    Number.isFinite(timestamp) && timestamp > 0
      ? timestamp * 1000
      : Date.parse(res.headers.get('last-modified') ?? '')
  const etag = res.headers.get('etag')
  return {
    name: key,
    bytes: Number(res.headers.get('content-length') ?? 0),
    lastModified: new Date(Number.isNaN(date) ? 0 : Math.floor(date)).toISOString(),
    contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    ...(etag ? { etag } : {}),
  }
}

interface ObjectCall {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE'
  path: string
  query?: Record<string, string | number | undefined>
  body?: ObjectBody
  headers?: Record<string, string>
  options?: RequestOptions
  /** The per-attempt timeout covers the whole upload; by default an upload has none. */
  upload?: boolean
}

/**
 * The embedded Object Storage, over the server's Swift-style route (`/v1/{project}/{bucket}/{key}`,
 * DESIGN section 8), on `client.objects`. Every call acts in the credential's project. Bodies
 * stream both ways; errors are the SDK's classes (`NotFoundError` for a missing bucket or
 * object, with `code` `BUCKET_NOT_FOUND` or `OBJECT_NOT_FOUND`).
 * @example
 * await client.objects.put('jobs', 'scripts/init.sh', '#!/bin/sh\necho hi\n')
 * const script = await (await client.objects.get('jobs', 'scripts/init.sh')).text()
 */
export class Objects {
  /** @internal */
  constructor(private readonly cfg: TransportConfig) {}

  /** One call with the client's retries; the Response is returned unread when it succeeds. */
  private async call(c: ObjectCall): Promise<Response> {
    const { cfg } = this
    const options = c.options ?? {}
    const query = new URLSearchParams()
    for (const [k, v] of Object.entries(c.query ?? {})) if (v !== undefined) query.append(k, String(v))
    const qs = query.toString()
    const url = `${cfg.endpoint}${c.path}${qs ? `?${qs}` : ''}`
    const headers: Record<string, string> = {
      'user-agent': 'hadoop-eco-sdk',
      ...cfg.headers,
      ...c.headers,
      ...authHeaders(cfg, c.method),
    }
    if (c.method === 'DELETE') headers['idempotency-key'] = options.idempotencyKey ?? randomKey()
    const maxRetries = isReplayable(c.body) ? (options.maxRetries ?? cfg.maxRetries) : 0
    const timeoutMs = options.timeoutMs ?? (c.upload ? 0 : cfg.timeoutMs)
    const userSignal = options.signal
    for (let attempt = 0; ; attempt++) {
      userSignal?.throwIfAborted()
      const controller = new AbortController()
      let timedOut = false
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true
              controller.abort()
            }, timeoutMs)
          : undefined
      const onAbort = () => controller.abort(userSignal?.reason)
      userSignal?.addEventListener('abort', onAbort, { once: true })
      let res: Response
      try {
        res = await cfg.fetch(url, {
          ...fetchExtras(cfg),
          method: c.method,
          headers,
          signal: controller.signal,
          ...(c.body === undefined ? {} : { body: c.body as never, duplex: 'half' }),
        } as RequestInit)
      } catch (e) {
        clearTimeout(timer)
        userSignal?.removeEventListener('abort', onAbort)
        if (userSignal?.aborted) throw userSignal.reason
        const err = new ConnectionError(c.method, c.path, e, timedOut)
        if (attempt >= maxRetries) throw err
        await abortableSleep(this.backoff(attempt), userSignal)
        continue
      }
      // Only the wait for the answer is timed: a download streams for as long as it takes, and
      // the caller's signal (still listened to) is what cancels it.
      clearTimeout(timer)
      if (res.ok) return res
      userSignal?.removeEventListener('abort', onAbort)
      const text = c.method === 'HEAD' ? '' : await res.text().catch(() => '')
      let json: unknown
      try {
        json = text === '' ? undefined : JSON.parse(text)
      } catch {
        json = undefined
      }
      const retryAfterMs = parseRetryAfter(res.headers)
      const err: ApiError = errorFromResponse({
        status: res.status,
        method: c.method,
        path: c.path,
        requestId: res.headers.get('x-request-id') ?? undefined,
        body: isErrorBody(json) ? json : undefined,
        text,
        retryAfterMs,
      })
      const retryable = res.status === 429 || res.status >= 500
      if (!retryable || attempt >= maxRetries || (retryAfterMs ?? 0) > cfg.maxRetryAfterMs) throw err
      await abortableSleep(retryAfterMs ?? this.backoff(attempt), userSignal)
    }
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.cfg.maxRetryDelayMs, this.cfg.retryBaseDelayMs * 2 ** attempt)
    return Math.round(base * (1 - Math.random() * 0.25))
  }

  /**
   * Uploads an object, creating the bucket if needed. The object appears whole or not at all.
   * No timeout applies unless `timeoutMs` is given: a large upload takes as long as it takes.
   * @example
   * import { openAsBlob } from 'node:fs'
   * const { bytes } = await client.objects.put('jars', 'etl/app-1.0.jar', await openAsBlob('target/app-1.0.jar'))
   */
  async put(
    bucket: string,
    key: string,
    body: ObjectBody,
    options: PutObjectOptions = {},
  ): Promise<ObjectEntry> {
    const res = await this.call({
      method: 'PUT',
      path: objectPath(bucket, key),
      body,
      headers: options.contentType ? { 'content-type': options.contentType } : {},
      options,
      upload: true,
    })
    return (await res.json()) as ObjectEntry
  }

  /**
   * Downloads an object as a stream.
   * @example
   * import { Readable } from 'node:stream'
   * const obj = await client.objects.get('logs', 'HadoopEco/etl/run/task.log')
   * Readable.fromWeb(obj.body).pipe(process.stdout)
   */
  async get(bucket: string, key: string, options?: RequestOptions): Promise<ObjectDownload> {
    const res = await this.call({ method: 'GET', path: objectPath(bucket, key), options })
    const body = res.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })
    return {
      ...headOf(key, res),
      body,
      text: () => new Response(body).text(),
      arrayBuffer: () => new Response(body).arrayBuffer(),
    }
  }

  /**
   * An object's length, type, date and entity tag, without its bytes.
   * @example
   * const exists = await client.objects.head('conf', 'core-site.json').then(() => true, (e) => (e instanceof NotFoundError ? false : Promise.reject(e)))
   */
  async head(bucket: string, key: string, options?: RequestOptions): Promise<ObjectHead> {
    return headOf(key, await this.call({ method: 'HEAD', path: objectPath(bucket, key), options }))
  }

  /**
   * One page (at most `limit`, default and maximum 10,000) of a bucket's objects, by key.
   * @example
   * const logs = await client.objects.list('logs', { prefix: 'HadoopEco/etl/' })
   */
  async list(
    bucket: string,
    params: ListObjectsParams = {},
    options?: RequestOptions,
  ): Promise<ObjectEntry[]> {
    const res = await this.call({ method: 'GET', path: objectPath(bucket), query: { ...params }, options })
    return (await res.json()) as ObjectEntry[]
  }

  /**
   * Every object of the bucket (under `prefix`), a page at a time.
   * @example
   * for await (const o of client.objects.listAll('logs', { prefix: 'HadoopEco/' })) console.log(o.name, o.bytes)
   */
  async *listAll(
    bucket: string,
    params: ListObjectsParams = {},
    options?: RequestOptions,
  ): AsyncGenerator<ObjectEntry, void, undefined> {
    const limit = params.limit ?? 10_000
    let marker = params.marker
    for (;;) {
      const page = await this.list(bucket, { ...params, limit, ...(marker ? { marker } : {}) }, options)
      yield* page
      if (page.length < limit) return
      marker = page[page.length - 1]?.name
    }
  }

  /**
   * Deletes an object (`NotFoundError` if there is none).
   * @example
   * await client.objects.delete('logs', 'HadoopEco/etl/run/task.log')
   */
  async delete(bucket: string, key: string, options?: RequestOptions): Promise<void> {
    await this.call({ method: 'DELETE', path: objectPath(bucket, key), options })
  }

  /**
   * Creates a bucket; false when it existed already.
   * @example
   * await client.objects.createBucket('logs')
   */
  async createBucket(bucket: string, options?: RequestOptions): Promise<boolean> {
    return (await this.call({ method: 'PUT', path: objectPath(bucket), options })).status === 201
  }

  /**
   * Deletes an empty bucket (`ConflictError`, code `BUCKET_NOT_EMPTY`, while it holds objects).
   * @example
   * await client.objects.deleteBucket('scratch')
   */
  async deleteBucket(bucket: string, options?: RequestOptions): Promise<void> {
    await this.call({ method: 'DELETE', path: objectPath(bucket), options })
  }
}
