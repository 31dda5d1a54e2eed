import { ConnectionError, errorFromResponse, type ApiError } from './errors.js'
import type { ErrorBody, RequestOptions } from './types.js'

/** Resolved client settings the transport needs. */
export interface TransportConfig {
  endpoint: string
  credentialId: string
  credentialSecret: string
  maxRetries: number
  timeoutMs: number
  retryBaseDelayMs: number
  maxRetryDelayMs: number
  maxRetryAfterMs: number
  headers: Record<string, string>
  fetch: typeof fetch
}

export interface Call {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  query?: Record<string, string | number | boolean | readonly string[] | undefined>
  body?: unknown
  options?: RequestOptions
  /** `text`: a plain-text answer (a task log) is returned as it is instead of parsed as JSON. */
  responseType?: 'json' | 'text'
  /**
   * Headers of this call only (a job cluster's `Hadoop-Eco-Api-Key`). Their values go on the
   * wire and nowhere else: errors name the method and path, never a header.
   */
  headers?: Record<string, string>
}

const USER_AGENT = 'hadoop-eco-sdk'

/** `Retry-After` is delta-seconds or an HTTP date; `retry-after-ms` is a common finer variant. */
export const parseRetryAfter = (headers: Headers, now = Date.now()): number | undefined => {
  const ms = headers.get('retry-after-ms')
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms)
  const raw = headers.get('retry-after')
  if (raw === null || raw.trim() === '') return undefined
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined
  const date = Date.parse(raw)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })

export { sleep as abortableSleep }

const randomKey = (): string => globalThis.crypto.randomUUID()

const buildQuery = (query: Call['query']): string => {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue
    if (Array.isArray(v)) for (const item of v as readonly string[]) params.append(k, item)
    else params.append(k, String(v))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}

const isErrorBody = (v: unknown): v is ErrorBody =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as ErrorBody).code === 'string' &&
  typeof (v as ErrorBody).message === 'string' &&
  Array.isArray((v as ErrorBody).errors)

/**
 * One HTTP call with retries. Retries 429, 5xx, connection failures and timeouts (and a 409
 * `IDEMPOTENCY_IN_PROGRESS`, which says "the first attempt is still running"), with exponential
 * backoff and jitter, or after the server's `Retry-After`. A POST or DELETE carries one
 * `Idempotency-Key` for all its attempts, so a retry whose first attempt did reach the server
 * is answered with the first response instead of acting twice.
 */
export const createTransport = (cfg: TransportConfig) => {
  const backoff = (attempt: number) => {
    const base = Math.min(cfg.maxRetryDelayMs, cfg.retryBaseDelayMs * 2 ** attempt)
    // Up to 25% jitter below the base, so clients that failed together do not retry together.
    return Math.round(base * (1 - Math.random() * 0.25))
  }

  return async <T>(call: Call): Promise<T> => {
    const { method, path, options = {} } = call
    const url = `${cfg.endpoint}${path}${buildQuery(call.query)}`
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': USER_AGENT,
      ...cfg.headers,
      ...call.headers,
      'credential-id': cfg.credentialId,
      'credential-secret': cfg.credentialSecret,
    }
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body)
    if (payload !== undefined) headers['content-type'] = 'application/json'
    if (method === 'POST' || method === 'DELETE')
      headers['idempotency-key'] = options.idempotencyKey ?? randomKey()
    const maxRetries = options.maxRetries ?? cfg.maxRetries
    const timeoutMs = options.timeoutMs ?? cfg.timeoutMs
    const userSignal = options.signal

    for (let attempt = 0; ; attempt++) {
      userSignal?.throwIfAborted()
      const controller = new AbortController()
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        controller.abort()
      }, timeoutMs)
      const onAbort = () => controller.abort(userSignal?.reason)
      userSignal?.addEventListener('abort', onAbort, { once: true })

      let res: Response
      let text: string
      try {
        res = await cfg.fetch(url, { method, headers, body: payload, signal: controller.signal })
        text = await res.text()
      } catch (e) {
        if (userSignal?.aborted) throw userSignal.reason
        const err = new ConnectionError(method, path, e, timedOut)
        if (attempt >= maxRetries) throw err
        await sleep(backoff(attempt), userSignal)
        continue
      } finally {
        clearTimeout(timer)
        userSignal?.removeEventListener('abort', onAbort)
      }

      let json: unknown
      try {
        json = text === '' ? undefined : JSON.parse(text)
      } catch {
        json = undefined
      }
      if (res.ok) {
        if (call.responseType === 'text') return text as T
        if (text !== '' && json === undefined)
          throw new ConnectionError(method, path, new Error(`response is not JSON: ${text.slice(0, 100)}`))
        return json as T
      }

      const retryAfterMs = parseRetryAfter(res.headers)
      const err: ApiError = errorFromResponse({
        status: res.status,
        method,
        path,
        requestId: res.headers.get('x-request-id') ?? undefined,
        body: isErrorBody(json) ? json : undefined,
        text,
        retryAfterMs,
      })
      const retryable =
        res.status === 429 ||
        res.status >= 500 ||
        (res.status === 409 && err.code === 'IDEMPOTENCY_IN_PROGRESS')
      // A server that asks for a longer pause than we are willing to wait gets its answer now.
      if (!retryable || attempt >= maxRetries || (retryAfterMs ?? 0) > cfg.maxRetryAfterMs) throw err
      await sleep(retryAfterMs ?? backoff(attempt), userSignal)
    }
  }
}

export type Transport = ReturnType<typeof createTransport>
