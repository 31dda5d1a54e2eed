import type { Cluster, ErrorBody, FieldError, JobRequest } from './types.js'

/**
 * The root of every error the SDK throws, so one `instanceof` catches them all.
 * @example
 * try {
 *   await client.clusters.get(id)
 * } catch (e) {
 *   if (e instanceof HadoopEcoError) console.error(e.message)
 * }
 */
export class HadoopEcoError extends Error {
  override name = 'HadoopEcoError'
}

/** What the transport knows about a failed response. */
export interface ApiErrorInit {
  status: number
  method: string
  path: string
  requestId: string | undefined
  body: ErrorBody | undefined
  /** The raw text when the body was not an error envelope. */
  text?: string
  /** Milliseconds the server asked to wait (`Retry-After`). */
  retryAfterMs?: number
}

/**
 * The server answered with an error status. `code` is the envelope's stable code (for example
 * `WORKER_COUNT_BELOW_REPLICATION`), `requestId` the `X-Request-Id` to quote in a bug report.
 * Subclasses exist per status; other statuses (413, 415, 422...) are plain `ApiError`s.
 * @example
 * try {
 *   await client.clusters.scaleIn(id, 5)
 * } catch (e) {
 *   if (e instanceof ApiError) console.error(e.status, e.code, e.requestId)
 * }
 */
export class ApiError extends HadoopEcoError {
  override name = 'ApiError'
  readonly status: number
  readonly code: string
  readonly requestId: string | undefined
  readonly method: string
  readonly path: string
  /** The error envelope, when the server sent one. */
  readonly body: ErrorBody | undefined
  /** The envelope's field list (empty when there is none). */
  readonly errors: readonly FieldError[]

  constructor(init: ApiErrorInit) {
    const code = init.body?.code ?? `HTTP_${init.status}`
    const what = init.body?.message ?? (init.text?.slice(0, 200) || `HTTP ${init.status}`)
    super(
      `${init.method} ${init.path} failed: ${init.status} ${code}: ${what}` +
        (init.requestId ? ` (request id ${init.requestId})` : ''),
    )
    this.status = init.status
    this.code = code
    this.requestId = init.requestId
    this.method = init.method
    this.path = init.path
    this.body = init.body
    this.errors = init.body?.errors ?? []
  }
}

/**
 * 400: the request broke a rule. `errors` lists every offending field; `fields` their names.
 * @example
 * try {
 *   await client.clusters.create({ ...spec, workerCnt: 1 })
 * } catch (e) {
 *   if (e instanceof BadRequestError) for (const f of e.errors) console.error(`${f.field}: ${f.message}`)
 * }
 */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError'
  /** The names of the offending fields, e.g. `['workerCnt']`. */
  get fields(): string[] {
    return this.errors.map((e) => e.field)
  }
}

/**
 * 401: the credential is missing, wrong or revoked, or a job-cluster call came without its
 * Open API key (`API_KEY_REQUIRED`).
 * @example
 * catch (e) { if (e instanceof UnauthorizedError) console.error('check HADOOP_ECO_CREDENTIAL_ID/SECRET') }
 */
export class UnauthorizedError extends ApiError {
  override name = 'UnauthorizedError'
}

/**
 * 403: the credential is fine but this call is not allowed with what it carries: a job
 * cluster's Open API key that is wrong or revoked (`API_KEY_INVALID`).
 * @example
 * catch (e) { if (e instanceof ForbiddenError && e.code === 'API_KEY_INVALID') console.error('issue a new key') }
 */
export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError'
}

/**
 * 404: no such cluster in the credential's project (or no such route).
 * @example
 * const c = await client.clusters.get(id).catch((e) => (e instanceof NotFoundError ? undefined : Promise.reject(e)))
 */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError'
}

/**
 * 409: a cluster with this name is not terminated yet (`DUPLICATE_CLUSTER_NAME`), or an
 * idempotent request with the same key is still being processed.
 * @example
 * catch (e) { if (e instanceof ConflictError && e.code === 'DUPLICATE_CLUSTER_NAME') pickAnotherName() }
 */
export class ConflictError extends ApiError {
  override name = 'ConflictError'
}

