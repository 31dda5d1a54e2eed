import { createHash, randomUUID } from 'node:crypto'
import type { Clock } from '../../clock.js'
import type { FaultKind } from '../../domain/faults.js'
import type { InstallPlan, VmPlan, VmRef } from '../../domain/plans.js'
import type { ObservedVm, OperationState, Provider, ProviderDeps } from '../provider.js'
import type { SimRecord, SimRecordStore } from './records.js'

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

/** What the simulator keeps about a VM it made. */
interface VmDetail {
  instanceId: string
  ip: string
  role?: VmRef['role']
  index?: number
}

/** Records written before VMs kept their role and index carry only the name. */
const refOf = (name: string, d: VmDetail): VmRef => {
  if (d.role && d.index !== undefined) return { name, role: d.role, index: d.index }
  const m = /^Hadoop(MST|WRK)-.+-(\d+)$/.exec(name)
  return { name, role: m?.[1] === 'MST' ? 'master' : 'worker', index: Number(m?.[2] ?? 0) }
}

export const vmKey = (clusterId: string, name: string) => `vm:${clusterId}/${name}`
export const vmDeleteKey = (clusterId: string, name: string) => `vm-delete:${clusterId}/${name}`

interface Deps extends ProviderDeps {
  records: SimRecordStore
  clock: Clock
  timeScale: number
  /** Whether an admin fault of this kind hits the cluster (and is used up by it). */
  clusterFault: (kind: Exclude<FaultKind, 'apiError'>, clusterName: string) => Promise<boolean>
}

export interface SimulatorProvider extends Provider {
  /** Forgets everything (the admin reset). Not part of the port: only a simulator can. */
  reset(): Promise<void>
  /**
   * Makes a VM vanish behind the control plane's back, as a host failure would: the next
   * observation no longer reports it. For tests of the reconciler's repair.
   */
  loseVm(clusterId: string, name: string): Promise<boolean>
}

/**
 * The default provider: nothing real is created, but every operation takes its scaled
 * realistic time, is recorded durably (a restart loses nothing), and can be made to fail by an
 * admin fault.
 */
