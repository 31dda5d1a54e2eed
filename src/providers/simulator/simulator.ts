import { createHash, randomUUID } from 'node:crypto'
import type { Clock } from '../../clock.js'
import { Readable } from 'node:stream'
import { configFileProblem, MAX_CONFIG_FILE_BYTES } from '../../domain/config-text.js'
import type { FaultKind } from '../../domain/faults.js'
import type { InstallPlan, TaskPlan, VmPlan, VmRef } from '../../domain/plans.js'
import type { ObjectStore } from '../../objects/object-store.js'
import { readObjectText } from '../../objects/read-text.js'
import { resolveObjectUrl } from '../../objects/url.js'
import type { ObservedVm, OperationState, Provider, ProviderDeps, TaskState } from '../provider.js'
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

const iso = (t: number) => new Date(t).toISOString()
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The log a real run would leave, as far as it has got: the command line, then on completion
 * the timing and the outcome. Written from the recorded times only, so it reads the same on
 * every look.
 */
export const taskLog = (plan: TaskPlan, r: SimRecord, state: TaskState): string => {
  const master = `hadoopmst-${plan.clusterName}-1`
  const opts = [plan.execOpts, plan.execParams].filter((x): x is string => !!x)
  const command =
    plan.type === 'hive'
      ? [
          `beeline -u jdbc:hive2://${master}:10000/default`,
          plan.query !== undefined ? `-e ${quote(plan.query)}` : `-f ${plan.fileUrl ?? ''}`,
          ...opts,
        ].join(' ')
      : [
          'spark-submit --master yarn',
          `--deploy-mode ${plan.deployMode ?? 'cluster'}`,
          ...(plan.execOpts ? [plan.execOpts] : []),
          plan.fileUrl ?? '',
          ...(plan.execParams ? [plan.execParams] : []),
        ].join(' ')
  const lines = [
    `${iso(r.startedAt)} INFO  hadoop-eco: ${plan.type} task run ${plan.runId} on cluster ${plan.clusterName}`,
  ]
  if (state.reason === 'TASK_FILE_NOT_FOUND') {
    lines.push(`${iso(r.startedAt)} ERROR ${state.error ?? 'task file not found'}; the task did not start`)
    return `${lines.join('\n')}\n`
  }
  lines.push(`${iso(r.startedAt)} INFO  ${command}`)
  if (plan.type === 'hive' && plan.query !== undefined)
    lines.push(`${iso(r.startedAt)} INFO  Compiling query`)
  if (plan.type === 'spark')
    lines.push(`${iso(r.startedAt)} INFO  Submitting application to ResourceManager ${master}:8032`)
  if (state.phase !== 'running') {
    const seconds = ((r.readyAt - r.startedAt) / 1000).toFixed(1)
    lines.push(
      state.phase === 'succeeded'
        ? `${iso(r.readyAt)} INFO  Completed in ${seconds} s; exit code 0`
        : `${iso(r.readyAt)} ERROR ${state.error ?? 'the task failed'} after ${seconds} s; exit code ${state.exitCode ?? 1}`,
    )
  }
  return `${lines.join('\n')}\n`
}

export const vmKey = (clusterId: string, name: string) => `vm:${clusterId}/${name}`
export const vmDeleteKey = (clusterId: string, name: string) => `vm-delete:${clusterId}/${name}`

