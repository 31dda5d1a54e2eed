import { randomUUID } from 'node:crypto'
import type { ClusterInfo, ClusterRecord } from '../domain/cluster.js'
import type { NewEvent } from '../domain/events.js'
import {
  initialVms,
  planDecommission,
  planInstall,
  planTask,
  planVm,
  runKey,
  vmRef,
  type VmPurpose,
  type VmRef,
} from '../domain/plans.js'
import {
  canTransition,
  deriveApiKeyStatus,
  isEventReason,
  type ClusterStatus,
  type EventReason,
  type VmStatus,
} from '../domain/statuses.js'
import type { VmRecord } from '../domain/vm.js'
import type { ObservedVm, Provider, TaskState } from '../providers/provider.js'
import type { ClusterPatch } from '../store/clusters.js'
import type { Store, Tx } from '../store/index.js'
import { mapLimit, ProviderCallError } from './calls.js'

/** What a pass decided: look again at a time, or the cluster needs nothing more. */
export type Outcome = { requeueAt: number } | { done: true }

/** Another writer (a user's delete, another pass) changed the cluster under us: look again at once. */
export class Conflict extends Error {}

/** What one pass over one cluster may use. */
export interface Pass {
  /** Calls the provider under the pass's deadline; failures come back as ProviderCallError. */
  call<T>(name: string, fn: (p: Provider, signal: AbortSignal) => Promise<T>): Promise<T>
  /** One transaction fenced on the lease: a pass that lost its cluster writes nothing. */
  write(fn: (tx: Tx, t: number) => Promise<void>): Promise<void>
}

export interface StepDeps {
  store: Pick<Store, 'clusters' | 'vms' | 'events' | 'taskRuns' | 'apiKeys' | 'jobRequests'>
  now: () => number
  /** When to look again if the provider gives no hint (a real provider polls). */
  pollMs: number
  /** How often a Running cluster is observed again, to find VMs that vanished. */
  observeMs: number
  /** Provider calls in flight at once for one cluster. */
  callsPerCluster: number
  /** VM creations or deletions one pass starts at most; the rest wait for the next pass. */
  vmCallsPerPass: number
}

const ref = (v: Pick<VmRecord, 'name' | 'role' | 'index'>): VmRef => ({
  name: v.name,
  role: v.role,
  index: v.index,
})

/**
 * The lifecycle of DESIGN section 4, one step per status. Each step reads what the provider
 * really has (`observe`), compares it with what the spec wants, takes one idempotent step
 * towards it and says when to look again. VM names are deterministic, so a step repeated after
 * a crash finds what the first one made instead of making it twice.
 */
