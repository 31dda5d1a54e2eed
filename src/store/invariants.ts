import type { Kysely, Selectable } from 'kysely'
import {
  CLUSTER_STATUSES,
  canTransition,
  deriveApiKeyStatus,
  isTerminated,
  type ClusterStatus,
} from '../domain/statuses.js'
import { Check, type InvariantCheck } from '../domain/invariants.js'
import { vmName } from '../domain/vm.js'
import { toSimRecord, type SimRecord } from './sim-ops.js'
import type { ClustersTable, EventsTable, JobRequestsTable, Tables, VmsTable } from './tables.js'

/**
 * What must hold of the stored state at any quiet moment, whatever the history of requests,
 * crashes and restarts that led to it (DESIGN sections 4 and 5). Soak and shutdown tests run
 * this against the database a real server left behind; it reads only, in one snapshot.
 */
export type { InvariantCheck } from '../domain/invariants.js'

export interface InvariantReport {
  ok: boolean
  checks: InvariantCheck[]
}

/**
 * Statuses in which nothing is under way: the counts on the row must agree with the VM rows.
 * In the others (Creating, Processing, Terminating, ...) a reconciler step is half-way by design.
 */
const STABLE: readonly ClusterStatus[] = [
  'Running',
  'Terminated(User)',
  'Terminated(UserCommand)',
  'Terminated(Error)',
]
const TRANSITIONAL: readonly ClusterStatus[] = CLUSTER_STATUSES.filter((s) => !STABLE.includes(s))

interface SpecFacts {
  isHa: boolean
  clusterType: string
  hasUserTask: boolean
}

/** Only the facts the checks need: the spec also holds secrets, which must not travel further. */
const specFacts = (spec: string): SpecFacts => {
  const s = JSON.parse(spec) as { isHa?: unknown; clusterType?: unknown; userTask?: unknown }
  return { isHa: s.isHa === true, clusterType: String(s.clusterType), hasUserTask: s.userTask != null }
}

const groupBy = <T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> => {
  const m = new Map<string, T[]>()
  for (const r of rows) {
    const k = key(r)
    const list = m.get(k)
    if (list) list.push(r)
    else m.set(k, [r])
  }
  return m
}

const CLUSTER_COLUMNS = [
  'id',
  'project',
  'name',
  'status',
  'terminal_status',
  'api_key_status',
  'master_cnt',
  'worker_cnt',
  'target_worker_cnt',
  'running_at',
  'terminated_at',
  'spec',
  'info',
  'vm_uptime_closed',
  'vm_live_count',
  'vm_live_created_sum',
  'next_master_index',
  'next_worker_index',
] as const
const VM_COLUMNS = [
  'cluster_id',
  'instance_id',
  'name',
  'is_master',
  'idx',
  'status',
  'created_at',
  'ended_at',
] as const
const EVENT_COLUMNS = ['seq', 'cluster_id', 'type', 'from_status', 'to_status', 'reason'] as const

/**
 * Runs every check on one consistent snapshot (a read transaction: repeatable read on
 * PostgreSQL, a WAL snapshot on SQLite). Works on both backends; never writes.
 */
export const checkInvariants = (
  db: Kysely<Tables>,
  opts: { providerChecks?: ProviderChecks } = {},
): Promise<InvariantReport> =>
  db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const clusters = await trx.selectFrom('clusters').select(CLUSTER_COLUMNS).orderBy('seq').execute()
      const vms = await trx.selectFrom('vms').select(VM_COLUMNS).orderBy('seq').execute()
      const transitions = await trx
        .selectFrom('events')
        .select(EVENT_COLUMNS)
        .where((eb) => eb.or([eb('to_status', 'is not', null), eb('from_status', 'is not', null)]))
        .orderBy('cluster_id')
        .orderBy('seq')
        .execute()
      const work = new Set(
        (await trx.selectFrom('work').select('cluster_id').execute()).map((w) => w.cluster_id),
      )
      const keys = new Set(
        (await trx.selectFrom('api_keys').select('cluster_id').execute()).map((k) => k.cluster_id),
      )
      const requests = await trx
        .selectFrom('job_requests')
        .select(['id', 'cluster_id', 'status'])
        .orderBy('seq')
        .execute()
      const own = evaluate({ clusters, vms, transitions, work, keys, requests })
      if (!opts.providerChecks) return own
      const records = (await trx.selectFrom('sim_ops').selectAll().execute()).map(toSimRecord)
      const extra = opts.providerChecks({
        clusters: clusters.map((c) => ({ id: c.id, name: c.name, status: c.status })),
        vms: vms.map((v) => ({
          clusterId: v.cluster_id,
          name: v.name,
          instanceId: v.instance_id,
          live: v.ended_at === null,
        })),
        simRecords: records,
      })
      const checks = [...own.checks, ...extra]
      return { ok: checks.every((c) => c.ok), checks }
    })

