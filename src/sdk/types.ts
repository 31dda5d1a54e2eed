/**
 * The SDK's request and response types. They come from the server's wire schemas with
 * type-only imports, so they cannot drift from what the server sends and nothing of TypeBox
 * is loaded at runtime.
 */
import type { Static } from '@sinclair/typebox'
import type { ClusterConfigs as WireClusterConfigs, ConfigFile as WireConfigFile } from '../wire/schemas.js'
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
