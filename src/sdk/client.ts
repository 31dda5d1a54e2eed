import { Admin } from './admin.js'
import { ClusterEndedError, WaitTimeoutError } from './errors.js'
import { Objects } from './objects.js'
import { Session } from './session.js'
import { abortableSleep, createTransport, type Transport, type TransportConfig } from './transport.js'
import type {
  ApiKey,
  ApiKeyParams,
  Cluster,
  ClusterConfigs,
  ClusterEvent,
  ClusterRef,
  ClusterStatus,
  ClusterSummary,
  CreateClusterRequest,
  GetJobRequestParams,
  JobRequest,
  ListClustersParams,
  ListEventsParams,
  ListJobRequestsParams,
  ListVmsParams,
  Page,
  RequestOptions,
  RerunParams,
  RerunResponse,
  ScaleRequest,
  TaskRun,
  Vm,
} from './types.js'

/**
 * Settings of a {@link HadoopEcoClient}. Anything left out comes from the environment (in
 * Node): `HADOOP_ECO_ENDPOINT`, `HADOOP_ECO_CREDENTIAL_ID`, `HADOOP_ECO_CREDENTIAL_SECRET`.
 * @example
 * const options: HadoopEcoClientOptions = { endpoint: 'http://localhost:8080', maxRetries: 4 }
 * // in the web console: same origin, the session cookie
 * const browser: HadoopEcoClientOptions = { endpoint: '', auth: 'session' }
 */
export interface HadoopEcoClientOptions {
  /**
   * Base URL, e.g. `https://hadoop-eco.kr-central-2.kakaocloud.com` or `http://localhost:8080`.
   * With `auth: 'session'` it may be `''`: relative URLs, the page's own origin.
   */
  endpoint?: string
  /**
   * How calls authenticate. `credentials` (default): the `Credential-ID` and
   * `Credential-Secret` headers on every call. `session`: the web console's session cookie,
   * which the browser keeps and sends (see {@link Session.signIn}); no credential is needed to
   * build the client, and POST, PUT and DELETE carry the session's `X-CSRF-Token`.
   */
  auth?: 'credentials' | 'session'
  /** Access key ID (header `Credential-ID`). */
  credentialId?: string
  /** Secret access key (header `Credential-Secret`). */
  credentialSecret?: string
  /**
   * The console session's CSRF token when it is known already (session mode); otherwise
   * {@link Session.signIn} or {@link Session.current} learn it.
   */
  csrfToken?: string
  /**
   * The server's admin token (`HADOOP_ECO_ADMIN_TOKEN`), sent as `Authorization: Bearer` on
   * the {@link Admin} calls only; {@link Admin.setToken} changes it at run time.
   */
  adminToken?: string
  /** Retries of a 429, a 5xx or a connection failure (default 2). */
  maxRetries?: number
  /** Per-attempt timeout in milliseconds (default 60 000). */
  timeoutMs?: number
  /** First backoff delay; it doubles per retry, with jitter (default 500 ms). */
  retryBaseDelayMs?: number
  /** Cap of one backoff delay (default 8 000 ms). */
  maxRetryDelayMs?: number
  /** A `Retry-After` longer than this is not waited for: the error is thrown (default 60 000 ms). */
  maxRetryAfterMs?: number
  /** Slowest poll interval of {@link HadoopEcoClient.waitFor} (default 2 000 ms). */
  pollIntervalMs?: number
  /** Extra headers on every request. */
  headers?: Record<string, string>
  /** A fetch implementation (default: the global `fetch`). */
  fetch?: typeof fetch
}

/**
 * What {@link HadoopEcoClient.waitFor} waits for: a status, several, `'Terminated'` for any
 * `Terminated(...)`, or a predicate on the cluster.
 * @example
 * const target: WaitTarget = (c) => c.status === 'Running' && c.workerCnt === 5
 */
export type WaitTarget =
  ClusterStatus | 'Terminated' | readonly (ClusterStatus | 'Terminated')[] | ((cluster: Cluster) => boolean)

/**
 * Options of {@link HadoopEcoClient.waitFor}.
 * @example
 * const opts: WaitOptions = { timeout: 600_000, onChange: (c) => console.log(c.status) }
 */
