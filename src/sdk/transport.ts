import { ConnectionError, errorFromResponse, type ApiError } from './errors.js'
import type { ErrorBody, RequestOptions } from './types.js'

/**
 * What a client may change while it runs: the web console session's CSRF token (learnt at
 * sign-in) and the admin token (typed in on the console's Admin page).
 */
export interface AuthState {
  csrfToken?: string
  adminToken?: string
}

/** Resolved client settings the transport needs. */
export interface TransportConfig {
  endpoint: string
  /**
   * `credentials`: the Credential-ID / Credential-Secret headers on every call. `session`: the
   * browser's session cookie instead (sent by fetch), with the CSRF token on mutations.
   */
  auth: 'credentials' | 'session'
  credentialId?: string
  credentialSecret?: string
  state: AuthState
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
  /** How the call authenticates (see {@link CallAuth}); `api` by default. */
  auth?: CallAuth
}

/**
 * `api`: as the client is configured (credential headers, or the session cookie). `session`:
 * the cookie whatever the mode (the session calls themselves; the sign-in needs nothing more).
 * `admin`: the admin token as a bearer, nothing else.
 */
export type CallAuth = 'api' | 'session' | 'admin'

/** Methods that change something: a cookie-authenticated one must carry the CSRF token. */
const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The authentication headers of one call. A cookie is never set here: the browser sends it
 * (or, outside one, a `fetch` that keeps cookies).
 */
export const authHeaders = (
  cfg: TransportConfig,
  method: string,
  auth: CallAuth = 'api',
): Record<string, string> => {
  if (auth === 'admin') return cfg.state.adminToken ? { authorization: `Bearer ${cfg.state.adminToken}` } : {}
  if (auth === 'session' || cfg.auth === 'session')
    return MUTATIONS.has(method) && cfg.state.csrfToken ? { 'x-csrf-token': cfg.state.csrfToken } : {}
  return { 'credential-id': cfg.credentialId ?? '', 'credential-secret': cfg.credentialSecret ?? '' }
}

/**
 * `fetch` options beyond method, headers and body: a session-mode call asks the browser to
 * send this origin's cookies (its default too, said outright).
 */
export const fetchExtras = (cfg: TransportConfig, auth: CallAuth = 'api'): RequestInit =>
  auth === 'session' || cfg.auth === 'session' ? { credentials: 'same-origin' } : {}

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

/**
 * A fresh Idempotency-Key (a UUID v4). Browsers have `crypto.randomUUID` only in secure
 * contexts (https, localhost): a console opened over plain http on a LAN address has only
 * `getRandomValues`, which makes the same thing.
 */
export const randomKey = (): string => {
  const c = globalThis.crypto
  if (typeof c.randomUUID === 'function') return c.randomUUID()
  const b = c.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40 // version 4
  b[8] = (b[8]! & 0x3f) | 0x80 // RFC 4122 variant
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

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
      ...authHeaders(cfg, method, call.auth),
    }
    const extras = fetchExtras(cfg, call.auth)
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
        res = await cfg.fetch(url, { ...extras, method, headers, body: payload, signal: controller.signal })
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
