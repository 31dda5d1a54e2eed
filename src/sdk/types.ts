/**
 * The SDK's request and response types. They come from the server's wire schemas with
 * type-only imports, so they cannot drift from what the server sends and nothing of TypeBox
 * is loaded at runtime.
 */
import type { Static } from '@sinclair/typebox'
import type {
  ClusterConfigs as WireClusterConfigs,
  ConfigFile as WireConfigFile,
  ConsoleSession as WireConsoleSession,
  ConsoleSignIn as WireConsoleSignIn,
} from '../wire/schemas.js'
import type {
  Cluster,
  ClusterEvent,
  ClusterRef,
  ClusterStatusName,
  ClusterSummary,
  CreateClusterRequest,
  ErrorBody,
  Page,
  ScaleRequestSchema,
  TaskRun,
  Vm,
} from '../wire/schemas.js'

export type {
  Cluster,
  ClusterEvent,
  ClusterRef,
  ClusterSummary,
  CreateClusterRequest,
  ErrorBody,
  Page,
  TaskRun,
  Vm,
}

/**
 * A cluster status as the API prints it.
 * @example
 * const done: ClusterStatus = 'Terminated(User)'
 */
export type ClusterStatus = ClusterStatusName

/**
 * The body of scale-out and scale-in: how many workers to add or remove.
 * @example
 * const body: ScaleRequest = { scaleCnt: 2 }
 */
export type ScaleRequest = Static<typeof ScaleRequestSchema>

/**
 * One entry of an error envelope's field list.
 * @example
 * const e: FieldError = { field: 'workerCnt', code: 'WORKER_COUNT_BELOW_REPLICATION', message: '...' }
 */
export type FieldError = ErrorBody['errors'][number]

/**
 * Paging and sorting common to every list. `sort` is `field,asc|desc`; give several to break ties.
 * @example
 * const p: PageParams = { page: 0, size: 50, sort: ['name,asc', 'createdAt,desc'] }
 */
export interface PageParams {
  /** 0-based page number (default 0). */
  page?: number
  /** Page size, 1..1000 (default 20). */
  size?: number
  /** `field,asc|desc`, repeatable; the first has priority. */
  sort?: string | readonly string[]
}

/**
 * Filters of `GET /v2/hadoop-eco/clusters`. `name` and `apiKeyStatus` are case-insensitive substrings.
 * @example
 * const q: ListClustersParams = { name: 'test', includeTerminated: false, sort: 'createdAt,asc' }
 */
export interface ListClustersParams extends PageParams {
  name?: string
  apiKeyStatus?: string
  /** Include terminated clusters (server default: true). */
  includeTerminated?: boolean
}

/**
 * Filters of `GET /v2/hadoop-eco/clusters/{id}/vms` (case-insensitive substrings).
 * @example
 * const q: ListVmsParams = { name: 'WRK', sort: 'name,desc' }
 */
export interface ListVmsParams extends PageParams {
  name?: string
  ip?: string
  instanceId?: string
  status?: string
}

/**
 * Paging of the events extension (`GET /v2/hadoop-eco/clusters/{id}/events`), oldest first.
 * @example
 * const q: ListEventsParams = { size: 100 }
 */
export interface ListEventsParams {
  page?: number
  size?: number
}

/**
 * Options of a single call; they override the client's defaults.
 * @example
 * await client.clusters.delete(id, { idempotencyKey: 'delete-nightly-2026-11-28', timeoutMs: 5_000 })
 */
export interface RequestOptions {
  /** Cancels the call (and its retries). */
  signal?: AbortSignal
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number
  /** How many times to retry a 429, a 5xx or a connection failure. */
  maxRetries?: number
  /**
   * Key for POST and DELETE. One is generated per call when omitted; give your own to make a
   * call idempotent across processes (the server replays the first answer for 24 hours).
   */
  idempotencyKey?: string
}

/**
 * The configuration files every node of a cluster gets (`GET .../configs`, extension): the
 * masters get every file, the workers those of the daemons they run.
 * @example
 * const { master, worker } = await client.clusters.configs(id)
 * console.log(master.map((f) => f.path), worker.length)
 */