export interface WaitOptions {
  /** Give up after this many milliseconds (default 30 minutes). */
  timeout?: number
  /**
   * A fixed poll interval in milliseconds. Without it polls start at 250 ms and slow down to
   * the client's `pollIntervalMs`, quickening again after each status change.
   */
  interval?: number
  /** Called with the first state seen and then on every status change. */
  onChange?: (cluster: Cluster, previous: Cluster | undefined) => void | Promise<void>
  signal?: AbortSignal
}

/**
 * Options of {@link JobRequests.waitFor}: the cluster's key, and the same timing as
 * {@link WaitOptions}.
 * @example
 * const opts: WaitForRequestOptions = { apiKey, timeout: 3_600_000, onChange: (r) => console.log(r.requestStatus) }
 */
export interface WaitForRequestOptions extends ApiKeyParams {
  /** Give up after this many milliseconds (default 30 minutes). */
  timeout?: number
  /** A fixed poll interval in milliseconds; by default as {@link WaitOptions.interval}. */
  interval?: number
  /** Called with the first state seen and then on every status change. */
  onChange?: (request: JobRequest, previous: JobRequest | undefined) => void | Promise<void>
  signal?: AbortSignal
}

/**
 * Whether a status is final (`Terminated(User)`, `Terminated(UserCommand)`, `Terminated(Error)`).
 * @example
 * if (isTerminatedStatus(cluster.status)) console.log('gone')
 */
export const isTerminatedStatus = (status: string): boolean => status.startsWith('Terminated(')

const BASE = '/v2/hadoop-eco/clusters'
const env = (key: string): string | undefined =>
  typeof process === 'undefined' ? undefined : process.env[key] || undefined
const enc = encodeURIComponent
const scaleBody = (count: number | ScaleRequest): ScaleRequest =>
  typeof count === 'number' ? { scaleCnt: count } : count

/**
 * The delays between polls: a fixed interval when asked for; otherwise quick polls that slow
 * down to `pollIntervalMs`, and quicken again after each change (`reset`), so short steps are
 * seen without hammering long ones.
 */
const pollDelays = (interval: number | undefined, pollIntervalMs: number) => {
  const slowest = Math.max(10, interval ?? pollIntervalMs)
  const quickest = interval !== undefined ? slowest : Math.min(250, slowest)
  let delay = quickest
  return {
    reset: () => {
      delay = quickest
    },
    next: () => {
      const d = delay
      delay = Math.min(slowest, Math.round(delay * 1.5))
      return d
    },
  }
}

/**
 * The `Hadoop-Eco-Api-Key` header. A missing key sends no header (the server answers 401
 * `API_KEY_REQUIRED`) rather than the text "undefined", which would read as a wrong key.
 */
const keyHeader = (apiKey: string | undefined): Record<string, string> =>
  typeof apiKey === 'string' && apiKey !== '' ? { 'hadoop-eco-api-key': apiKey } : {}

const matcher = (target: WaitTarget): ((c: Cluster) => boolean) => {
  if (typeof target === 'function') return target
  const wanted: readonly string[] = typeof target === 'string' ? [target] : target
  return (c) => wanted.includes(c.status) || (wanted.includes('Terminated') && isTerminatedStatus(c.status))
}

/**
 * A job cluster's Open API key (extension: the real service issues keys in its console), on
 * `client.clusters.apiKey`. The key lets {@link Clusters.rerun} run the cluster again.
 * @example
 * const { apiKey } = await client.clusters.apiKey.issue(id)
 * await client.clusters.apiKey.revoke(id)
 */
export class ApiKeys {
  /** @internal */
  constructor(private readonly send: Transport) {}

  /**
   * Issues the cluster's key; the answer is the only time it is shown. The cluster's
   * `apiKeyStatus` must be `possible` (else 409 `API_KEY_NOT_POSSIBLE`); it is `applied` after.
   * @example
   * const { apiKey } = await client.clusters.apiKey.issue(id)
   * await secrets.put(`hadoop-eco/${id}`, apiKey)
   */
  issue(id: string, options?: RequestOptions): Promise<ApiKey> {
    return this.send({ method: 'POST', path: `${BASE}/${enc(id)}/api-key`, options })
  }