/**
 * What a provider's own checks see of the snapshot: it owns the meaning of its records, so
 * the store hands them over unparsed.
 */
export interface ProviderCheckInput {
  clusters: { id: string; name: string; status: string }[]
  vms: { clusterId: string; name: string; instanceId: string; live: boolean }[]
  simRecords: SimRecord[]
}
export type ProviderChecks = (input: ProviderCheckInput) => InvariantCheck[]

type Snapshot = {
  clusters: Pick<Selectable<ClustersTable>, (typeof CLUSTER_COLUMNS)[number]>[]
  vms: Pick<Selectable<VmsTable>, (typeof VM_COLUMNS)[number]>[]
  transitions: Pick<Selectable<EventsTable>, (typeof EVENT_COLUMNS)[number]>[]
  work: Set<string>
  /** Clusters with an Open API key. */
  keys: Set<string>
  requests: Pick<Selectable<JobRequestsTable>, 'id' | 'cluster_id' | 'status'>[]
}

const evaluate = ({ clusters, vms, transitions, work, keys, requests }: Snapshot): InvariantReport => {
  // PostgreSQL returns bigint columns as strings: compare numbers, not their spellings.
  const n = (v: number | string | null) => (v === null ? null : Number(v))
  const byId = new Map(clusters.map((c) => [c.id, c]))
  const vmsOf = groupBy(vms, (v) => v.cluster_id)

  const vmNames = new Check(
    'vm-names',
    'VM names unique per cluster and spelled Hadoop{MST|WRK}-{cluster}-{index}',
  )
  const vmIndexes = new Check(
    'vm-indexes',
    'no (cluster, role, index) used twice, ever; next_*_index above every index ever used',
  )
  const vmOwners = new Check('vm-owners', 'every VM row belongs to an existing cluster; instance ids unique')
  const counts = new Check(
    'counts',
    'vm_live_count / vm_live_created_sum / vm_uptime_closed match the VM rows; in Running and Terminated(*) the master/worker counts match the live VMs',
  )
  const statusFields = new Check(
    'status-fields',
    'known status; terminated_at/running_at/terminal_status/apiKeyStatus agree with the status',
  )
  const liveNames = new Check('live-names', 'no two non-terminated clusters share a name in one project')
  const events = new Check(
    'event-chain',
    'status events start at Initializing, chain from_status to the previous to_status along allowed moves (out of Terminated(*) only by a re-run), and end at the current status',
  )
  const pending = new Check(
    'pending-work',
    'every cluster in a transitional status has a work item (else it is stuck)',
  )

  // ---- VMs ----
  const instanceIds = new Map<string, string>()
  for (const v of vms) {
    vmOwners.checked++
    if (!byId.has(v.cluster_id))
      vmOwners.fail(`VM ${v.name} (${v.instance_id}) belongs to no cluster (${v.cluster_id})`)
    const seen = instanceIds.get(v.instance_id)
    if (seen !== undefined) vmOwners.fail(`instance ${v.instance_id} recorded twice (${seen}, ${v.name})`)
    instanceIds.set(v.instance_id, v.name)
  }
  for (const c of clusters) {
    const own = vmsOf.get(c.id) ?? []
    vmNames.checked += own.length
    vmIndexes.checked += own.length
    const names = new Set<string>()
    const slots = new Set<string>()
    let maxMaster = 0
    let maxWorker = 0
    for (const v of own) {
      const master = v.is_master === 1
      if (names.has(v.name)) vmNames.fail(`cluster ${c.name} (${c.id}): VM name ${v.name} used twice`)
      names.add(v.name)
      if (v.name !== vmName(c.name, master ? 'master' : 'worker', v.idx))
        vmNames.fail(
          `cluster ${c.name} (${c.id}): VM ${v.name} should be named ${vmName(c.name, master ? 'master' : 'worker', v.idx)}`,
        )
      const slot = `${master ? 'master' : 'worker'} ${v.idx}`
      if (slots.has(slot)) vmIndexes.fail(`cluster ${c.name} (${c.id}): ${slot} used twice`)
      slots.add(slot)
      if (v.idx < 1) vmIndexes.fail(`cluster ${c.name} (${c.id}): ${slot} is below 1`)
      if (master) maxMaster = Math.max(maxMaster, v.idx)
      else maxWorker = Math.max(maxWorker, v.idx)
    }
    if (c.next_master_index <= maxMaster)
      vmIndexes.fail(
        `cluster ${c.name} (${c.id}): next_master_index ${c.next_master_index} <= master index ${maxMaster} already used`,
      )
    if (c.next_worker_index <= maxWorker)
      vmIndexes.fail(
        `cluster ${c.name} (${c.id}): next_worker_index ${c.next_worker_index} <= worker index ${maxWorker} already used`,
      )
  }

  // ---- counts and status fields ----
  const chainsOf = groupBy(transitions, (e) => e.cluster_id)
  for (const c of clusters) {
    counts.checked++
    statusFields.checked++
    const label = `cluster ${c.name} (${c.id}, ${c.status})`
    const own = vmsOf.get(c.id) ?? []
    const live = own.filter((v) => v.ended_at === null)
    const liveSum = live.reduce((s, v) => s + Number(v.created_at), 0)
    const closed = own
      .filter((v) => v.ended_at !== null)
      .reduce((s, v) => s + Math.max(0, Number(v.ended_at) - Number(v.created_at)), 0)
    if (c.vm_live_count !== live.length)
      counts.fail(`${label}: vm_live_count ${c.vm_live_count} but ${live.length} live VM rows`)
    if (n(c.vm_live_created_sum) !== liveSum)
      counts.fail(`${label}: vm_live_created_sum ${c.vm_live_created_sum} but the live VMs sum to ${liveSum}`)
    // Past the retention setting a terminated cluster's VM rows and events are deleted together
    // (store/retention.ts); its counters stay on the row and no longer have rows to sum.
    const purged = isTerminated(c.status as ClusterStatus) && own.length === 0 && !chainsOf.has(c.id)
    if (n(c.vm_uptime_closed) !== closed && !purged)
      counts.fail(`${label}: vm_uptime_closed ${c.vm_uptime_closed} but the ended VMs sum to ${closed}`)

    const known = (CLUSTER_STATUSES as readonly string[]).includes(c.status)
    if (!known) {
      statusFields.fail(`${label}: unknown status`)
      continue
    }
    const status = c.status as ClusterStatus
    let facts: SpecFacts | undefined
    try {
      facts = specFacts(c.spec)
    } catch {
      statusFields.fail(`${label}: spec is not JSON`)
    }
    const liveMasters = live.filter((v) => v.is_master === 1).length
    const liveWorkers = live.length - liveMasters
    if (status === 'Running') {
      const masters = facts?.isHa ? 3 : 1
      if (c.master_cnt !== masters || liveMasters !== masters)
        counts.fail(
          `${label}: isHa=${facts?.isHa}: master_cnt ${c.master_cnt}, ${liveMasters} live masters, want ${masters}`,
        )
      if (c.worker_cnt !== liveWorkers || c.target_worker_cnt !== c.worker_cnt)
        counts.fail(
          `${label}: worker_cnt ${c.worker_cnt}, target_worker_cnt ${c.target_worker_cnt}, ${liveWorkers} live workers`,
        )
      const notRunning = live.filter((v) => v.status !== 'Running')
      if (notRunning.length > 0)
        counts.fail(
          `${label}: live VMs not Running: ${notRunning.map((v) => `${v.name}=${v.status}`).join(', ')}`,
        )
      if (c.running_at === null) statusFields.fail(`${label}: running_at is not set`)
    }
    if (isTerminated(status)) {
      if (live.length > 0)
        counts.fail(`${label}: ${live.length} VM(s) still live: ${live.map((v) => v.name).join(', ')}`)
      if (c.master_cnt !== 0 || c.worker_cnt !== 0)
        counts.fail(`${label}: master_cnt ${c.master_cnt} and worker_cnt ${c.worker_cnt}, want 0 and 0`)
      if (c.terminated_at === null) statusFields.fail(`${label}: terminated_at is not set`)
      if (c.terminal_status !== null && c.terminal_status !== status)
        statusFields.fail(`${label}: terminal_status says ${c.terminal_status}`)
    } else if (c.terminated_at !== null)
      // The live-name unique index is keyed on terminated_at: a stray value frees the name early.
      statusFields.fail(`${label}: terminated_at is set on a cluster that is not terminated`)
    if (status === 'Terminating' && c.terminal_status === null)
      statusFields.fail(`${label}: Terminating without a terminal_status`)
    if (facts) {
      let hasRun = false
      try {
        hasRun = (JSON.parse(c.info) as { run?: unknown }).run !== undefined
      } catch {
        hasRun = false
      }
      const want = deriveApiKeyStatus({
        clusterType: facts.clusterType,
        hasUserTask: facts.hasUserTask,
        status,
        hasRun,
      })
      if (c.api_key_status !== want && c.api_key_status !== 'applied')
        statusFields.fail(`${label}: apiKeyStatus ${c.api_key_status}, want ${want}`)
    }
    pending.checked++
    if (TRANSITIONAL.includes(status) && !work.has(c.id)) pending.fail(`${label}: no work item`)
  }

  // ---- names ----
  const liveByName = groupBy(
    clusters.filter((c) => !isTerminated(c.status)),
    (c) => `${c.project}\u0000${c.name}`,
  )
  for (const same of liveByName.values()) {
    liveNames.checked++
    if (same.length > 1)
      liveNames.fail(
        `project ${same[0]!.project}: name ${same[0]!.name} held by ${same.map((c) => `${c.id} (${c.status})`).join(', ')}`,
      )
  }

  // ---- events ----
  for (const c of clusters) {
    events.checked++
    const label = `cluster ${c.name} (${c.id})`
    const chain = chainsOf.get(c.id) ?? []
    if (chain.length === 0) {
      // A terminated cluster past retention has no history left (see counts above).
      const purged = isTerminated(c.status as ClusterStatus) && !vmsOf.has(c.id)
      if (!purged) events.fail(`${label}: no status events`)
      continue
    }
    let prev: string | null = null
    for (const [i, e] of chain.entries()) {
      const at = `${label} event seq ${e.seq}`
      if (e.type !== 'StatusChanged' || e.to_status === null) {
        events.fail(`${at}: ${e.type} event with from_status=${e.from_status} to_status=${e.to_status}`)
        break
      }
      if (i === 0) {
        if (e.from_status !== null || e.to_status !== 'Initializing')
          events.fail(`${at}: history starts ${e.from_status} -> ${e.to_status}, not -> Initializing`)
      } else if (e.from_status !== prev) {
        events.fail(`${at}: ${e.from_status} -> ${e.to_status} does not follow the previous -> ${prev}`)
      } else if (
        !(CLUSTER_STATUSES as readonly string[]).includes(e.from_status ?? '') ||
        !(CLUSTER_STATUSES as readonly string[]).includes(e.to_status) ||
        !canTransition(e.from_status as ClusterStatus, e.to_status as ClusterStatus)
      ) {
        events.fail(`${at}: ${e.from_status} -> ${e.to_status} is not an allowed move`)
      } else if (isTerminated(e.from_status ?? '') && e.reason !== 'RERUN_REQUESTED') {
        // Only a job-cluster re-run brings a terminated cluster back (DESIGN section 11).
        events.fail(`${at}: ${e.from_status} -> ${e.to_status} with reason ${e.reason}, not RERUN_REQUESTED`)
      }
      prev = e.to_status
    }
    if (prev !== c.status)
      events.fail(`${label}: last status event ends at ${prev}, the cluster is ${c.status}`)
  }
  for (const id of chainsOf.keys())
    if (!byId.has(id)) events.fail(`status events for cluster ${id}, which does not exist`)

  // ---- job clusters ----
  const jobs = new Check(
    'job-clusters',
    "apiKeyStatus is applied exactly when a key is stored; a Processing request is its cluster's current run, which is not terminated",
  )
  for (const c of clusters) {
    jobs.checked++
    if ((c.api_key_status === 'applied') !== keys.has(c.id))
      jobs.fail(
        `cluster ${c.name} (${c.id}): apiKeyStatus ${c.api_key_status}, ${keys.has(c.id) ? 'a' : 'no'} key stored`,
      )
  }
  for (const id of keys)
    if (!byId.has(id)) jobs.fail(`a key is stored for cluster ${id}, which does not exist`)
  for (const r of requests) {
    jobs.checked++
    const c = byId.get(r.cluster_id)
    if (!c) {
      jobs.fail(`request ${r.id} belongs to cluster ${r.cluster_id}, which does not exist`)
      continue
    }
    if (r.status !== 'Processing') continue
    let current: string | undefined
    try {
      current = (JSON.parse(c.info) as { run?: { requestId?: string } }).run?.requestId
    } catch {
      current = undefined
    }
    if (current !== r.id || isTerminated(c.status))
      jobs.fail(
        `request ${r.id} is Processing, but cluster ${c.name} (${c.id}) is ${c.status} on ${current ? `request ${current}` : 'no re-run'}`,
      )
  }

  const checks = [vmNames, vmIndexes, vmOwners, counts, statusFields, liveNames, events, pending, jobs].map(
    (c) => c.result(),
  )
  return { ok: checks.every((c) => c.ok), checks }
}

/** A readable report: one line per check, then its listed violations. */
export const formatInvariantReport = (r: InvariantReport): string =>
  [
    `invariants: ${r.ok ? 'OK' : 'VIOLATED'}`,
    ...r.checks.flatMap((c) => [
      `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(14)} ${String(c.checked).padStart(7)} checked  ${c.description}`,
      ...c.violations.map((v) => `         - ${v}`),
      ...(c.violationCount > c.violations.length
        ? [`         ... and ${c.violationCount - c.violations.length} more`]
        : []),
    ]),
  ].join('\n')