export type ClusterConfigs = WireClusterConfigs

/**
 * One rendered file: its absolute path on the node and its text.
 * @example
 * const core = configs.master.find((f: ConfigFile) => f.path.endsWith('/core-site.xml'))
 */
export type ConfigFile = WireConfigFile

/*
 * DESIGN section 11, job clusters. Written here rather than derived from the wire schemas so
 * the SDK can offer literal unions (`requestStatus`, `jobType`) where the wire says `string`.
 */

/**
 * A job cluster's Open API key, as issued. The server shows it this once; keep it secret
 * (it re-runs the cluster), e.g. in a secret store or `HADOOP_ECO_API_KEY`.
 * @example
 * const { apiKey } = await client.clusters.apiKey.issue(id)
 */
export interface ApiKey {
  clusterId: string
  apiKey: string
}

/**
 * The Open API key of a job cluster, sent as the `Hadoop-Eco-Api-Key` header by the re-run
 * and request calls.
 * @example
 * const key: ApiKeyParams = { apiKey: process.env.HADOOP_ECO_API_KEY ?? '' }
 */
export interface ApiKeyParams {
  apiKey: string
}

/**
 * The body of a re-run: what to change for this run. Every field is optional; the server
 * checks the ranges of a create (and replication <= workers). The deploy mode applies to a
 * spark task only.
 * @example
 * const body: RerunRequest = { workerCnt: 5, userTaskExecParams: '--date 2026-11-28' }
 */
export interface RerunRequest {
  workerCnt?: number
  /** GB per worker. */
  workerVolumeSize?: number
  configHdfsReplication?: number
  /** MB. */
  configHdfsBlockSize?: number
  userTaskDeployMode?: 'cluster' | 'client'
  userTaskExecOpts?: string
  userTaskExecParams?: string
}

/**
 * The arguments of {@link Clusters.rerun}: the key and the overrides.
 * @example
 * await client.clusters.rerun(id, { apiKey, workerCnt: 5 })
 */
export interface RerunParams extends RerunRequest, ApiKeyParams {}

/**
 * The settings a re-run runs with, overrides applied; settings that do not apply to the
 * cluster's task are left out.
 * @example
 * const { clusterMainSettingValues: s } = await client.clusters.rerun(id, { apiKey })
 * console.log(s.jobType, s.workerCnt)
 */
export interface ClusterMainSettingValues {
  workerCnt: number
  workerVolumeSize: number
  configHdfsReplication: number
  configHdfsBlockSize: number
  jobType: 'hive' | 'spark'
  userTaskDeployMode?: 'cluster' | 'client'
  userTaskExecOpts?: string
  userTaskExecParams?: string
}

/**
 * The answer of a re-run: the request to follow with {@link JobRequests.get} or
 * {@link JobRequests.waitFor}.
 * @example
 * const { requestId } = await client.clusters.rerun(id, { apiKey })
 */
export interface RerunResponse {
  clusterId: string
  clusterName: string
  requestId: string
  clusterMainSettingValues: ClusterMainSettingValues
}

/**
 * Where a re-run is: `Processing` until its task succeeded (`Success`) or failed, or the
 * cluster ended `Terminated(Error)` (`Fail`).
 * @example
 * const done = (s: JobRequestStatus) => s !== 'Processing'
 */
export type JobRequestStatus = 'Processing' | 'Success' | 'Fail'

/**
 * One node group of {@link ClusterMeta}.
 * @example
 * const workers: ClusterMetaVm = { flavor_name: 'm2a.xlarge', volume_size: 100, count: 3 }
 */
export interface ClusterMetaVm {
  flavor_name: string
  volume_size: number
  count: number
}

/**
 * What a re-run ran (`verbose=true`), in the real service's snake_case. Never a password.
 * @example
 * const { clusterMeta } = await client.clusters.requests.get(id, requestId, { apiKey, verbose: true })
 * console.log(clusterMeta?.worker_vm.count)
 */
