import { createHash, randomUUID } from 'node:crypto'
import type { Clock } from '../../clock.js'
import type { Database } from '../../store/db.js'
import { createSimOpStore, type SimOpRow } from '../../store/sim-ops.js'
import type { FaultService } from '../../services/faults.js'
import type { OperationSpec, OperationState, Provider, TaskSpec, VmSpec, VmState } from '../provider.js'

/** DESIGN section 5: realistic durations at time scale 1, in milliseconds. */
export const DURATIONS = {
  vmBoot: 90_000,
  install: 240_000,
  scaleOutBoot: 90_000,
  scaleOutInstall: 120_000,
  decommission: 60_000,
  vmTerminate: 30_000,
  hiveTask: 30_000,
  sparkTask: 60_000,
} as const

/**
 * A deterministic private IP from a per-cluster block of 10.0.0.0/8: the block comes from the
 * cluster id (12 bits, so 4096 blocks of 4096 addresses), the host part from role and index.
 */
export const simulatedIp = (clusterId: string, isMaster: boolean, index: number): string => {
  const block = parseInt(createHash('sha1').update(clusterId).digest('hex').slice(0, 3), 16)
  const host = isMaster ? 10 + index : 20 + index
  return `10.${block >> 4}.${((block & 15) << 4) | (host >> 8)}.${host & 255}`
}

interface Deps {
  database: Database
  clock: Clock
  timeScale: number
  faults: Pick<FaultService, 'clusterFault'>
}

/**
 * The default provider: nothing real is created, but every operation takes its scaled
 * realistic time, is stored in the database (a restart loses nothing), and can be made to
 * fail by an admin fault.
 */
export const createSimulatorProvider = ({ database, clock, timeScale, faults }: Deps): Provider => {
  const ops = createSimOpStore(database)
  const scaled = (ms: number) => Math.round(ms * timeScale)

  /** Starts an operation once; the fault verdict is taken at start and stored with it. */
  const ensureOp = async (
    key: string,
    clusterId: string,
    kind: string,
    durationMs: number,
    fails: () => Promise<boolean>,
    result: () => Record<string, unknown> = () => ({}),
  ): Promise<SimOpRow> => {
    const existing = await ops.get(key)
    if (existing) return existing
    const now = clock.now()
    const outcome = (await fails()) ? 'fail' : 'ok'
    return ops.ensure({
      key,
      cluster_id: clusterId,
      kind,
      started_at: now,
      ready_at: now + scaled(durationMs),
      outcome,
      result: JSON.stringify(result()),
    })
  }

  const opState = (row: SimOpRow, what: string): OperationState => {
    if (clock.now() < row.ready_at) return { phase: 'running', readyAt: row.ready_at }
    return row.outcome === 'ok'
      ? { phase: 'succeeded', readyAt: row.ready_at }
      : { phase: 'failed', readyAt: row.ready_at, error: `${what} failed (injected fault)` }
  }

  /** One provisioning verdict per cluster, so a fault's `times` counts clusters, not VMs. */
  const provisionFails = (spec: VmSpec) => async () => {
    const verdict = await ensureOp(`${spec.clusterId}/provision-verdict`, spec.clusterId, 'verdict', 0, () =>
      spec.purpose === 'create'
        ? faults.clusterFault('provisionFailure', spec.clusterName)
        : Promise.resolve(false),
    )
    return verdict.outcome === 'fail'
  }

  const vmState = (key: string, create: SimOpRow, del: SimOpRow | undefined): VmState => {
    const { instanceId, ip } = JSON.parse(create.result) as { instanceId: string; ip: string }
    const now = clock.now()
    if (del)
      return {
        key,
        phase: now >= del.ready_at ? 'gone' : 'terminating',
        instanceId,
        ip,
        readyAt: del.ready_at,
      }
    if (now < create.ready_at) return { key, phase: 'booting', instanceId, ip, readyAt: create.ready_at }
    if (create.outcome !== 'ok')
      return {
        key,
        phase: 'failed',
        instanceId,
        ip,
        readyAt: create.ready_at,
        error: 'VM provisioning failed (injected fault)',
      }
    return { key, phase: 'running', instanceId, ip, readyAt: create.ready_at }
  }

  return {
    async createVm(spec) {
      const create = await ensureOp(
        `vm:${spec.key}`,
        spec.clusterId,
        'vm',
        spec.purpose === 'create' ? DURATIONS.vmBoot : DURATIONS.scaleOutBoot,
        provisionFails(spec),
        () => ({ instanceId: randomUUID(), ip: simulatedIp(spec.clusterId, spec.isMaster, spec.index) }),
      )
      return vmState(spec.key, create, await ops.get(`vm-delete:${spec.key}`))
    },

    async deleteVm(key) {
      const create = await ops.get(`vm:${key}`)
      if (!create) return { key, phase: 'gone', instanceId: '', ip: '', readyAt: clock.now() }
      const del = await ensureOp(
        `vm-delete:${key}`,
        create.cluster_id,
        'vm-delete',
        DURATIONS.vmTerminate,
        async () => false,
      )
      return vmState(key, create, del)
    },

    async install(op: OperationSpec) {
      const scaleOut = op.key.includes('/scale-out/')
      const row = await ensureOp(
        op.key,
        op.clusterId,
        'install',
        scaleOut ? DURATIONS.scaleOutInstall : DURATIONS.install,
        () => (scaleOut ? Promise.resolve(false) : faults.clusterFault('installFailure', op.clusterName)),
      )
      return opState(row, 'installation')
    },

    async decommission(op: OperationSpec) {
      return opState(
        await ensureOp(op.key, op.clusterId, 'decommission', DURATIONS.decommission, async () => false),
        'decommission',
      )
    },

    async runTask(op: TaskSpec) {
      const row = await ensureOp(
        op.key,
        op.clusterId,
        `task-${op.type}`,
        op.type === 'hive' ? DURATIONS.hiveTask : DURATIONS.sparkTask,
        () => faults.clusterFault('taskFailure', op.clusterName),
      )
      return opState(row, `${op.type} task`)
    },

    reset: () => ops.deleteAll(),
  }
}
