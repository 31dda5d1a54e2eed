import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import { masterCountFor, type ClusterInfo, type ClusterRecord } from '../domain/cluster.js'
import {
  canTransition,
  deriveApiKeyStatus,
  isTerminated,
  type ClusterStatus,
  type EventReason,
  type VmStatus,
} from '../domain/statuses.js'
import type { OperationState, Provider, VmState } from '../providers/provider.js'
import type { ClusterPatch } from '../store/clusters.js'
import type { Store } from '../store/index.js'
import { LeaseLostError } from '../store/index.js'
import type { Tables } from '../store/tables.js'
import type { VmRow } from '../store/vms.js'

/** What a pass decided: look again at a time, or the cluster needs nothing more. */
export type Outcome = { requeueAt: number } | { done: true }

interface Deps {
  store: Pick<Store, 'clusters' | 'vms' | 'events' | 'work' | 'transaction'>
  provider: Provider
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>
  leaseMs: number
  pollMs: number
  concurrency: number
  owner?: string
}

/** Another writer (a user's delete, another pass) changed the cluster under us: look again at once. */
class Conflict extends Error {}

const vmName = (clusterName: string, isMaster: boolean, index: number) =>
  `${isMaster ? 'HadoopMST' : 'HadoopWRK'}-${clusterName}-${index}`

/**
 * The only code that moves clusters through their lifecycle (DESIGN section 4), in the style
 * of controller-runtime: level-based (each pass reads the whole current state), one idempotent
 * step per pass, work claimed per cluster with a lease, and every write fenced on that lease.
 */