  /**
   * Revokes the cluster's key (a no-op when none is issued); `apiKeyStatus` is `possible` again.
   * @example
   * await client.clusters.apiKey.revoke(id)
   */
  async revoke(id: string, options?: RequestOptions): Promise<void> {
    await this.send({ method: 'DELETE', path: `${BASE}/${enc(id)}/api-key`, options })
  }
}

/**
 * The re-runs of a job cluster, on `client.clusters.requests`. Every call needs the
 * cluster's Open API key.
 * @example
 * const { requestId } = await client.clusters.rerun(id, { apiKey })
 * const done = await client.clusters.requests.waitFor(id, requestId, { apiKey })
 */
export class JobRequests {
  /** @internal */
  constructor(
    private readonly send: Transport,
    private readonly pollIntervalMs: number,
  ) {}

  /**
   * One re-run; with `verbose` also `clusterMeta`, what it ran with. An unknown request id is
   * a 404 `REQUEST_NOT_FOUND`.
   * @example
   * const r = await client.clusters.requests.get(id, requestId, { apiKey, verbose: true })
   * console.log(r.requestStatus, r.clusterMeta?.worker_vm.count)
   */
  get(
    id: string,
    requestId: string,
    params: GetJobRequestParams,
    options?: RequestOptions,
  ): Promise<JobRequest> {
    return this.send({
      method: 'GET',
      path: `${BASE}/${enc(id)}/requests/${enc(requestId)}`,
      query: { verbose: params.verbose ? true : undefined },
      headers: keyHeader(params.apiKey),
      options,
    })
  }

  /**
   * One page of the cluster's re-runs, newest first (extension), without `clusterMeta`.
   * @example
   * const { content } = await client.clusters.requests.list(id, { apiKey, size: 10 })
   * for (const r of content) console.log(r.requestId, r.requestStatus)
   */
  list(id: string, params: ListJobRequestsParams, options?: RequestOptions): Promise<Page<JobRequest>> {
    return this.send({
      method: 'GET',
      path: `${BASE}/${enc(id)}/requests`,
      query: { page: params.page, size: params.size },
      headers: keyHeader(params.apiKey),
      options,
    })
  }

  /**
   * Polls the request until it is no longer `Processing` and returns it: a `Fail` is returned
   * too, not thrown (look at `requestStatus` and `requestResult`). Throws
   * {@link WaitTimeoutError} (with `request`, the last state seen) after `timeout`.
   * @example
   * const r = await client.clusters.requests.waitFor(id, requestId, { apiKey, timeout: 60 * 60_000 })
   * if (r.requestStatus !== 'Success') throw new Error(r.requestResult)
   */
  async waitFor(id: string, requestId: string, options: WaitForRequestOptions): Promise<JobRequest> {
    const timeout = options.timeout ?? 30 * 60_000
    const deadline = Date.now() + timeout
    const delays = pollDelays(options.interval, this.pollIntervalMs)
    let last: JobRequest | undefined
    for (;;) {
      const request = await this.get(id, requestId, { apiKey: options.apiKey }, { signal: options.signal })
      if (!last || last.requestStatus !== request.requestStatus) {
        await options.onChange?.(request, last)
        delays.reset()
      }
      last = request
      if (request.requestStatus !== 'Processing') return request
      const left = deadline - Date.now()
      if (left <= 0) throw new WaitTimeoutError(id, undefined, timeout, request)
      await abortableSleep(Math.min(delays.next(), left), options.signal)
    }
  }
}

/**
 * The seven operations of the Hadoop Eco Open API plus the events extension, on
 * `client.clusters`; a job cluster's key and re-runs on `apiKey`, `rerun` and `requests`.
 * @example
 * const { id } = await client.clusters.create(spec)
 * const page = await client.clusters.vms(id, { sort: 'name,asc' })
 */
export class Clusters {
  /** Issue and revoke a job cluster's Open API key. */
  readonly apiKey: ApiKeys
  /** Follow a job cluster's re-runs. */
  readonly requests: JobRequests

  /** @internal */
  constructor(
    private readonly send: Transport,
    pollIntervalMs = 2000,
  ) {
    this.apiKey = new ApiKeys(send)
    this.requests = new JobRequests(send, pollIntervalMs)
  }

  /**
   * Creates a cluster; it starts `Initializing`.
   * @example
   * const ref = await client.clusters.create({ name: 'etl', clusterType: 'hadoop', ... })
   */
  create(body: CreateClusterRequest, options?: RequestOptions): Promise<ClusterRef> {
    return this.send({ method: 'POST', path: BASE, body, options })
  }