export const createSteps = (deps: StepDeps) => {
  const { store, now } = deps

  const guardedUpdate = async (tx: Tx, c: ClusterRecord, patch: ClusterPatch, t: number) => {
    if (!(await store.clusters.update(tx, c.id, patch, t, { status: [c.status] }))) throw new Conflict()
  }
  const event = (tx: Tx, c: ClusterRecord, t: number, e: Omit<NewEvent, 'clusterId' | 'at'>) =>
    store.events.append(tx, { clusterId: c.id, at: t, ...e })
  const transition = async (
    tx: Tx,
    c: ClusterRecord,
    to: ClusterStatus,
    reason: EventReason,
    message: string,
    t: number,
    patch: ClusterPatch = {},
  ) => {
    if (!canTransition(c.status, to)) throw new Error(`illegal transition ${c.status} -> ${to}`)
    const changed: NewEvent = {
      clusterId: c.id,
      at: t,
      type: 'StatusChanged',
      fromStatus: c.status,
      toStatus: to,
      reason,
      message,
    }
    // The guarded update and its event: one statement on PostgreSQL.
    if (!(await store.clusters.updateWithEvent(tx, c.id, { ...patch, status: to }, t, [c.status], changed)))
      throw new Conflict()
    // A re-run's request says where the run is while it is under way (DESIGN section 11).
    const run = c.info.run
    if (run && !to.startsWith('Terminated'))
      await store.jobRequests.setResult(tx, run.requestId, `re-run ${run.n}: the cluster is ${to}`)
  }
  /** Ends the current re-run's request, if the cluster is in one and it has not ended yet. */
  const finishRequest = async (tx: Tx, c: ClusterRecord, ok: boolean, result: string, t: number) => {
    const run = c.info.run
    if (run)
      await store.jobRequests.finish(tx, run.requestId, {
        status: ok ? 'Success' : 'Fail',
        result,
        endedAt: t,
      })
  }
  /** A failure no retry will fix: recorded on the cluster, which then tears down to `terminal`. */
  const fail = (
    pass: Pass,
    c: ClusterRecord,
    reason: EventReason,
    message: string,
    terminal: ClusterStatus = 'Terminated(Error)',
  ) =>
    pass.write((tx, t) =>
      transition(tx, c, 'Terminating', reason, message, t, {
        terminalStatus: terminal,
        info: { ...c.info, lastError: message },
      }),
    )
  const setVmStatus = (tx: Tx, c: ClusterRecord, vms: readonly { name: string }[], status: VmStatus) =>
    store.vms.setStatus(
      tx,
      c.id,
      vms.map((v) => v.name),
      status,
    )
  const recordVms = (tx: Tx, c: ClusterRecord, vms: readonly ObservedVm[], t: number) =>
    store.vms.insert(
      tx,
      vms.map((v) => ({
        clusterId: c.id,
        name: v.name,
        role: v.role,
        index: v.index,
        instanceId: v.instanceId,
        ip: v.ip,
        status: 'Creating' as const,
        flavorName: v.role === 'master' ? c.spec.masterFlavorName : c.spec.workerFlavorName,
        createdAt: t,
      })),
    )

  /**
   * Records the addresses a provider knows only once a VM runs (a Kubernetes pod's IP comes
   * after it is scheduled), and any that changed, so the API shows what the VM really has.
   */
  const syncIps = async (
    tx: Tx,
    c: ClusterRecord,
    rows: readonly Pick<VmRecord, 'name' | 'ip'>[],
    seen: readonly (ObservedVm | undefined)[],
  ) => {
    const known = new Map(rows.map((r) => [r.name, r.ip]))
    for (const v of seen)
      if (v && v.ip !== '' && known.has(v.name) && known.get(v.name) !== v.ip)
        await store.vms.setIp(tx, c.id, v.name, v.ip)
  }

  const lowestMaster = <V extends Pick<VmRecord, 'role' | 'index'>>(vms: readonly V[]): V | undefined =>
    vms.filter((v) => v.role === 'master').sort((a, b) => a.index - b.index)[0]

  const soon = (): Outcome => ({ requeueAt: now() })
  /** The latest hint among `states`, or a poll interval from now when the provider gives none. */
  const later = (states: readonly { readyAt?: number }[]): Outcome => {
    const hints = states.map((s) => s.readyAt).filter((t): t is number => t !== undefined)
    return { requeueAt: Math.max(now(), hints.length > 0 ? Math.max(...hints) : now() + deps.pollMs) }
  }
  const observeLater = (): Outcome => ({ requeueAt: now() + deps.observeMs })

  const observe = async (pass: Pass, c: ClusterRecord) =>
    new Map((await pass.call('observe', (p, s) => p.observe(c.id, s))).vms.map((v) => [v.name, v] as const))

  /**
   * Creates, at most `vmCallsPerPass` at a time, the wanted VMs the provider does not have, and
   * records every wanted VM it has that has no row yet (also those a crash left unrecorded).
   * Returns the provider's view of the wanted VMs, and whether some are still to be asked for.
   */
  const ensureVms = async (
    pass: Pass,
    c: ClusterRecord,
    wanted: readonly VmRef[],
    purpose: VmPurpose,
    observed: Map<string, ObservedVm>,
    recorded: ReadonlySet<string>,
    /**
     * The VMs booted at once (time scale 0): their rows go in with the caller's next write,
     * which must be guarded on the cluster's status (a transition): it is their fence.
     */
    thenWrite?: (states: readonly ObservedVm[]) => ((tx: Tx, t: number) => Promise<void>) | undefined,
  ) => {
    const missing = wanted.filter((w) => !observed.has(w.name))
    const batch = missing.slice(0, deps.vmCallsPerPass)
    const made = await mapLimit(batch, deps.callsPerCluster, (w) =>
      pass.call(`createVm ${w.name}`, (p, s) => p.createVm(planVm(c, w, purpose), s)),
    )
    for (const v of made) observed.set(v.name, v)
    const fresh = wanted
      .map((w) => observed.get(w.name))
      // A VM the provider refused before making anything (no instance) has nothing to record.
      .filter(
        (v): v is ObservedVm => !!v && v.phase !== 'gone' && v.instanceId !== '' && !recorded.has(v.name),
      )
    const states = wanted.flatMap((w) => observed.get(w.name) ?? [])
    const more = missing.length > batch.length
    const next = more ? undefined : thenWrite?.(states)
    if (fresh.length > 0 || next)
      await pass.write(async (tx, t) => {
        // The status guard fences the rows; a write that follows (a transition) is guarded on
        // the same status in the same transaction, and its Conflict takes the rows back too.
        if (!next) await guardedUpdate(tx, c, {}, t)
        await recordVms(tx, c, fresh, t)
        await next?.(tx, t)
      })
    return { states, more, written: next !== undefined }
  }

  const steps: Record<ClusterStatus, (pass: Pass, c: ClusterRecord) => Promise<Outcome>> = {
    async Initializing(pass, c) {
      const run = c.info.run
      if (run && run.firstMasterIndex === undefined) {
        // A re-run's VMs take indexes after every VM the cluster ever had, recorded or not (a
        // crash can leave one the table never saw), so no name of an earlier run comes back.
        const seen = [...(await observe(pass, c)).values()]
        const after = (role: 'master' | 'worker', next: number) =>
          Math.max(next, ...seen.filter((v) => v.role === role).map((v) => v.index + 1))
        const info: ClusterInfo = {
          ...c.info,
          run: {
            ...run,
            firstMasterIndex: after('master', c.nextMasterIndex),
            firstWorkerIndex: after('worker', c.nextWorkerIndex),
          },
        }
        await pass.write((tx, t) =>
          transition(tx, c, 'Creating', 'PROVISION_STARTED', `provisioning VMs for re-run ${run.n}`, t, {
            info,
          }),
        )
        return soon()
      }
      await pass.write((tx, t) => transition(tx, c, 'Creating', 'PROVISION_STARTED', 'provisioning VMs', t))
      return soon()
    },

    async Creating(pass, c) {
      const wanted = initialVms(c)
      const observed = await observe(pass, c)
      const rows = await store.vms.live(c.id)
      const recorded = new Set(rows.map((v) => v.name))
      const installing = (states: readonly ObservedVm[]) => async (tx: Tx, t: number) => {
        await syncIps(tx, c, rows, states)
        await transition(
          tx,
          c,
          'Installing',
          'PROVISIONED',
          `${states.length} VMs are up; installing ${c.clusterVersion}`,
          t,
        )
        await setVmStatus(tx, c, states, 'Installing')
      }
      // VMs up at once (a fast provider, time scale 0): their rows and the move to Installing
      // are one transaction instead of two.
      const { states, more, written } = await ensureVms(pass, c, wanted, 'create', observed, recorded, (s) =>
        s.length === wanted.length && s.every((v) => v.phase === 'running') ? installing(s) : undefined,
      )
      if (written) return soon()
      const failed = states.find((s) => s.phase === 'failed' || s.phase === 'gone')
      if (failed) {
        await fail(
          pass,
          c,
          isEventReason(failed.reason) ? failed.reason : 'PROVISION_FAILED',
          failed.error ?? `VM ${failed.name} could not be provisioned`,
        )
        return soon()
      }
      if (more) return soon()
      if (states.some((s) => s.phase !== 'running')) return later(states)
      await pass.write(installing(states))
      return soon()
    },

    async Installing(pass, c) {
      const live = await store.vms.live(c.id)
      const masters = live.filter((v) => v.role === 'master').map(ref)
      const plan = planInstall(c, live.map(ref), masters, 'create', runKey(c, 'install'))
      const op = await pass.call('install', (p, s) => p.install(plan, s))
      if (op.phase === 'running') return later([op])
      if (op.phase === 'failed') {
        await fail(
          pass,
          c,
          isEventReason(op.reason) ? op.reason : 'INSTALL_FAILED',
          op.error ?? 'installation failed',
        )
        return soon()
      }
      const firstMaster = lowestMaster(live)
      await pass.write(async (tx, t) => {
        await transition(tx, c, 'Running', 'INSTALLED', 'cluster is running', t, {
          runningAt: c.runningAt ?? t,
          info: { ...c.info, ...(firstMaster ? { masterIp: firstMaster.ip } : {}) },
        })
        await setVmStatus(tx, c, live, 'Running')
      })
      return c.spec.userTask ? soon() : observeLater()
    },

    async Running(pass, c) {
      const repair = await repairVms(pass, c)
      if (repair) return repair
      return runTask(pass, c)
    },

    async Processing(pass, c) {
      return c.targetWorkerCnt >= c.workerCnt ? scaleOut(pass, c) : scaleIn(pass, c)
    },

    async Terminating(pass, c) {
      // Every VM the provider holds for the cluster, recorded or not (a crash, or a delete that
      // won the race against a scale-out, can leave one the table never saw), and every row.
      const live = await store.vms.live(c.id)
      const observed = await observe(pass, c)
      const targets = new Map<string, VmRef>(live.map((v) => [v.name, ref(v)]))
      for (const v of observed.values()) if (v.phase !== 'gone') targets.set(v.name, ref(v))
      const toMark = live.filter((v) => v.status !== 'Terminating')
      if (toMark.length > 0)
        await pass.write(async (tx, t) => {
          await guardedUpdate(tx, c, {}, t)
          await setVmStatus(tx, c, toMark, 'Terminating')
        })
      // Deletes under way are waited for, not asked again; the rest are asked, a batch at a time.
      const all = [...targets.values()]
      const underWay = all.flatMap((v) => {
        const o = observed.get(v.name)
        return o?.phase === 'terminating' ? [o] : []
      })
      const toAsk = all.filter((v) => observed.get(v.name)?.phase !== 'terminating')
      const batch = toAsk.slice(0, deps.vmCallsPerPass)
      const states = await mapLimit(batch, deps.callsPerCluster, (v) =>
        pass.call(`deleteVm ${v.name}`, (p, s) => p.deleteVm(c.id, v, s)),
      )
      const recorded = new Set(live.map((v) => v.name))
      const gone = states.filter((s) => s.phase === 'gone' && recorded.has(s.name))
      const pending = [...underWay, ...states.filter((s) => s.phase !== 'gone')]
      // Once the VMs are gone, whatever else the cluster holds at the provider goes too.
      const finished =
        pending.length === 0 &&
        toAsk.length === batch.length &&
        (await pass.call('releaseCluster', (p, s) => p.releaseCluster(c.id, s)))
      if (gone.length > 0 || finished)
        await pass.write(async (tx, t) => {
          await guardedUpdate(tx, c, {}, t)
          for (const g of gone) await store.vms.end(tx, c.id, g.name, t)
          if (finished) {
            const to = c.terminalStatus ?? 'Terminated(User)'
            // Locked before the key is read: a revoke either lands before (no key) or waits.
            await store.clusters.lock(tx, c.id)
            const apiKeyIssued = (await store.apiKeys.hash(c.id, tx)) !== undefined
            await transition(tx, c, to, 'TERMINATED', `cluster ${to}`, t, {
              terminatedAt: t,
              masterCnt: 0,
              workerCnt: 0,
              apiKeyStatus: deriveApiKeyStatus({
                clusterType: c.clusterType,
                hasUserTask: !!c.spec.userTask,
                status: to,
                apiKeyIssued,
                hasRun: c.info.run !== undefined,
              }),
            })
            await store.taskRuns.failOpen(tx, c.id, {
              endedAt: t,
              reason: to === 'Terminated(User)' ? 'CLUSTER_DELETED' : 'CLUSTER_TERMINATED',
              message:
                to === 'Terminated(User)'
                  ? 'the cluster was deleted before the run ended'
                  : `the cluster ended ${to} before the run ended`,
            })
            await finishRequest(
              tx,
              c,
              false,
              to === 'Terminated(User)'
                ? `the cluster was deleted (${to}) before its task finished`
                : `the cluster ended ${to} before its task finished${c.info.lastError ? `: ${c.info.lastError}` : ''}`,
              t,
            )
          }
        })
      if (finished) return { done: true }
      return pending.length > 0 || toAsk.length === batch.length ? later(pending) : soon()
    },

    'Terminated(User)': async () => ({ done: true }),
    'Terminated(UserCommand)': async () => ({ done: true }),
    'Terminated(Error)': async () => ({ done: true }),
  }

  /**
   * A Running cluster is compared with what the provider has: a VM that vanished (a host lost,
   * a pod deleted behind our back) is replaced under its name and index, installed again, and
   * rejoins; events say when it was lost and when it is back. Undefined when nothing is amiss.
   */
  const repairVms = async (pass: Pass, c: ClusterRecord): Promise<Outcome | undefined> => {
    const observed = await observe(pass, c)
    const live = await store.vms.live(c.id)
    // A replacement can vanish too, before it rejoins: it is replaced again.
    const lost = live.filter((v) => {
      const o = observed.get(v.name)
      return (
        (v.status === 'Running' || v.status === 'Creating' || v.status === 'Installing') &&
        (!o || o.phase === 'gone' || o.phase === 'failed' || o.instanceId !== v.instanceId)
      )
    })
    if (lost.length > 0) {
      const batch = lost.slice(0, deps.vmCallsPerPass)
      const made = await mapLimit(batch, deps.callsPerCluster, (v) =>
        pass.call(`createVm ${v.name}`, (p, s) => p.createVm(planVm(c, ref(v), 'repair'), s)),
      )
      const refused = made.find((m) => m.phase === 'failed' || m.phase === 'gone')
      if (refused)
        throw new ProviderCallError(
          `createVm ${refused.name}`,
          new Error(refused.error ?? `VM ${refused.name} could not be replaced`),
        )
      // An old instance still on its way out (an evicted pod being deleted) is waited for.
      const replaced = batch.filter((_, i) => made[i]!.phase !== 'terminating')
      if (replaced.length === 0) return later(made)
      await pass.write(async (tx, t) => {
        await guardedUpdate(tx, c, {}, t)
        for (const v of replaced) {
          const next = made[batch.indexOf(v)]!
          await store.vms.replaceInstance(tx, c.id, v.name, {
            instanceId: next.instanceId,
            ip: next.ip,
            status: 'Creating',
          })
          await event(tx, c, t, {
            type: 'VmChanged',
            reason: 'VM_LOST',
            message: `VM ${v.name} (instance ${v.instanceId}) vanished at the provider; replaced by instance ${next.instanceId}`,
          })
        }
      })
      return soon()
    }
    const joining = live.filter((v) => v.status === 'Creating' || v.status === 'Installing')
    if (joining.length === 0) return undefined
    const booting = joining.filter((v) => observed.get(v.name)?.phase !== 'running')
    if (booting.length > 0) return later(booting.map((v) => observed.get(v.name) ?? {}))
    const masters = live.filter((v) => v.role === 'master').map(ref)
    const ops = await mapLimit(joining, deps.callsPerCluster, (v) =>
      pass.call(`install ${v.name}`, (p, s) =>
        p.install(planInstall(c, [ref(v)], masters, 'repair', `${c.id}/repair/${v.name}/${v.instanceId}`), s),
      ),
    )
    const failed = ops.find((o) => o.phase === 'failed')
    if (failed)
      throw new ProviderCallError('install', new Error(failed.error ?? 'installing a replaced VM failed'))
    const done = joining.filter((_, i) => ops[i]!.phase === 'succeeded')
    await pass.write(async (tx, t) => {
      // The UI URLs hang off the lowest-index master (a re-run's masters do not start at 1).
      const first = lowestMaster(live)
      const firstMaster = first && done.find((v) => v.name === first.name)
      const masterIp = firstMaster && (observed.get(firstMaster.name)?.ip || firstMaster.ip)
      await guardedUpdate(tx, c, masterIp ? { info: { ...c.info, masterIp } } : {}, t)
      await syncIps(
        tx,
        c,
        live,
        joining.map((v) => observed.get(v.name)),
      )
      await setVmStatus(tx, c, joining, 'Installing')
      await setVmStatus(tx, c, done, 'Running')
      for (const v of done)
        await event(tx, c, t, {
          type: 'VmChanged',
          reason: 'VM_RECOVERED',
          message: `VM ${v.name} (instance ${v.instanceId}) rejoined the cluster`,
        })
    })
    return done.length === joining.length ? soon() : later(ops)
  }

  /**
   * The userTask's run (DESIGN sections 4 and 10), started when the cluster first reaches
   * Running: first recorded as a Pending task run (its id names its log), then handed to the
   * provider, followed until it ends, and its outcome applies the terminationPolicy.
   */
  const runTask = async (pass: Pass, c: ClusterRecord): Promise<Outcome> => {
    const task = c.spec.userTask
    const cur = c.info.task
    if (!task || (cur && (cur.state === 'succeeded' || cur.state === 'failed'))) return observeLater()
    if (!cur) {
      const runId = randomUUID()
      const plan = planTask(c, runId)!
      await pass.write(async (tx, t) => {
        await guardedUpdate(tx, c, { info: { ...c.info, task: { state: 'pending', runId } } }, t)
        await store.taskRuns.insert(tx, {
          id: runId,
          clusterId: c.id,
          type: task.type,
          status: 'Pending',
          createdAt: t,
          startedAt: null,
          endedAt: null,
          exitCode: null,
          reason: null,
          message: null,
          log: plan.log ?? null,
        })
      })
      return soon()
    }
    // Records from before task runs had ids ran as run "1".
    const runId = cur.runId ?? '1'
    const plan = planTask(c, runId)!
    const op: TaskState = await pass.call('runTask', (p, s) => p.runTask(plan, s))
    const log = op.log !== undefined ? { logText: op.log } : {}
    const started = (tx: Tx, t: number) =>
      event(tx, c, t, {
        type: 'TaskChanged',
        reason: 'TASK_STARTED',
        message: `${task.type} task run ${runId} started`,
      })
    if (op.phase === 'running') {
      if (cur.state === 'pending')
        await pass.write(async (tx, t) => {
          await guardedUpdate(
            tx,
            c,
            { info: { ...c.info, task: { state: 'running', runId, startedAt: t } } },
            t,
          )
          await store.taskRuns.update(tx, runId, { status: 'Running', startedAt: t, ...log })
          await started(tx, t)
        })
      return later([op])
    }
    const ok = op.phase === 'succeeded'
    const ends = task.terminationPolicy === 'always' || (task.terminationPolicy === 'onSuccess' && ok)
    // A run that never started (its task file is missing) has no start and no exit code.
    const ran = ok || op.exitCode !== undefined
    await pass.write(async (tx, t) => {
      const startedAt = cur.startedAt ?? (ran ? t : undefined)
      if (cur.state === 'pending' && ran) await started(tx, t)
      const reason: EventReason = ok ? 'TASK_SUCCEEDED' : isEventReason(op.reason) ? op.reason : 'TASK_FAILED'
      await store.taskRuns.update(tx, runId, {
        status: ok ? 'Succeeded' : 'Failed',
        ...(startedAt !== undefined ? { startedAt } : {}),
        endedAt: t,
        ...(op.exitCode !== undefined ? { exitCode: op.exitCode } : {}),
        ...(ok ? {} : { reason, message: op.error ?? 'the task failed' }),
        ...log,
      })
      const info: ClusterInfo = {
        ...c.info,
        task: {
          state: ok ? 'succeeded' : 'failed',
          runId,
          ...(startedAt !== undefined ? { startedAt } : {}),
          endedAt: t,
        },
        ...(ok ? {} : { lastError: op.error ?? 'task failed' }),
      }
      const message = `${task.type} task run ${runId} ${ok ? 'succeeded' : `failed: ${op.error ?? 'unknown error'}`}`
      await finishRequest(
        tx,
        c,
        ok,
        ok ? message : `${task.type} task run ${runId} failed (${reason}): ${op.error ?? 'unknown error'}`,
        t,
      )
      if (ends)
        await transition(
          tx,
          c,
          'Terminating',
          reason,
          `${message}; terminationPolicy ${task.terminationPolicy} ends the cluster`,
          t,
          { info, terminalStatus: 'Terminated(UserCommand)' },
        )
      else {
        await guardedUpdate(tx, c, { info }, t)
        await event(tx, c, t, { type: 'TaskChanged', reason, message })
      }
    })
    return ends ? soon() : observeLater()
  }

  const finishScale = (
    pass: Pass,
    c: ClusterRecord,
    reason: EventReason,
    message: string,
    extra: (tx: Tx, t: number) => Promise<void>,
  ) =>
    pass.write(async (tx, t) => {
      await extra(tx, t)
      await transition(tx, c, 'Running', reason, message, t, { workerCnt: c.targetWorkerCnt })
    })

  /** New workers take fresh indexes (never reused), boot, install, and join. */
  const scaleOut = async (pass: Pass, c: ClusterRecord): Promise<Outcome> => {
    const live = await store.vms.live(c.id)
    const workers = live.filter((v) => v.role === 'worker')
    const observed = await observe(pass, c)
    const recorded = new Set(live.map((v) => v.name))
    // Workers the provider made for this scale-out whose rows a crash kept from being written.
    const unrecorded = [...observed.values()].filter(
      (v) => v.role === 'worker' && !recorded.has(v.name) && v.phase !== 'gone' && v.phase !== 'terminating',
    )
    const joining = [
      ...workers.filter((v) => v.status === 'Creating' || v.status === 'Installing').map(ref),
      ...unrecorded.map(ref),
    ]
    const missing = Math.max(0, c.targetWorkerCnt - workers.length - unrecorded.length)
    const firstFree = Math.max(c.nextWorkerIndex, ...unrecorded.map((v) => v.index + 1))
    const wanted = [
      ...joining,
      ...Array.from({ length: missing }, (_, i) => vmRef(c.name, 'worker', firstFree + i)),
    ]
    if (wanted.length === 0) {
      await finishScale(
        pass,
        c,
        'SCALE_OUT_DONE',
        `scale-out done: ${c.targetWorkerCnt} workers`,
        async () => undefined,
      )
      return observeLater()
    }
    const { states, more } = await ensureVms(pass, c, wanted, 'scale-out', observed, recorded)
    if (more) return soon()
    const failed = states.find((s) => s.phase === 'failed' || s.phase === 'gone')
    if (failed)
      throw new ProviderCallError(
        `createVm ${failed.name}`,
        new Error(failed.error ?? 'VM could not be provisioned'),
      )
    if (states.some((s) => s.phase !== 'running')) return later(states)
    const firstNew = Math.min(...wanted.map((w) => w.index))
    const rows = await store.vms.live(c.id)
    const creating = rows.filter((v) => wanted.some((w) => w.name === v.name) && v.status === 'Creating')
    if (creating.length > 0)
      await pass.write(async (tx, t) => {
        await guardedUpdate(tx, c, {}, t)
        await syncIps(tx, c, rows, states)
        await setVmStatus(tx, c, creating, 'Installing')
      })
    const masters = rows.filter((v) => v.role === 'master').map(ref)
    const plan = planInstall(c, wanted, masters, 'scale-out', `${c.id}/scale-out/${firstNew}`)
    const op = await pass.call('install', (p, s) => p.install(plan, s))
    if (op.phase === 'running') return later([op])
    if (op.phase === 'failed')
      throw new ProviderCallError('install', new Error(op.error ?? 'installing the new workers failed'))
    await finishScale(
      pass,
      c,
      'SCALE_OUT_DONE',
      `scale-out done: ${wanted.length} worker(s) joined, ${c.targetWorkerCnt} workers`,
      (tx) => setVmStatus(tx, c, wanted, 'Running'),
    )
    return observeLater()
  }

  /** The highest-index workers leave: decommissioned first, then deleted. */
  const scaleIn = async (pass: Pass, c: ClusterRecord): Promise<Outcome> => {
    const live = await store.vms.live(c.id)
    const workers = live.filter((v) => v.role === 'worker').sort((a, b) => b.index - a.index)
    let leaving = workers.filter((v) => v.status === 'Decommissioning' || v.status === 'Terminating')
    if (leaving.length === 0) {
      const chosen = workers.slice(0, c.workerCnt - c.targetWorkerCnt)
      await pass.write(async (tx, t) => {
        await guardedUpdate(tx, c, {}, t)
        await setVmStatus(tx, c, chosen, 'Decommissioning')
      })
      leaving = chosen.map((v) => ({ ...v, status: 'Decommissioning' }))
    }
    const plan = planDecommission(c, leaving.map(ref))
    const op = await pass.call('decommission', (p, s) => p.decommission(plan, s))
    if (op.phase === 'running') return later([op])
    if (op.phase === 'failed')
      throw new ProviderCallError('decommission', new Error(op.error ?? 'decommissioning failed'))
    const toDelete = leaving.filter((v) => v.status === 'Decommissioning')
    if (toDelete.length > 0)
      await pass.write(async (tx, t) => {
        await guardedUpdate(tx, c, {}, t)
        await setVmStatus(tx, c, toDelete, 'Terminating')
      })
    const states = await mapLimit(leaving, deps.callsPerCluster, (v) =>
      pass.call(`deleteVm ${v.name}`, (p, s) => p.deleteVm(c.id, ref(v), s)),
    )
    const pending = states.filter((s) => s.phase !== 'gone')
    if (pending.length > 0) return later(pending)
    await finishScale(
      pass,
      c,
      'SCALE_IN_DONE',
      `scale-in done: ${leaving.length} worker(s) removed, ${c.targetWorkerCnt} workers`,
      async (tx, t) => {
        for (const v of leaving) await store.vms.end(tx, c.id, v.name, t)
      },
    )
    return observeLater()
  }

  return { steps, fail }
}