/**
 * 429: too many requests; thrown once the retries are spent. `retryAfterMs` is the server's
 * `Retry-After`, when it sent one.
 * @example
 * catch (e) { if (e instanceof RateLimitedError) await sleep(e.retryAfterMs ?? 5_000) }
 */
export class RateLimitedError extends ApiError {
  override name = 'RateLimitedError'
  readonly retryAfterMs: number | undefined
  constructor(init: ApiErrorInit) {
    super(init)
    this.retryAfterMs = init.retryAfterMs
  }
}

/**
 * 5xx: the server failed; thrown once the retries are spent.
 * @example
 * catch (e) { if (e instanceof ServerError) console.error(`server error, request id ${e.requestId}`) }
 */
export class ServerError extends ApiError {
  override name = 'ServerError'
}

/**
 * No HTTP answer: the endpoint is unreachable, the connection broke or the call timed out.
 * Thrown once the retries are spent; `cause` holds the underlying error.
 * @example
 * catch (e) { if (e instanceof ConnectionError) console.error(`is ${client.endpoint} up?`) }
 */
export class ConnectionError extends HadoopEcoError {
  override name = 'ConnectionError'
  readonly method: string
  readonly path: string
  /** Always undefined: no response, no request id. Present so every SDK error can be logged alike. */
  readonly requestId: undefined = undefined
  readonly code: 'CONNECTION_FAILED' | 'TIMEOUT'
  constructor(method: string, path: string, cause: unknown, timedOut = false) {
    const why = timedOut ? 'timed out' : describeCause(cause)
    super(`${method} ${path} failed: ${why}`, { cause })
    this.method = method
    this.path = path
    this.code = timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED'
  }
}

/**
 * A wait gave up: the timeout passed first. From `waitFor`, `cluster` is the last state seen;
 * from `clusters.requests.waitFor`, `request` is (and `cluster` is undefined).
 * @example
 * catch (e) { if (e instanceof WaitTimeoutError) console.error(`still ${e.cluster?.status ?? e.request?.requestStatus}`) }
 */
export class WaitTimeoutError extends HadoopEcoError {
  override name = 'WaitTimeoutError'
  constructor(
    readonly clusterId: string,
    readonly cluster: Cluster | undefined,
    timeoutMs: number,
    readonly request?: JobRequest,
  ) {
    super(
      request
        ? `request ${request.requestId} of cluster ${clusterId} was still ${request.requestStatus} after ${timeoutMs} ms`
        : `cluster ${clusterId} did not reach the expected state within ${timeoutMs} ms` +
            (cluster ? ` (it is ${cluster.status})` : ''),
    )
  }
}

/**
 * `waitFor` stopped because the cluster is terminated (a final state) and does not match, so it
 * never will: typically a create that ended `Terminated(Error)`.
 * @example
 * catch (e) { if (e instanceof ClusterEndedError) console.error(`ended ${e.cluster.status}`) }
 */
export class ClusterEndedError extends HadoopEcoError {
  override name = 'ClusterEndedError'
  constructor(readonly cluster: Cluster) {
    super(`cluster ${cluster.name} (${cluster.id}) ended ${cluster.status}`)
  }
}

const describeCause = (cause: unknown): string => {
  // fetch() wraps the socket error: "fetch failed" with the useful part in `cause`.
  const inner = (cause as { cause?: unknown } | undefined)?.cause ?? cause
  const code = (inner as { code?: unknown } | undefined)?.code
  const message = inner instanceof Error ? inner.message : String(inner)
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message
}

/**
 * Builds the error class that matches a status.
 * @example
 * const err = errorFromResponse({ status: 404, method: 'GET', path: '/x', requestId: 'r1', body: undefined })
 * err instanceof NotFoundError // true
 */
export const errorFromResponse = (init: ApiErrorInit): ApiError => {
  if (init.status === 400) return new BadRequestError(init)
  if (init.status === 401) return new UnauthorizedError(init)
  if (init.status === 403) return new ForbiddenError(init)
  if (init.status === 404) return new NotFoundError(init)
  if (init.status === 409) return new ConflictError(init)
  if (init.status === 429) return new RateLimitedError(init)
  if (init.status >= 500) return new ServerError(init)
  return new ApiError(init)
}