  /**
   * The full cluster object.
   * @example
   * const { status, workerCnt } = await client.clusters.get(id)
   */
  get(id: string, options?: RequestOptions): Promise<Cluster> {
    return this.send({ method: 'GET', path: `${BASE}/${enc(id)}`, options })
  }

  /**
   * One page of the project's clusters (newest first unless `sort` says otherwise).
   * @example
   * const page = await client.clusters.list({ name: 'etl', size: 50 })
   * console.log(page.totalElements, page.content.map((c) => c.name))
   */
  list(params: ListClustersParams = {}, options?: RequestOptions): Promise<Page<ClusterSummary>> {
    return this.send({ method: 'GET', path: BASE, query: { ...params }, options })
  }

  /**
   * Every page of the list, one request per page. Without a `sort`, pages go oldest first
   * (`createdAt,asc`): clusters created during the walk then land on later pages instead of
   * shifting the ones not read yet.
   * @example
   * for await (const page of client.clusters.listPages({ size: 100 })) console.log(page.number, page.numberOfElements)
   */
  async *listPages(
    params: ListClustersParams = {},
    options?: RequestOptions,
  ): AsyncGenerator<Page<ClusterSummary>, void, undefined> {
    // Oldest first unless asked otherwise, so a page boundary never skips a cluster created
    // during the walk; a key given as undefined keeps its default.
    const query: ListClustersParams = {
      ...params,
      size: params.size ?? 100,
      sort: params.sort ?? 'createdAt,asc',
    }
    for (let page = query.page ?? 0; ; page++) {
      const p = await this.list({ ...query, page }, options)
      yield p
      if (p.last || p.content.length === 0) return
    }
  }

  /**
   * Every cluster of every page, as an async iterator over the pages.
   * @example
   * for await (const c of client.clusters.listAll({ includeTerminated: false })) console.log(c.name, c.status)
   */
  async *listAll(
    params: ListClustersParams = {},
    options?: RequestOptions,
  ): AsyncGenerator<ClusterSummary, void, undefined> {
    for await (const page of this.listPages(params, options)) yield* page.content
  }

  /**
   * One page of the cluster's VMs.
   * @example
   * const { content } = await client.clusters.vms(id, { name: 'WRK', sort: 'name,asc' })
   */
  vms(id: string, params: ListVmsParams = {}, options?: RequestOptions): Promise<Page<Vm>> {
    return this.send({ method: 'GET', path: `${BASE}/${enc(id)}/vms`, query: { ...params }, options })
  }

  /**
   * Deletes the cluster; the answer's status is `Terminating`.
   * @example
   * await client.clusters.delete(id)
   * await client.waitFor(id, 'Terminated')
   */
  delete(id: string, options?: RequestOptions): Promise<ClusterRef> {
    return this.send({ method: 'DELETE', path: `${BASE}/${enc(id)}`, options })
  }

  /**
   * Adds workers; the cluster goes `Processing`, then back to `Running`.
   * @example
   * await client.clusters.scaleOut(id, 2) // or { scaleCnt: 2 }
   */
  scaleOut(id: string, count: number | ScaleRequest, options?: RequestOptions): Promise<ClusterRef> {
    return this.send({
      method: 'POST',
      path: `${BASE}/${enc(id)}/scale-out`,
      body: scaleBody(count),
      options,
    })
  }

  /**
   * Removes the highest-index workers; at least `config.hdfsReplication` must remain.
   * @example
   * await client.clusters.scaleIn(id, 1)
   */
  scaleIn(id: string, count: number | ScaleRequest, options?: RequestOptions): Promise<ClusterRef> {
    return this.send({ method: 'POST', path: `${BASE}/${enc(id)}/scale-in`, body: scaleBody(count), options })
  }

  /**
   * The cluster's history (extension), oldest first.
   * @example
   * const { content } = await client.clusters.events(id, { size: 100 })
   * for (const e of content) console.log(e.fromStatus, '->', e.toStatus, e.reason)
   */
  events(id: string, params: ListEventsParams = {}, options?: RequestOptions): Promise<Page<ClusterEvent>> {
    return this.send({ method: 'GET', path: `${BASE}/${enc(id)}/events`, query: { ...params }, options })
  }

