import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { Clock } from '../clock.js'
import type { ClusterRecord } from '../domain/cluster.js'
import { isTerminated } from '../domain/statuses.js'
import { TerminalProviderError, type Provider } from '../providers/provider.js'
import type { Store } from '../store/index.js'
import { LeaseLostError } from '../store/index.js'
import { ProviderCallError, ProviderTimeoutError, withDeadline } from './calls.js'
import { Conflict, createSteps, type Outcome, type Pass } from './steps.js'

export type { Outcome } from './steps.js'

export interface ReconcilerOptions {
  store: Pick<
    Store,
    'clusters' | 'vms' | 'events' | 'work' | 'taskRuns' | 'apiKeys' | 'jobRequests' | 'transaction'
  >
  provider: Provider
  clock: Clock
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>
  /** How long a claim on a cluster lasts; a running pass extends it every third of this. */
  leaseMs: number
  /** How often an idle reconciler looks for work written by other replicas. */
  pollMs: number
  /** Passes (clusters) in flight at once. */
  concurrency: number
  /** A provider call that has not answered within this is abandoned (and retried later). */
  callTimeoutMs?: number
  /** Failed provider calls in a row after which a cluster ends Terminated(Error). */
  maxAttempts?: number
  /** How often a Running cluster is observed again. */
  observeMs?: number
  /** Provider calls in flight at once for one cluster. */
  callsPerCluster?: number
  /** VM creations or deletions one pass starts at most. */
  vmCallsPerPass?: number
  owner?: string
  /** What the engine reports as it works (Prometheus in the server); nothing by default. */
  metrics?: EngineMetrics
}

/** How a pass ended, as the metrics count it. */
export type PassOutcome =
  'done' | 'requeued' | 'conflict' | 'provider_error' | 'lease_lost' | 'stopped' | 'error'

/**
 * The engine's own measurements, reported as they happen. `operation` is a provider call's kind
 * (`createVm`, `install`, ...), never a VM name, so label sets stay bounded.
 */
export interface EngineMetrics {
  pass(outcome: PassOutcome, seconds: number): void
  providerCall(operation: string, outcome: 'ok' | 'error' | 'timeout', seconds: number): void
  leaseLost(): void
}

/** Thrown into a pass's calls when the reconciler stops: not a provider failure. */
class Stopped extends Error {}

/**
 * The only code that moves clusters through their lifecycle (DESIGN section 4), in the style of
 * controller-runtime: a pool of passes with no barrier between them (a slow cluster holds one
 * slot, not the batch), each pass claimed with a lease that a heartbeat extends while it runs,
 * every provider call under a deadline, every write fenced on the lease and the status it read.
 * A cluster whose provider keeps failing ends Terminated(Error) with an event naming the call.
 */