export const createReconciler = (deps: Deps) => {
  const { store, provider, clock, logger } = deps
  const owner = deps.owner ?? `reconciler-${randomUUID()}`
  const now = () => clock.now()
  let running = false
  let loopDone: Promise<void> | undefined
  let wakeUp: (() => void) | undefined
  let woken = false
  const abort = new AbortController()

  // ---- writes: always in one transaction, fenced on the lease and on the status we read ----
  const write = async (c: ClusterRecord, fn: (trx: Kysely<Tables>, t: number) => Promise<void>) => {
    await store.transaction(async (trx) => {
      const t = now()
      await store.work.assertLease(trx, c.id, owner, t)
      await fn(trx, t)
    })
  }
  const guardedUpdate = async (trx: Kysely<Tables>, c: ClusterRecord, patch: ClusterPatch, t: number) => {
    if (!(await store.clusters.update(trx, c.id, patch, t, { status: [c.status] }))) throw new Conflict()
  }
  const transition = async (
    trx: Kysely<Tables>,
    c: ClusterRecord,
    to: ClusterStatus,
    reason: EventReason,
    message: string,
    t: number,
    patch: ClusterPatch = {},
  ) => {
    if (!canTransition(c.status, to)) throw new Error(`illegal transition ${c.status} -> ${to}`)
    await guardedUpdate(trx, c, { ...patch, status: to }, t)
    await store.events.append(trx, {
      clusterId: c.id,
      at: t,
      type: 'StatusChanged',
      fromStatus: c.status,
      toStatus: to,
      reason,
      message,
    })
  }
  /** A failure that no retry will fix: recorded on the cluster, which then tears down to Terminated(Error). */
  const fail = (
    c: ClusterRecord,
    reason: EventReason,
    message: string,
    terminal: ClusterStatus = 'Terminated(Error)',
  ) =>
    write(c, (trx, t) =>
      transition(trx, c, 'Terminating', reason, message, t, {
        terminalStatus: terminal,
        info: { ...c.info, lastError: message },
      }),
    )

  const setVmStatus = (trx: Kysely<Tables>, c: ClusterRecord, vms: readonly VmRow[], status: VmStatus) =>
    store.vms.setStatus(
      trx,
      c.id,
      vms.map((v) => v.name),
      status,
    )

  /** Creates (or finds again) each VM at the provider, then records the ones not yet in the table. */
  const ensureVms = async (
    c: ClusterRecord,
    wanted: { isMaster: boolean; index: number }[],
    purpose: 'create' | 'scale-out',
  ) => {
    const live = await store.vms.live(c.id)
    const known = new Set(live.map((v) => v.name))
    const states: VmState[] = []
    const fresh: { v: (typeof wanted)[number]; s: VmState }[] = []
    for (const v of wanted) {
      const name = vmName(c.name, v.isMaster, v.index)
      const s = await provider.createVm(
        {
          key: `${c.id}/${name}`,
          clusterId: c.id,
          clusterName: c.name,
          name,
          isMaster: v.isMaster,
          index: v.index,
          flavorName: v.isMaster ? c.spec.masterFlavorName : c.spec.workerFlavorName,
          purpose,
        },
        abort.signal,
      )
      states.push(s)
      if (!known.has(name)) fresh.push({ v, s })
    }
    if (fresh.length > 0)
      await write(c, async (trx, t) => {
        await guardedUpdate(
          trx,
          c,
          {
            nextMasterIndex: Math.max(
              c.nextMasterIndex,
              ...fresh.filter((f) => f.v.isMaster).map((f) => f.v.index + 1),
            ),
            nextWorkerIndex: Math.max(
              c.nextWorkerIndex,
              ...fresh.filter((f) => !f.v.isMaster).map((f) => f.v.index + 1),
            ),
          },
          t,
        )
        for (const { v, s } of fresh)
          await store.vms.insert(trx, {
            cluster_id: c.id,
            instance_id: s.instanceId,
            name: vmName(c.name, v.isMaster, v.index),
            is_master: v.isMaster ? 1 : 0,
            idx: v.index,
            status: 'Creating',
            flavor_name: v.isMaster ? c.spec.masterFlavorName : c.spec.workerFlavorName,
            ip: s.ip,
            created_at: t,
          })
      })
    return states
  }

  const later = (readyAt: number): Outcome => ({ requeueAt: Math.max(readyAt, now()) })
  const soon = (): Outcome => ({ requeueAt: now() })
  const pendingUntil = (states: readonly { readyAt: number }[]) => Math.max(...states.map((s) => s.readyAt))

  const steps: Record<ClusterStatus, (c: ClusterRecord) => Promise<Outcome>> = {
    async Initializing(c) {
      await write(c, (trx, t) => transition(trx, c, 'Creating', 'PROVISION_STARTED', 'provisioning VMs', t))
      return soon()
    },

    async Creating(c) {
      const masters = masterCountFor(c.spec.isHa)
      const wanted = [
        ...Array.from({ length: masters }, (_, i) => ({ isMaster: true, index: i + 1 })),
        ...Array.from({ length: c.spec.workerCnt }, (_, i) => ({ isMaster: false, index: i + 1 })),
      ]
      const states = await ensureVms(c, wanted, 'create')
      const failed = states.find((s) => s.phase === 'failed')
      if (failed) {
        await fail(c, 'PROVISION_FAILED', failed.error ?? 'VM provisioning failed')
        return soon()
      }
      if (states.some((s) => s.phase === 'booting')) return later(pendingUntil(states))
      await write(c, async (trx, t) => {
        await transition(
          trx,
          c,
          'Installing',
          'PROVISIONED',
          `${states.length} VMs are up; installing ${c.clusterVersion}`,
          t,
        )
        await setVmStatus(trx, c, await store.vms.live(c.id, trx), 'Installing')
      })
      return soon()
    },

    async Installing(c) {
      const live = await store.vms.live(c.id)
      const op = await provider.install(
        { key: `${c.id}/install`, clusterId: c.id, clusterName: c.name, nodes: live.map((v) => v.name) },
        abort.signal,
      )
      if (op.phase === 'running') return later(op.readyAt)
      if (op.phase === 'failed') {
        await fail(c, 'INSTALL_FAILED', op.error ?? 'installation failed')
        return soon()
      }
      const firstMaster =
        live.find((v) => v.is_master === 1 && v.idx === 1) ?? live.find((v) => v.is_master === 1)
      await write(c, async (trx, t) => {
        await transition(trx, c, 'Running', 'INSTALLED', 'cluster is running', t, {
          runningAt: c.runningAt ?? t,
          info: { ...c.info, ...(firstMaster ? { masterIp: firstMaster.ip } : {}) },
        })
        await setVmStatus(trx, c, live, 'Running')
      })
      return c.spec.userTask ? soon() : { done: true }
    },

    async Running(c) {
      const task = c.spec.userTask
      if (!task || (c.info.task && c.info.task.state !== 'running')) return { done: true }
      const live = await store.vms.live(c.id)
      const op: OperationState = await provider.runTask(
        {
          key: `${c.id}/task`,
          clusterId: c.id,
          clusterName: c.name,
          nodes: live.map((v) => v.name),
          type: task.type,
        },
        abort.signal,
      )
      if (!c.info.task) {
        await write(c, async (trx, t) => {
          await guardedUpdate(trx, c, { info: { ...c.info, task: { state: 'running', startedAt: t } } }, t)
          await store.events.append(trx, {
            clusterId: c.id,
            at: t,
            type: 'TaskChanged',
            reason: 'TASK_STARTED',
            message: `${task.type} task started`,
          })
        })
        return op.phase === 'running' ? later(op.readyAt) : soon()
      }
      if (op.phase === 'running') return later(op.readyAt)
      const ok = op.phase === 'succeeded'
      const ends = task.terminationPolicy === 'always' || (task.terminationPolicy === 'onSuccess' && ok)
      await write(c, async (trx, t) => {
        const info: ClusterInfo = {
          ...c.info,
          task: { state: ok ? 'succeeded' : 'failed', startedAt: c.info.task!.startedAt, endedAt: t },
          ...(ok ? {} : { lastError: op.error ?? 'task failed' }),
        }
        const reason = ok ? 'TASK_SUCCEEDED' : 'TASK_FAILED'
        const message = `${task.type} task ${ok ? 'succeeded' : `failed: ${op.error ?? 'unknown error'}`}`
        if (ends)
          await transition(
            trx,
            c,
            'Terminating',
            reason,
            `${message}; terminationPolicy ${task.terminationPolicy} ends the cluster`,
            t,
            {
              info,
              terminalStatus: 'Terminated(UserCommand)',
            },
          )
        else {
          await guardedUpdate(trx, c, { info }, t)
          await store.events.append(trx, { clusterId: c.id, at: t, type: 'TaskChanged', reason, message })
        }
      })
      return ends ? soon() : { done: true }
    },

    async Processing(c) {
      return c.targetWorkerCnt >= c.workerCnt ? scaleOut(c) : scaleIn(c)
    },

    async Terminating(c) {
      // Every VM this cluster may have asked for, recorded or not (a crash can fall between the
      // provider's create and our insert): deleting a key never created is a no-op, so no orphan survives.
      const live = await store.vms.live(c.id)
      const names = new Set(live.map((v) => v.name))
      const masters = masterCountFor(c.spec.isHa)
      for (let i = 1; i <= Math.max(masters, c.nextMasterIndex - 1); i++) names.add(vmName(c.name, true, i))
      // A scale-out asks the provider for its new workers (nextWorkerIndex upwards) before it
      // records them, and a delete landing in between wins the row: those workers then exist
      // only at the provider, so the range reaches as far as that scale-out could have gone.
      // (A scale-out creates target minus the live workers, which may exceed target minus
      // workerCnt if a worker was lost: nextWorkerIndex - 1 + target bounds both.)
      const scaleOutReach = c.nextWorkerIndex - 1 + c.targetWorkerCnt
      const maxWorker = Math.max(scaleOutReach, c.spec.workerCnt, c.targetWorkerCnt)
      for (let i = 1; i <= maxWorker; i++) names.add(vmName(c.name, false, i))
      const toMark = live.filter((v) => v.status !== 'Terminating')
      if (toMark.length > 0)
        await write(c, async (trx, t) => {
          await guardedUpdate(trx, c, {}, t)
          await setVmStatus(trx, c, toMark, 'Terminating')
        })
      const states = await Promise.all(
        [...names].map(async (n) => ({ n, s: await provider.deleteVm(`${c.id}/${n}`, abort.signal) })),
      )
      const gone = states.filter((x) => x.s.phase === 'gone' && live.some((v) => v.name === x.n))
      const pending = states.filter((x) => x.s.phase !== 'gone')
      if (gone.length > 0 || pending.length === 0)
        await write(c, async (trx, t) => {
          await guardedUpdate(trx, c, {}, t)
          for (const g of gone) await store.vms.end(trx, c.id, g.n, t)
          if (pending.length === 0) {
            const to = c.terminalStatus ?? 'Terminated(User)'
            await transition(trx, c, to, 'TERMINATED', `cluster ${to}`, t, {
              terminatedAt: t,
              masterCnt: 0,
              workerCnt: 0,
              apiKeyStatus: deriveApiKeyStatus({
                clusterType: c.clusterType,
                hasUserTask: !!c.spec.userTask,
                status: to,
              }),
            })
          }
        })
      return pending.length === 0 ? { done: true } : later(pendingUntil(pending.map((p) => p.s)))
    },

    'Terminated(User)': async () => ({ done: true }),
    'Terminated(UserCommand)': async () => ({ done: true }),
    'Terminated(Error)': async () => ({ done: true }),
  }

  const finishScale = (
    c: ClusterRecord,
    reason: EventReason,
    message: string,
    extra: (trx: Kysely<Tables>, t: number) => Promise<void>,
  ) =>
    write(c, async (trx, t) => {
      await extra(trx, t)
      await transition(trx, c, 'Running', reason, message, t, { workerCnt: c.targetWorkerCnt })
    })

  /** New workers take fresh indexes (never reused), boot, install, and join. */
  const scaleOut = async (c: ClusterRecord): Promise<Outcome> => {
    const live = await store.vms.live(c.id)
    const liveWorkers = live.filter((v) => v.is_master === 0)
    const joining = liveWorkers.filter((v) => v.status === 'Creating' || v.status === 'Installing')
    const missing = c.targetWorkerCnt - liveWorkers.length
    const wanted = [
      ...joining.map((v) => ({ isMaster: false, index: v.idx })),
      ...Array.from({ length: Math.max(0, missing) }, (_, i) => ({
        isMaster: false,
        index: c.nextWorkerIndex + i,
      })),
    ]
    if (wanted.length === 0) {
      await finishScale(
        c,
        'SCALE_OUT_DONE',
        `scale-out done: ${c.targetWorkerCnt} workers`,
        async () => undefined,
      )
      return { done: true }
    }
    const states = await ensureVms(c, wanted, 'scale-out')
    if (states.some((s) => s.phase === 'booting')) return later(pendingUntil(states))
    const firstNew = Math.min(...wanted.map((w) => w.index))
    const nodes = wanted.map((w) => vmName(c.name, false, w.index))
    const fresh = await store.vms.live(c.id)
    const creating = fresh.filter((v) => nodes.includes(v.name) && v.status === 'Creating')
    if (creating.length > 0)
      await write(c, async (trx, t) => {
        await guardedUpdate(trx, c, {}, t)
        await setVmStatus(trx, c, creating, 'Installing')
      })
    const op = await provider.install(
      { key: `${c.id}/scale-out/${firstNew}`, clusterId: c.id, clusterName: c.name, nodes },
      abort.signal,
    )
    if (op.phase === 'running') return later(op.readyAt)
    await finishScale(
      c,
      'SCALE_OUT_DONE',
      `scale-out done: ${nodes.length} worker(s) joined, ${c.targetWorkerCnt} workers`,
      (trx) =>
        setVmStatus(
          trx,
          c,
          fresh.filter((v) => nodes.includes(v.name)),
          'Running',
        ),
    )
    return { done: true }
  }

  /** The highest-index workers leave: decommissioned first, then deleted. */
  const scaleIn = async (c: ClusterRecord): Promise<Outcome> => {
    const live = await store.vms.live(c.id)
    const workers = live.filter((v) => v.is_master === 0).sort((a, b) => b.idx - a.idx)
    let leaving = workers.filter((v) => v.status === 'Decommissioning' || v.status === 'Terminating')
    const excess = c.workerCnt - c.targetWorkerCnt
    if (leaving.length === 0) {
      leaving = workers.slice(0, excess)
      const chosen = leaving
      await write(c, async (trx, t) => {
        await guardedUpdate(trx, c, {}, t)
        await setVmStatus(trx, c, chosen, 'Decommissioning')
      })
      leaving = leaving.map((v) => ({ ...v, status: 'Decommissioning' }))
    }
    const nodes = leaving.map((v) => v.name)
    const op = await provider.decommission(
      {
        key: `${c.id}/decommission/${[...nodes].sort().join(',')}`,
        clusterId: c.id,
        clusterName: c.name,
        nodes,
      },
      abort.signal,
    )
    if (op.phase === 'running') return later(op.readyAt)
    const toDelete = leaving.filter((v) => v.status === 'Decommissioning')
    if (toDelete.length > 0)
      await write(c, async (trx, t) => {
        await guardedUpdate(trx, c, {}, t)
        await setVmStatus(trx, c, toDelete, 'Terminating')
      })
    const states = await Promise.all(
      leaving.map(async (v) => ({ v, s: await provider.deleteVm(`${c.id}/${v.name}`, abort.signal) })),
    )
    const pending = states.filter((x) => x.s.phase !== 'gone')
    if (pending.length > 0) return later(pendingUntil(pending.map((p) => p.s)))
    await finishScale(
      c,
      'SCALE_IN_DONE',
      `scale-in done: ${leaving.length} worker(s) removed, ${c.targetWorkerCnt} workers`,
      async (trx, t) => {
        for (const v of leaving) await store.vms.end(trx, c.id, v.name, t)
      },
    )
    return { done: true }
  }

  const backoff = (attempts: number) =>
    Math.min(30_000, 100 * 2 ** Math.min(attempts, 12)) * (0.5 + Math.random() / 2)

  /** One pass over one claimed cluster. Never throws: the outcome is written back to the work row. */
  const reconcile = async (id: string): Promise<void> => {
    try {
      const c = await store.clusters.getById(id)
      const outcome: Outcome = !c || isTerminated(c.status) ? { done: true } : await steps[c.status](c)
      logger.debug({ clusterId: id, status: c?.status, outcome }, 'reconciled one step')
      if ('done' in outcome) await store.work.finish(id, owner, now())
      else await store.work.release(id, owner, outcome.requeueAt, now())
    } catch (e) {
      if (e instanceof LeaseLostError) {
        logger.warn({ clusterId: id }, 'lease lost; another reconciler owns this cluster now')
        return
      }
      if (e instanceof Conflict) {
        await store.work.release(id, owner, now(), now()).catch(() => undefined)
        return
      }
      const attempts = await store.work.attempts(id).catch(() => 0)
      logger.warn({ clusterId: id, err: e, attempts }, 'reconcile failed; retrying with backoff')
      await store.work.release(id, owner, now() + backoff(attempts), now(), true).catch(() => undefined)
    }
  }

  /**
   * Claims and reconciles due work until none is left at the current time, or `keepGoing` says
   * stop (checked between batches). Returns passes run.
   */
  const drain = async (limit = Infinity, keepGoing: () => boolean = () => true): Promise<number> => {
    let passes = 0
    while (passes < limit && keepGoing()) {
      const ids = await store.work.claim(owner, now(), deps.leaseMs, deps.concurrency)
      if (ids.length === 0) break
      await Promise.all(ids.map(reconcile))
      passes += ids.length
      // Let HTTP requests in between batches: without this, a long run of microtasks (the
      // SQLite driver resolves at once) would starve the API while there is work.
      await new Promise((r) => setImmediate(r))
    }
    return passes
  }

  const loop = async () => {
    while (running) {
      try {
        // A backlog can keep a drain busy for seconds (at time scale 0, until every cluster is
        // Running); shutdown must not wait for it, only for the batch under way.
        await drain(Infinity, () => running)
      } catch (e) {
        logger.error({ err: e }, 'reconciler loop error')
      }
      if (!running) break
      const next = await store.work.nextDue().catch(() => undefined)
      const wait = Math.max(0, Math.min(deps.pollMs, next === undefined ? deps.pollMs : next - now()))
      if (woken) {
        woken = false
        continue
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait)
        wakeUp = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wakeUp = undefined
      woken = false
    }
  }

  return {
    owner,
    get running() {
      return running
    },
    reconcile,
    drain,
    start() {
      if (running) return
      running = true
      loopDone = loop()
    },
    wake() {
      woken = true
      wakeUp?.()
    },
    async stop() {
      if (!running) return
      running = false
      wakeUp?.()
      abort.abort()
      await loopDone
      await store.work.releaseAll(owner).catch(() => undefined)
    },
  }
}

export type Reconciler = ReturnType<typeof createReconciler>