  /**
   * The runs of the cluster's userTask (extension), newest first.
   * @example
   * const [latest] = (await client.clusters.tasks(id)).content
   * console.log(latest?.status, latest?.exitCode, latest?.reason)
   */
  tasks(id: string, params: ListEventsParams = {}, options?: RequestOptions): Promise<Page<TaskRun>> {
    return this.send({ method: 'GET', path: `${BASE}/${enc(id)}/tasks`, query: { ...params }, options })
  }

  /**
   * A task run's log text as far as it has been written (extension).
   * @example
   * const [run] = (await client.clusters.tasks(id)).content
   * if (run) process.stdout.write(await client.clusters.taskLog(id, run.id))
   */
  taskLog(id: string, taskId: string, options?: RequestOptions): Promise<string> {
    return this.send({
      method: 'GET',
      path: `${BASE}/${enc(id)}/tasks/${enc(taskId)}/log`,
      responseType: 'text',
      options,
    })
  }

  /**
   * Runs a terminated job cluster (a `hadoop` cluster with a hive or spark userTask) again,
   * with its Open API key and optional overrides. The same cluster goes through its lifecycle
   * again, runs its task and ends by its `terminationPolicy`; follow the answer's `requestId`
   * with {@link JobRequests.waitFor}. A cluster that is not terminated answers 409
   * `CLUSTER_BUSY`; a wrong or revoked key 403 `API_KEY_INVALID` ({@link ForbiddenError}).
   * @example
   * const { requestId } = await client.clusters.rerun(id, { apiKey, workerCnt: 5 }, { idempotencyKey: 'nightly-2026-11-28' })
   * const r = await client.clusters.requests.waitFor(id, requestId, { apiKey })
   */
  rerun(id: string, params: RerunParams, options?: RequestOptions): Promise<RerunResponse> {
    const { apiKey, ...body } = params
    return this.send({
      method: 'POST',
      path: `${BASE}/${enc(id)}`,
      body,
      headers: keyHeader(apiKey),
      options,
    })
  }

  /**
   * The rendered Hadoop configuration (extension): every file each role's nodes get, with its
   * absolute path. A cluster whose `config.configFileUrl` names no object, or no configurations
   * document, answers 409 (`CONFIG_FILE_NOT_FOUND`, `CONFIG_FILE_INVALID`).
   * @example
   * const { master } = await client.clusters.configs(id)
   * const core = master.find((f) => f.path === '/etc/hadoop/conf/core-site.xml')
   * console.log(core?.content)
   */
  configs(id: string, options?: RequestOptions): Promise<ClusterConfigs> {
    return this.send({ method: 'GET', path: `${BASE}/${enc(id)}/configs`, options })
  }
}

/**
 * A typed client of the Hadoop Eco Open API. Uses only the global `fetch`.
 * @example
 * import { HadoopEcoClient } from 'hadoop-eco/sdk'
 *
 * const client = new HadoopEcoClient({ endpoint: 'http://localhost:8080', credentialId: ID, credentialSecret: SECRET })
 * const { id } = await client.clusters.create(spec)
 * const cluster = await client.waitFor(id, 'Running', { onChange: (c) => console.log(c.status) })
 */
export class HadoopEcoClient {
  /** The base URL requests go to (no trailing slash). */
  readonly endpoint: string
  readonly clusters: Clusters
  /** The server's embedded Object Storage (its Swift-style route), in the credential's project. */
  readonly objects: Objects
  /** The web console's session: sign in, the current session, sign out (session mode). */
  readonly session: Session
  /** The admin API (faults), authenticated by the admin token. */
  readonly admin: Admin
  private readonly pollIntervalMs: number