export const createReconciler = (opts: ReconcilerOptions) => {
  const { store, provider, clock, logger, leaseMs } = opts
  const callTimeoutMs = opts.callTimeoutMs ?? 30_000
  const maxAttempts = opts.maxAttempts ?? 8
  const owner = opts.owner ?? `reconciler-${randomUUID()}`
  const now = () => clock.now()
  const { steps, fail } = createSteps({
    store,
    now,
    pollMs: opts.pollMs,
    observeMs: opts.observeMs ?? 30_000,
    callsPerCluster: opts.callsPerCluster ?? 8,
    vmCallsPerPass: opts.vmCallsPerPass ?? 64,
  })

  let running = false
  let loopDone: Promise<void> | undefined
  /** Fires on stop(); every pass under way listens to it. A new one replaces it once stopped. */
  let stopping = new AbortController()
  setMaxListeners(0, stopping.signal)
  const inflight = new Map<string, Promise<void>>()
  /** Waits of the loop and of drains, woken by new work or a slot coming free. */
  const waiters = new Set<() => void>()
  /** A poke that came while nobody waited: the next wait returns at once. */
  let nudged = false
  const poke = () => {
    nudged = true
    for (const w of waiters) w()
    waiters.clear()
  }
  /** Waits for a poke, or for `ms` when given. */
  const waitForPoke = (ms?: number) =>
    new Promise<void>((resolve) => {
      if (nudged) {
        nudged = false
        return resolve()
      }
      const timer = ms === undefined ? undefined : setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        waiters.delete(done)
        nudged = false
        resolve()
      }
      waiters.add(done)
    })

  /** Exponential with jitter, whole milliseconds (due times are bigint columns). */
  const backoff = (attempts: number) =>
    Math.round(Math.min(30_000, 100 * 2 ** Math.min(attempts, 12)) * (0.5 + Math.random() / 2))

  /** Makes a pass's view: its calls die with it, its writes are fenced on its lease. */
  const openPass = (id: string, signal: AbortSignal): Pass => ({
    call: async (name, fn) => {
      const started = performance.now()
      const operation = name.split(' ')[0] ?? name
      const report = (outcome: 'ok' | 'error' | 'timeout') =>
        opts.metrics?.providerCall(operation, outcome, (performance.now() - started) / 1000)
      try {
        const result = await withDeadline(signal, callTimeoutMs, (s) => fn(provider, s))
        report('ok')
        return result
      } catch (e) {
        if (signal.aborted) throw signal.reason
        report(e instanceof ProviderTimeoutError ? 'timeout' : 'error')
        throw e instanceof ProviderCallError ? e : new ProviderCallError(name, e)
      }
    },
    write: (fn) =>
      store.transaction(async (tx) => {
        const t = now()
        await store.work.assertLease(tx, id, owner, t)
        await fn(tx, t)
      }),
  })

  /**
   * A provider call failed. Transient: back off and count. Terminal, or too many in a row: the
   * cluster ends Terminated(Error) with PROVIDER_ERROR. A cluster already Terminating cannot end
   * any other way than by its VMs going, so it says so once and keeps trying, slowly.
   */
  const providerFailed = async (pass: Pass, c: ClusterRecord, e: ProviderCallError) => {
    const attempts = (await store.work.attempts(c.id)) + 1
    const terminal = e.cause instanceof TerminalProviderError
    const cause = e.cause instanceof Error ? e.cause.message : String(e.cause)
    const givingUp = terminal || attempts >= maxAttempts
    logger.warn({ clusterId: c.id, call: e.call, attempts, err: cause }, 'provider call failed')
    if (!givingUp) {
      await store.work.release(c.id, owner, now() + backoff(attempts), now(), true)
      return
    }
    const message = `${e.call} failed${terminal ? '' : ` ${attempts} times in a row`}: ${cause}`
    if (c.status === 'Terminating') {
      if (attempts === maxAttempts || terminal)
        await pass.write((tx, t) =>
          store.events.append(tx, {
            clusterId: c.id,
            at: t,
            type: 'Error',
            reason: 'PROVIDER_ERROR',
            message: `${message}; still trying to delete the cluster's VMs`,
          }),
        )
      await store.work.release(c.id, owner, now() + 30_000, now(), true)
      return
    }
    await fail(pass, c, 'PROVIDER_ERROR', message)
    await store.work.release(c.id, owner, now(), now())
  }

  /** One pass over one claimed cluster. Never throws: the outcome is written back to the work row. */
  const reconcile = async (id: string): Promise<void> => {
    const ctl = new AbortController()
    // Each call under way listens to the pass (callsPerCluster at once, and the heartbeat).
    setMaxListeners(0, ctl.signal)
    const stop = stopping.signal
    const onStop = () => ctl.abort(new Stopped('reconciler stopped'))
    if (stop.aborted) onStop()
    else stop.addEventListener('abort', onStop, { once: true })
    // The heartbeat: a pass may take longer than a lease (a slow provider, a 1,000-VM cluster).
    const heartbeat = setInterval(
      () =>
        void store.work.extend(id, owner, now(), leaseMs).then(
          (held) => {
            if (!held) ctl.abort(new LeaseLostError(id))
          },
          // The database is out for a moment: the writes are fenced anyway; try again next beat.
          () => undefined,
        ),
      Math.max(5, Math.floor(leaseMs / 3)),
    )
    const pass = openPass(id, ctl.signal)
    const started = performance.now()
    let ended: PassOutcome = 'error'
    let c: ClusterRecord | undefined
    try {
      c = await store.clusters.getById(id)
      const outcome: Outcome = !c || isTerminated(c.status) ? { done: true } : await steps[c.status](pass, c)
      logger.debug({ clusterId: id, status: c?.status, outcome }, 'reconciled one step')
      if ('done' in outcome) await store.work.finish(id, owner, now())
      else await store.work.release(id, owner, outcome.requeueAt, now())
      ended = 'done' in outcome ? 'done' : 'requeued'
    } catch (e) {
      const reason = ctl.signal.aborted ? ctl.signal.reason : e
      if (reason instanceof LeaseLostError || e instanceof LeaseLostError) {
        ended = 'lease_lost'
        opts.metrics?.leaseLost()
        logger.warn({ clusterId: id }, 'lease lost; another reconciler owns this cluster now')
        return
      }
      // Shutdown: the lease goes back with every other one in stop().
      if (reason instanceof Stopped) {
        ended = 'stopped'
        return
      }
      if (e instanceof Conflict) {
        ended = 'conflict'
        await store.work.release(id, owner, now(), now()).catch(() => undefined)
        return
      }
      if (e instanceof ProviderCallError && c) {
        ended = 'provider_error'
        await providerFailed(pass, c, e).catch((err: unknown) => {
          logger.warn({ clusterId: id, err }, 'could not record a provider failure; retrying')
          return store.work.release(id, owner, now() + backoff(1), now()).catch(() => undefined)
        })
        return
      }
      // The database, most likely: not the cluster's fault, so it does not count as an attempt.
      logger.warn({ clusterId: id, err: e }, 'reconcile failed; retrying with backoff')
      await store.work.release(id, owner, now() + backoff(2), now()).catch(() => undefined)
    } finally {
      clearInterval(heartbeat)
      stop.removeEventListener('abort', onStop)
      opts.metrics?.pass(ended, (performance.now() - started) / 1000)
    }
  }

  /** Claims due work into free slots and starts a pass for each; returns how many it started. */
  const fill = async (): Promise<number> => {
    const free = opts.concurrency - inflight.size
    if (free <= 0) return 0
    let ids: string[]
    try {
      ids = await store.work.claim(owner, now(), leaseMs, free)
    } catch (err) {
      // A deadlock or a lost connection while claiming: the passes under way must still be
      // awaited, so this round claims nothing and the next poll tries again.
      logger.warn({ err }, 'could not claim work; trying again at the next poll')
      return 0
    }
    for (const id of ids) {
      // A claim can return a cluster whose previous pass has released it but not yet finished
      // here (on PostgreSQL the claim's answer may be read before the release's): that pass's
      // end must not drop the new one from `inflight`, or a drain returns while it still runs.
      const p: Promise<void> = reconcile(id).finally(() => {
        if (inflight.get(id) === p) inflight.delete(id)
        poke()
      })
      inflight.set(id, p)
    }
    return ids.length
  }

  /**
   * Runs passes until nothing is due at the current time and none is in flight, or `keepGoing`
   * says stop (then it waits only for the passes under way). Returns the passes started.
   */
  const drain = async (keepGoing: () => boolean = () => true): Promise<number> => {
    let passes = 0
    for (;;) {
      const started = keepGoing() ? await fill() : 0
      passes += started
      if (inflight.size === 0 && started === 0) return passes
      if (started === 0 || inflight.size >= opts.concurrency) await waitForPoke()
      // Let HTTP requests in: the SQLite driver resolves at once, so a busy pool would starve them.
      await new Promise((r) => setImmediate(r))
    }
  }

  const loop = async () => {
    while (running) {
      try {
        await drain(() => running)
      } catch (e) {
        logger.error({ err: e }, 'reconciler loop error')
      }
      if (!running) break
      const next = await store.work.nextDue().catch(() => undefined)
      const wait = Math.max(0, Math.min(opts.pollMs, next === undefined ? opts.pollMs : next - now()))
      await waitForPoke(wait)
    }
  }

  return {
    owner,
    get running() {
      return running
    },
    /** Passes in flight right now (for metrics and tests). */
    get inFlight() {
      return inflight.size
    },
    reconcile,
    drain: () => drain(),
    start() {
      if (running) return
      running = true
      loopDone = loop()
    },
    /** New desired state was written: look for work now instead of at the next poll. */
    wake: poke,
    async stop() {
      if (!running && inflight.size === 0) return
      running = false
      stopping.abort()
      poke()
      await loopDone
      await Promise.allSettled([...inflight.values()])
      await store.work.releaseAll(owner).catch(() => undefined)
      stopping = new AbortController()
      setMaxListeners(0, stopping.signal)
    },
  }
}

export type Reconciler = ReturnType<typeof createReconciler>