export const createSimulatorProvider = ({
  records,
  clock,
  timeScale,
  clusterFault,
  openSecret,
}: Deps): SimulatorProvider => {
  const scaled = (ms: number) => Math.round(ms * timeScale)

  /** Starts an operation once; the fault verdict is taken at start and stored with it. */
  const ensureOp = async (
    key: string,
    clusterId: string,
    kind: string,
    durationMs: number,
    fails: () => Promise<boolean>,
    detail: () => object = () => ({}),
  ): Promise<SimRecord> => {
    const existing = await records.get(key)
    if (existing) return existing
    const now = clock.now()
    const outcome = (await fails()) ? 'fail' : 'ok'
    return records.ensure({
      key,
      clusterId,
      kind,
      startedAt: now,
      readyAt: now + scaled(durationMs),
      outcome,
      detail: JSON.stringify(detail()),
    })
  }

  const opState = (r: SimRecord, what: string, reason: string): OperationState => {
    if (clock.now() < r.readyAt) return { phase: 'running', readyAt: r.readyAt }
    return r.outcome === 'ok'
      ? { phase: 'succeeded', readyAt: r.readyAt }
      : { phase: 'failed', readyAt: r.readyAt, reason, error: `${what} failed (injected fault)` }
  }

  /** One provisioning verdict per cluster, so a fault's `times` counts clusters, not VMs. */
  const provisionFails = (plan: VmPlan) => async () => {
    const verdict = await ensureOp(`${plan.clusterId}/provision-verdict`, plan.clusterId, 'verdict', 0, () =>
      plan.purpose === 'create' ? clusterFault('provisionFailure', plan.clusterName) : Promise.resolve(false),
    )
    return verdict.outcome === 'fail'
  }

  const vmState = (create: SimRecord, del: SimRecord | undefined): ObservedVm => {
    const d = JSON.parse(create.detail) as VmDetail
    const name = create.key.slice(create.key.indexOf('/') + 1)
    const base = { ...refOf(name, d), instanceId: d.instanceId, ip: d.ip }
    const now = clock.now()
    if (del) return { ...base, phase: now >= del.readyAt ? 'gone' : 'terminating', readyAt: del.readyAt }
    if (now < create.readyAt) return { ...base, phase: 'booting', readyAt: create.readyAt }
    if (create.outcome === 'fail')
      return {
        ...base,
        phase: 'failed',
        readyAt: create.readyAt,
        error: 'VM provisioning failed (injected fault)',
      }
    return { ...base, phase: 'running', readyAt: create.readyAt }
  }
  const gone = (vm: VmRef): ObservedVm => ({ ...vm, phase: 'gone', instanceId: '', ip: '' })

  const newVm = (plan: VmPlan, now: number, outcome: string): SimRecord => ({
    key: vmKey(plan.clusterId, plan.name),
    clusterId: plan.clusterId,
    kind: 'vm',
    startedAt: now,
    readyAt: now + scaled(plan.purpose === 'create' ? DURATIONS.vmBoot : DURATIONS.scaleOutBoot),
    outcome,
    detail: JSON.stringify({
      instanceId: randomUUID(),
      ip: simulatedIp(plan.clusterId, plan.role === 'master', plan.index),
      role: plan.role,
      index: plan.index,
    } satisfies VmDetail),
  })

  /** A real installer reads the passwords it configures: so does the simulator, and keeps none. */
  const secretsReadable = (plan: InstallPlan): boolean => {
    try {
      if (plan.admin?.password) openSecret(plan.admin.password)
      if (plan.metastore?.kind === 'mysql') openSecret(plan.metastore.password)
      return true
    } catch {
      return false
    }
  }

  return {
    async observe(clusterId) {
      const all = await records.list(clusterId)
      const deletes = new Map(all.filter((r) => r.kind === 'vm-delete').map((r) => [r.key, r]))
      return {
        vms: all
          .filter((r) => r.kind === 'vm' && r.outcome !== 'lost')
          .map((r) => vmState(r, deletes.get(`vm-delete:${r.key.slice('vm:'.length)}`))),
      }
    },

    async createVm(plan) {
      const del = await records.get(vmDeleteKey(plan.clusterId, plan.name))
      const existing = await records.get(vmKey(plan.clusterId, plan.name))
      // A deleted name stays deleted: a late or repeated create cannot bring it back.
      if (del) return existing ? vmState(existing, del) : gone(plan)
      if (existing && existing.outcome !== 'lost') return vmState(existing, undefined)
      if (existing) {
        // It vanished: boot a new instance in its place, as a cloud replaces a failed host.
        const again = newVm(plan, clock.now(), 'ok')
        await records.replace(again)
        return vmState(again, undefined)
      }
      const fails = await provisionFails(plan)()
      return vmState(await records.ensure(newVm(plan, clock.now(), fails ? 'fail' : 'ok')), undefined)
    },

    async deleteVm(clusterId, vm) {
      const create = await records.get(vmKey(clusterId, vm.name))
      const del = await ensureOp(
        vmDeleteKey(clusterId, vm.name),
        clusterId,
        'vm-delete',
        create && create.outcome !== 'lost' ? DURATIONS.vmTerminate : 0,
        async () => false,
      )
      return create && create.outcome !== 'lost' ? vmState(create, del) : gone(vm)
    },

    async install(plan) {
      const fresh = plan.purpose === 'create'
      if (!secretsReadable(plan))
        return {
          phase: 'failed',
          reason: 'INSTALL_FAILED',
          error: 'a stored password cannot be opened with this server key',
        }
      const r = await ensureOp(
        plan.key,
        plan.clusterId,
        'install',
        fresh ? DURATIONS.install : DURATIONS.scaleOutInstall,
        () => (fresh ? clusterFault('installFailure', plan.clusterName) : Promise.resolve(false)),
      )
      return opState(r, 'installation', 'INSTALL_FAILED')
    },

    async decommission(plan) {
      return opState(
        await ensureOp(plan.key, plan.clusterId, 'decommission', DURATIONS.decommission, async () => false),
        'decommission',
        'DECOMMISSION_FAILED',
      )
    },

    async runTask(plan) {
      const r = await ensureOp(
        plan.key,
        plan.clusterId,
        `task-${plan.type}`,
        plan.type === 'hive' ? DURATIONS.hiveTask : DURATIONS.sparkTask,
        () => clusterFault('taskFailure', plan.clusterName),
      )
      return opState(r, `${plan.type} task`, 'TASK_FAILED')
    },

    reset: () => records.deleteAll(),

    async loseVm(clusterId, name) {
      const r = await records.get(vmKey(clusterId, name))
      if (!r || r.outcome === 'lost' || (await records.get(vmDeleteKey(clusterId, name)))) return false
      await records.replace({ ...r, outcome: 'lost' })
      return true
    },
  }
}