interface Deps extends ProviderDeps {
  records: SimRecordStore
  /** Where the cluster's files are read from and its task logs written to (DESIGN section 8). */
  objects: Pick<ObjectStore, 'get' | 'head' | 'put'>
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
  objects,
}: Deps): SimulatorProvider => {
  const scaled = (ms: number) => Math.round(ms * timeScale)

  /**
   * Starts an operation once; the fault verdict is taken at start and stored with it. Calls for
   * one key made while one is under way share it: a cluster's VMs are asked for at once, and each
   * deciding the provisioning verdict on its own used up a fault for one and stored another's
   * "ok" (the first insert wins).
   */
  const opsUnderWay = new Map<string, Promise<SimRecord>>()
  const ensureOp = (
    key: string,
    clusterId: string,
    kind: string,
    durationMs: number,
    fails: () => Promise<boolean>,
    detail: () => object = () => ({}),
  ): Promise<SimRecord> => {
    const underWay = opsUnderWay.get(key)
    if (underWay) return underWay
    const op = (async () => {
      // Read again even after a caller's read: a fault consumed by a late second pass would be lost.
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
    })().finally(() => opsUnderWay.delete(key))
    opsUnderWay.set(key, op)
    return op
  }

  /** A failure decided when the operation started: a missing or wrong file, or an injected fault. */
  interface Failure {
    reason: string
    error: string
  }
  const opState = (r: SimRecord, what: string, reason: string): OperationState => {
    if (clock.now() < r.readyAt) return { phase: 'running', readyAt: r.readyAt }
    if (r.outcome === 'ok') return { phase: 'succeeded', readyAt: r.readyAt }
    const decided = (JSON.parse(r.detail) as { failure?: Failure }).failure
    return {
      phase: 'failed',
      readyAt: r.readyAt,
      ...(decided ?? { reason, error: `${what} failed (injected fault)` }),
    }
  }
  /** Records an operation that failed before it began: it fails now, whatever the fault list says. */
  const failedOp = (key: string, clusterId: string, kind: string, failure: Failure) => {
    const now = clock.now()
    return records.ensure({
      key,
      clusterId,
      kind,
      startedAt: now,
      readyAt: now,
      outcome: 'fail',
      detail: JSON.stringify({ failure }),
    })
  }

  const exists = async (project: string, url: string): Promise<boolean> => {
    const at = resolveObjectUrl(url)
    return !!at && (await objects.head(project, at.bucket, at.key)) !== undefined
  }

  /** What an installer fetches first (DESIGN section 8): the config file, the user script. */
  const installFailure = async (plan: InstallPlan): Promise<Failure | undefined> => {
    if (plan.configFileUrl !== undefined) {
      const text = await readObjectText(objects, plan.project, plan.configFileUrl, MAX_CONFIG_FILE_BYTES)
      if (text === undefined)
        return { reason: 'CONFIG_FILE_NOT_FOUND', error: `config file ${plan.configFileUrl} not found` }
      const problem = configFileProblem(text)
      if (problem)
        return {
          reason: 'CONFIG_FILE_INVALID',
          error: `config file ${plan.configFileUrl} is not a configurations document: ${problem}`,
        }
    }
    if (plan.userScript && 'url' in plan.userScript && !(await exists(plan.project, plan.userScript.url)))
      return { reason: 'USER_SCRIPT_NOT_FOUND', error: `user script ${plan.userScript.url} not found` }
    return undefined
  }

  /** One provisioning verdict per cluster run, so a fault's `times` counts clusters, not VMs. */
  const provisionFails = (plan: VmPlan) => async () => {
    const key =
      plan.run > 1
        ? `${plan.clusterId}/run/${plan.run}/provision-verdict`
        : `${plan.clusterId}/provision-verdict`
    const verdict = await ensureOp(key, plan.clusterId, 'verdict', 0, () =>
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
      const both = await records.getMany([
        vmDeleteKey(plan.clusterId, plan.name),
        vmKey(plan.clusterId, plan.name),
      ])
      const del = both.get(vmDeleteKey(plan.clusterId, plan.name))
      const existing = both.get(vmKey(plan.clusterId, plan.name))
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
      let r = await records.get(plan.key)
      if (!r) {
        const failure = await installFailure(plan)
        r = failure
          ? await failedOp(plan.key, plan.clusterId, 'install', failure)
          : await ensureOp(
              plan.key,
              plan.clusterId,
              'install',
              fresh ? DURATIONS.install : DURATIONS.scaleOutInstall,
              () => (fresh ? clusterFault('installFailure', plan.clusterName) : Promise.resolve(false)),
            )
      }
      return opState(r, 'installation', 'INSTALL_FAILED')
    },

    async decommission(plan) {
      return opState(
        await ensureOp(plan.key, plan.clusterId, 'decommission', DURATIONS.decommission, async () => false),
        'decommission',
        'DECOMMISSION_FAILED',
      )
    },

    async runTask(plan): Promise<TaskState> {
      let r = await records.get(plan.key)
      if (!r) {
        r =
          plan.fileUrl !== undefined && !(await exists(plan.project, plan.fileUrl))
            ? await failedOp(plan.key, plan.clusterId, `task-${plan.type}`, {
                reason: 'TASK_FILE_NOT_FOUND',
                error: `task file ${plan.fileUrl} not found`,
              })
            : await ensureOp(
                plan.key,
                plan.clusterId,
                `task-${plan.type}`,
                plan.type === 'hive' ? DURATIONS.hiveTask : DURATIONS.sparkTask,
                () => clusterFault('taskFailure', plan.clusterName),
              )
      }
      const state = opState(r, `${plan.type} task`, 'TASK_FAILED')
      const ran = state.reason !== 'TASK_FILE_NOT_FOUND'
      const out: TaskState = {
        ...state,
        ...(state.phase !== 'running' && ran ? { exitCode: state.phase === 'succeeded' ? 0 : 1 } : {}),
      }
      const log = taskLog(plan, r, out)
      if (plan.log)
        await objects.put(plan.project, plan.log.bucket, plan.log.key, Readable.from([log]), {
          contentType: 'text/plain; charset=utf-8',
        })
      else out.log = log
      return out
    },

    // The records stay: they are what makes a repeated call after the delete answer the same.
    releaseCluster: async () => true,

    reset: () => records.deleteAll(),

    async loseVm(clusterId, name) {
      const r = await records.get(vmKey(clusterId, name))
      if (!r || r.outcome === 'lost' || (await records.get(vmDeleteKey(clusterId, name)))) return false
      await records.replace({ ...r, outcome: 'lost' })
      return true
    },
  }
}
