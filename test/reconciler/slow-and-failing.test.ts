import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/clock.js'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { TerminalProviderError } from '../../src/providers/provider.js'
import { createReconciler, type ReconcilerOptions } from '../../src/reconciler/reconciler.js'
import { api } from '../api/util.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { spyOn, type ProviderCall } from '../provider-spy.js'

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      reject(signal.reason as Error)
    })
  })

/**
 * The engine against a provider that behaves like real infrastructure: slower than a lease,
 * hanging, failing for a while, failing for good. Each case drives reconcilers built on the
 * test server's store and simulator, through a spy that counts every call they make.
 */
describe('reconciler against a slow or failing provider', () => {
  let s: TestServer
  afterEach(() => s.cleanup())

  const reconcilerFor = (
    before: (call: ProviderCall, signal: AbortSignal) => Promise<void>,
    over: Partial<ReconcilerOptions> = {},
  ) => {
    const spy = spyOn(s.simulator, before)
    const reconciler = createReconciler({
      store: s.store,
      provider: spy.provider,
      clock: s.clock,
      logger: pino({ level: process.env.DEBUG_RECONCILER ? 'debug' : 'silent' }),
      leaseMs: 60_000,
      pollMs: 1000,
      concurrency: 4,
      ...over,
    })
    return { spy, reconciler }
  }
  const status = async (id: string) => (await api(s).get(id)).json().status as string
  const events = async (id: string) =>
    (await api(s).events(id)).json().content as { type: string; reason: string; message: string }[]
  /** Drains, then moves the manual clock a minute (past any backoff), until `done` or `rounds`. */
  const drive = async (r: { drain(): Promise<number> }, done: () => Promise<boolean>, rounds = 60) => {
    for (let i = 0; i < rounds; i++) {
      await r.drain()
      if (await done()) return
      s.clock.advance(60_000)
    }
    throw new Error('not reached')
  }

  it('abandons a call that hangs, goes on with other clusters, and ends the stuck one with PROVIDER_ERROR', async () => {
    s = await startTestServer({ timeScale: 0 })
    const stuck = (await api(s).create(validBody({ name: 'stuck' }))).json().id as string
    const fine = (await api(s).create(validBody({ name: 'fine' }))).json().id as string
    // The provider never answers for the stuck cluster, and ignores the abort signal too.
    const { spy, reconciler } = reconcilerFor(
      (call) =>
        call.clusterId === stuck && call.method === 'createVm'
          ? new Promise(() => undefined)
          : Promise.resolve(),
      { callTimeoutMs: 50, maxAttempts: 3 },
    )
    await drive(reconciler, async () => (await status(stuck)) === 'Terminated(Error)')
    expect(await status(fine)).toBe('Running')
    const failure = (await events(stuck)).find((e) => e.reason === 'PROVIDER_ERROR')!
    expect(failure.message).toMatch(
      /^createVm HadoopMST-stuck-1 failed 3 times in a row: no answer within 50 ms$/,
    )
    // Three passes tried, each abandoned its calls at the deadline; none was tried again after the cap.
    const creates = spy.calls.filter((c) => c.clusterId === stuck && c.method === 'createVm')
    expect(creates.length).toBe(3 * 4)
    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  })

  it('backs off on errors, recovers when they stop, and gives up after the attempt cap', async () => {
    s = await startTestServer({ timeScale: 0 })
    const flaky = (await api(s).create(validBody({ name: 'flaky' }))).json().id as string
    const broken = (await api(s).create(validBody({ name: 'broken' }))).json().id as string
    let flakyFailures = 0
    const { spy, reconciler } = reconcilerFor(
      async (call) => {
        if (call.method !== 'install') return
        if (call.clusterId === broken) throw new Error('quota exceeded: cores')
        if (call.clusterId === flaky && flakyFailures < 2) {
          flakyFailures++
          throw new Error('connection reset')
        }
      },
      { maxAttempts: 4 },
    )

    // The first failure is not retried at once: the work item is due only after a backoff.
    await reconciler.drain()
    const installs = () => spy.calls.filter((c) => c.method === 'install').length
    const afterFirst = installs()
    await reconciler.drain()
    expect(installs()).toBe(afterFirst)

    await drive(reconciler, async () => (await status(broken)) === 'Terminated(Error)')
    expect(await status(flaky)).toBe('Running')
    expect(flakyFailures).toBe(2)
    expect(spy.calls.filter((c) => c.clusterId === broken && c.method === 'install')).toHaveLength(4)
    const ev = await events(broken)
    expect(ev.find((e) => e.reason === 'PROVIDER_ERROR')!.message).toBe(
      'install failed 4 times in a row: quota exceeded: cores',
    )
    // The recovered cluster's history shows no error.
    expect((await events(flaky)).some((e) => e.reason === 'PROVIDER_ERROR')).toBe(false)
  })

  it('ends a cluster at once on a terminal provider error', async () => {
    s = await startTestServer({ timeScale: 0 })
    const id = (await api(s).create(validBody({ name: 'refused' }))).json().id as string
    const { spy, reconciler } = reconcilerFor(async (call) => {
      if (call.method === 'createVm')
        throw new TerminalProviderError('flavor m2a.2xlarge is not offered in this zone')
    })
    await drive(reconciler, async () => (await status(id)) === 'Terminated(Error)')
    expect(spy.count('createVm')).toBe(4)
    expect((await events(id)).find((e) => e.reason === 'PROVIDER_ERROR')!.message).toBe(
      'createVm HadoopMST-refused-1 failed: flavor m2a.2xlarge is not offered in this zone',
    )
  })

  it('keeps deleting a Terminating cluster whose deletes fail, says so once, and finishes when they work again', async () => {
    s = await startTestServer({ timeScale: 0 })
    const id = (await api(s).create(validBody({ name: 'sticky' }))).json().id as string
    let failing = true
    const { reconciler } = reconcilerFor(
      async (call) => {
        if (call.method === 'deleteVm' && failing) throw new Error('volume detach timed out')
      },
      { maxAttempts: 2 },
    )
    await drive(reconciler, async () => (await status(id)) === 'Running')
    expect((await api(s).delete(id)).statusCode).toBe(200)
    for (let i = 0; i < 6; i++) {
      await reconciler.drain()
      s.clock.advance(60_000)
    }
    expect(await status(id)).toBe('Terminating')
    const errors = (await events(id)).filter((e) => e.reason === 'PROVIDER_ERROR')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(
      /deleteVm .* failed 2 times in a row: volume detach timed out; still trying/,
    )
    failing = false
    await drive(reconciler, async () => (await status(id)) === 'Terminated(User)')
  })

  it('brings a 50-worker cluster to Running with exactly 51 VM creations when each takes longer than a lease', async () => {
    s = await startTestServer({ timeScale: 0 })
    const id = (await api(s).create(validBody({ name: 'slow', workerCnt: 50 }))).json().id as string
    let inFlight = 0
    let maxInFlight = 0
    const slowCreate = async (call: ProviderCall, signal: AbortSignal) => {
      if (call.method !== 'createVm') return
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      try {
        await sleep(700, signal)
      } finally {
        inFlight--
      }
    }
    // Two replicas on real time, with a 500 ms lease: were the lease not kept alive while the
    // creations run, the second would take the cluster over and ask for its VMs again.
    const replicas = [0, 1].map(() =>
      reconcilerFor(slowCreate, {
        clock: systemClock,
        leaseMs: 500,
        pollMs: 20,
        callTimeoutMs: 10_000,
        callsPerCluster: 8,
      }),
    )
    for (const { reconciler } of replicas) reconciler.start()
    const deadline = Date.now() + 25_000
    while ((await status(id)) !== 'Running' && Date.now() < deadline) await sleep(50)
    await Promise.all(replicas.map(({ reconciler }) => reconciler.stop()))
    expect(await status(id)).toBe('Running')
    const creates = replicas.flatMap(({ spy }) => spy.calls.filter((c) => c.method === 'createVm'))
    expect(creates).toHaveLength(51)
    expect(new Set(creates.map((c) => c.vm)).size).toBe(51)
    // Bounded per cluster: never more than callsPerCluster at once, however many VMs it has.
    expect(maxInFlight).toBe(8)
    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  })
  it('waits for the passes under way when a claim fails, and claims again on the next drain', async () => {
    s = await startTestServer({ timeScale: 0 })
    await api(s).create(validBody({ name: 'first' }))
    await api(s).create(validBody({ name: 'second' }))
    // One cluster per claim, and the second claim fails as a deadlock would: the pass already
    // started for one cluster must finish, and drain must return instead of throwing.
    const realClaim = s.store.work.claim.bind(s.store.work)
    let claims = 0
    s.store.work.claim = (...args: Parameters<typeof realClaim>) =>
      ++claims === 2 ? Promise.reject(new Error('deadlock detected')) : realClaim(...args)
    const { reconciler } = reconcilerFor(() => sleep(30), { concurrency: 1 })
    await expect(reconciler.drain()).resolves.toBe(1)
    expect(reconciler.inFlight).toBe(0)
    expect(claims).toBe(2)
    await drive(reconciler, async () =>
      (await api(s).list()).json().content.every((c: { status: string }) => c.status === 'Running'),
    )
  })
})
