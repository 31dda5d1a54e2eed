import type { Generated } from 'kysely'

/**
 * Portable column types: epoch-ms integers, booleans as 0/1 integers, JSON as text. The same
 * rows read the same on SQLite and PostgreSQL.
 */
export interface ClustersTable {
  seq: Generated<number>
  id: string
  project: string
  name: string
  owner: string
  status: string
  /** The status a Terminating cluster ends in. */
  terminal_status: string | null
  cluster_type: string
  cluster_version: string
  api_key_status: string
  master_cnt: number
  worker_cnt: number
  /** Desired worker count; differs from worker_cnt while a scale is under way. */
  target_worker_cnt: number
  hdfs_replication: number
  created_at: number
  running_at: number | null
  terminated_at: number | null
  updated_at: number
  /** The validated create request, secrets included (never serialized to a response). */
  spec: string
  /** What the lifecycle learned: security group ids, UI URLs, task outcome, last error. */
  info: string
  /** totalVmUptime without a scan: closed + live_count * now - live_created_sum. */
  vm_uptime_closed: number
  vm_live_count: number
  vm_live_created_sum: number
  next_master_index: number
  next_worker_index: number
}

export interface VmsTable {
  seq: Generated<number>
  cluster_id: string
  instance_id: string
  name: string
  is_master: number
  idx: number
  status: string
  flavor_name: string
  ip: string
  created_at: number
  ended_at: number | null
}

export interface EventsTable {
  seq: Generated<number>
  cluster_id: string
  at: number
  type: string
  from_status: string | null
  to_status: string | null
  reason: string
  message: string
}

export interface SettingsTable {
  key: string
  value: string
}

export interface CredentialsTable {
  id: string
  project: string
  owner: string
  secret_hash: string
  created_at: number
  revoked_at: number | null
}

export interface IdempotencyTable {
  project: string
  key: string
  request_hash: string
  state: string
  response_status: number | null
  response_body: string | null
  created_at: number
}

export interface WorkTable {
  cluster_id: string
  due_at: number
  lease_owner: string | null
  lease_expires_at: number | null
  /** Set when new desired state arrives while a reconciler holds the lease: look again at once. */
  dirty: number
  attempts: number
}

export interface FaultsTable {
  id: string
  cluster_name_glob: string | null
  path_glob: string | null
  fault: string
  status: number | null
  times_left: number | null
  created_at: number
}

export interface SimOpsTable {
  key: string
  cluster_id: string
  kind: string
  started_at: number
  ready_at: number
  outcome: string
  result: string
}

export interface TaskRunsTable {
  seq: Generated<number>
  id: string
  cluster_id: string
  type: string
  status: string
  created_at: number
  started_at: number | null
  ended_at: number | null
  exit_code: number | null
  reason: string | null
  message: string | null
  log_bucket: string | null
  log_key: string | null
  /** The log itself when the task has no log bucket: the server keeps it (DESIGN section 8). */
  log_text: string | null
}

export interface ApiKeysTable {
  cluster_id: string
  /** SHA-256 of the key, hex: the key itself is shown once and never stored. */
  key_hash: string
  created_at: number
}

export interface JobRequestsTable {
  seq: Generated<number>
  id: string
  cluster_id: string
  run: number
  status: string
  result: string
  /** JSON: the clusterMainSettingValues the run was accepted with. */
  settings: string
  /** JSON: the clusterMeta (snake_case) of the run. */
  meta: string
  created_at: number
  ended_at: number | null
}

/** A web console session (DESIGN section 13). */
export interface ConsoleSessionsTable {
  /** SHA-256 of the cookie's token, hex: the token itself is only in the browser. */
  token_hash: string
  credential_id: string
  project: string
  csrf_token: string
  created_at: number
  /** The request that last moved `expires_at` (not every request does: see services/console-sessions.ts). */
  last_seen_at: number
  expires_at: number
}

export interface Tables {
  console_sessions: ConsoleSessionsTable
  api_keys: ApiKeysTable
  job_requests: JobRequestsTable
  task_runs: TaskRunsTable
  clusters: ClustersTable
  vms: VmsTable
  events: EventsTable
  credentials: CredentialsTable
  idempotency_keys: IdempotencyTable
  work: WorkTable
  faults: FaultsTable
  sim_ops: SimOpsTable
  settings: SettingsTable
}