  /**
   * @throws Error when no endpoint or (in `credentials` mode) no credential is given here nor
   * in the environment.
   * @example
   * // Everything from HADOOP_ECO_ENDPOINT, HADOOP_ECO_CREDENTIAL_ID and HADOOP_ECO_CREDENTIAL_SECRET:
   * const client = new HadoopEcoClient()
   * // In the browser, on the console's own origin:
   * const inBrowser = new HadoopEcoClient({ endpoint: '', auth: 'session' })
   */
  constructor(options: HadoopEcoClientOptions = {}) {
    const auth = options.auth ?? 'credentials'
    if (auth !== 'credentials' && auth !== 'session')
      throw new Error(`hadoop-eco: auth must be 'credentials' or 'session', got "${String(auth)}"`)
    const session = auth === 'session'
    const endpoint = options.endpoint ?? env('HADOOP_ECO_ENDPOINT')
    // The session's cookie lives in a browser, where '' means this page's origin.
    const sameOrigin = session && endpoint === ''
    if (!endpoint && !sameOrigin)
      throw new Error('hadoop-eco: no endpoint; pass { endpoint } or set HADOOP_ECO_ENDPOINT')
    if (!sameOrigin && !/^https?:\/\//i.test(endpoint!))
      throw new Error(`hadoop-eco: endpoint must be an http(s) URL, got "${endpoint}"`)
    // A session-mode client sends no credential, so it reads none from the environment either.
    const credentialId = session ? undefined : (options.credentialId ?? env('HADOOP_ECO_CREDENTIAL_ID'))
    const credentialSecret = session
      ? undefined
      : (options.credentialSecret ?? env('HADOOP_ECO_CREDENTIAL_SECRET'))
    if (!session && (!credentialId || !credentialSecret))
      throw new Error(
        'hadoop-eco: no credential; pass { credentialId, credentialSecret } or set HADOOP_ECO_CREDENTIAL_ID and HADOOP_ECO_CREDENTIAL_SECRET',
      )
    // Browsers throw "Illegal invocation" when fetch is called as a method of another object
    // (the transport keeps it in its settings): the global one is called through a closure.
    const fetchImpl: typeof fetch | undefined =
      options.fetch ??
      (typeof globalThis.fetch === 'function' ? (input, init) => globalThis.fetch(input, init) : undefined)
    if (typeof fetchImpl !== 'function') throw new Error('hadoop-eco: no global fetch; pass { fetch }')
    this.endpoint = (endpoint ?? '').replace(/\/+$/, '')
    this.pollIntervalMs = options.pollIntervalMs ?? 2000
    const state = {
      ...(options.csrfToken ? { csrfToken: options.csrfToken } : {}),
      ...(options.adminToken ? { adminToken: options.adminToken } : {}),
    }
    const transport: TransportConfig = {
      endpoint: this.endpoint,
      auth,
      credentialId,
      credentialSecret,
      state,
      maxRetries: options.maxRetries ?? 2,
      timeoutMs: options.timeoutMs ?? 60_000,
      retryBaseDelayMs: options.retryBaseDelayMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 8000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
      headers: options.headers ?? {},
      fetch: fetchImpl,
    }
    const send = createTransport(transport)
    this.clusters = new Clusters(send, this.pollIntervalMs)
    this.objects = new Objects(transport)
    this.session = new Session(send, state)
    this.admin = new Admin(send, state)
  }

  /**
   * Polls the cluster until it matches `target`, and returns it. Throws
   * {@link ClusterEndedError} when the cluster reaches a `Terminated(...)` status that does not
   * match (it would never change again) and {@link WaitTimeoutError} after `timeout`.
   * @example
   * await client.waitFor(id, 'Running', { timeout: 15 * 60_000, onChange: (c, prev) => console.log(prev?.status, '->', c.status) })
   * await client.waitFor(id, (c) => c.status === 'Running' && c.workerCnt === 5)
   * await client.waitFor(id, 'Terminated')
   */
  async waitFor(id: string, target: WaitTarget, options: WaitOptions = {}): Promise<Cluster> {
    const matches = matcher(target)
    const timeout = options.timeout ?? 30 * 60_000
    const deadline = Date.now() + timeout
    const delays = pollDelays(options.interval, this.pollIntervalMs)
    let last: Cluster | undefined
    for (;;) {
      const cluster = await this.clusters.get(id, { signal: options.signal })
      if (!last || last.status !== cluster.status) {
        await options.onChange?.(cluster, last)
        delays.reset()
      }
      last = cluster
      if (matches(cluster)) return cluster
      if (isTerminatedStatus(cluster.status)) throw new ClusterEndedError(cluster)
      const left = deadline - Date.now()
      if (left <= 0) throw new WaitTimeoutError(id, cluster, timeout)
      await abortableSleep(Math.min(delays.next(), left), options.signal)
    }
  }
}