export interface ClusterMeta {
  cluster_name: string
  cluster_type: string
  cluster_version: string
  master_vm: ClusterMetaVm
  worker_vm: ClusterMetaVm
  user_cluster_exec_command: {
    type: 'hive' | 'spark'
    termination_policy: 'never' | 'onSuccess' | 'always'
    hive_query?: string
    file_url?: string
    deploy_mode?: 'cluster' | 'client'
    exec_opts?: string
    exec_params?: string
    log_bucket_name?: string
  }
}

/**
 * One re-run of a job cluster. `requestResult` is a sentence saying where it is or how it
 * ended; `clusterMeta` comes only with `verbose`.
 * @example
 * const r: JobRequest = await client.clusters.requests.get(id, requestId, { apiKey })
 * if (r.requestStatus === 'Fail') console.error(r.requestResult)
 */
export interface JobRequest {
  clusterId: string
  clusterName: string
  requestId: string
  requestStatus: JobRequestStatus
  requestResult: string
  clusterMeta?: ClusterMeta
}

/**
 * Arguments of {@link JobRequests.get}.
 * @example
 * const q: GetJobRequestParams = { apiKey, verbose: true }
 */
export interface GetJobRequestParams extends ApiKeyParams {
  /** Add `clusterMeta`: what the run ran with. */
  verbose?: boolean
}

/**
 * Arguments of {@link JobRequests.list}: the key and paging (newest first).
 * @example
 * const q: ListJobRequestsParams = { apiKey, size: 50 }
 */
export interface ListJobRequestsParams extends ApiKeyParams {
  page?: number
  size?: number
}

/*
 * DESIGN section 13, the web console's session (derived from the wire schemas).
 */

/**
 * A web console session: whose it is, the token its mutations carry as `X-CSRF-Token`, and
 * when it ends unless used (every request moves `expiresAt` on). The session itself is an
 * HttpOnly cookie that page scripts never see.
 * @example
 * const s: ConsoleSession = await client.session.current()
 * console.log(s.credentialId, s.projectId, new Date(s.expiresAt))
 */
export type ConsoleSession = WireConsoleSession

/**
 * The body of {@link Session.signIn}: a credential, checked once and never stored.
 * @example
 * const creds: ConsoleSignIn = { credentialId: form.id, credentialSecret: form.secret }
 */
export type ConsoleSignIn = WireConsoleSignIn

/*
 * DESIGN section 7, the admin API's faults. Written here (the admin API has no wire schemas)
 * so that `fault` is a literal union.
 */

/**
 * What a fault does: a provisioning or installation failure (the cluster ends
 * `Terminated(Error)`), a failed userTask, or an error answer to matching API requests.
 * @example
 * const kind: FaultKind = 'apiError'
 */
export type FaultKind = 'provisionFailure' | 'installFailure' | 'taskFailure' | 'apiError'

/**
 * Which clusters (by name) or requests (by path) a fault hits: shell globs, `*` and `?`.
 * @example
 * const match: FaultMatch = { clusterName: 'etl-*' }
 */
export interface FaultMatch {
  clusterName?: string
  path?: string
}

/**
 * A fault to inject (`POST /_admin/faults`). `apiError` needs `match.path` (and answers
 * `status`, default 500); the other kinds need `match.clusterName`. `times` (default unlimited)
 * is how many clusters or requests it hits.
 * @example
 * const f: NewFault = { fault: 'apiError', match: { path: '/v2/hadoop-eco/clusters' }, status: 503, times: 2 }
 */
export interface NewFault {
  fault: FaultKind
  match?: FaultMatch
  status?: number
  times?: number
}

/**
 * An injected fault as the server keeps it; `times` counts down as it hits.
 * @example
 * const faults: Fault[] = await client.admin.faults.list()
 * for (const f of faults) console.log(f.id, f.fault, f.match, f.times ?? 'unlimited')
 */
export interface Fault {
  id: string
  fault: FaultKind
  match: FaultMatch
  status?: number
  times?: number
  /** Epoch milliseconds. */
  createdAt: number
}
