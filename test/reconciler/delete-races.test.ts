import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import type { Provider } from '../../src/providers/provider.js'
import { createReconciler } from '../../src/reconciler/reconciler.js'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { api } from '../api/util.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'

/**
 * A user's delete that lands in the middle of a pass, between the provider's answer and the
 * pass's write: the write loses the race (the cluster is Terminating), records nothing, and the
 * teardown still finds at the provider what the pass made, or it would outlive the cluster.
 */
describe('a delete racing a pass', () => {
  let s: TestServer | undefined
  afterEach(() => s?.cleanup())

  const start = async (over: Partial<Config> = {}) => {
    const t = await startTestServer(over)
    s = t
    const a = api(t)
    return { s: t, a, status: async (id: string) => (await a.get(id)).json().status as string }
  }

  /** Runs passes with `provider` until the cluster is terminated; checks it ended well. */
  const untilTerminated = async (t: TestServer, provider: Provider, id: string) => {
    const status = async () => (await api(t).get(id)).json().status as string
    const reconciler = createReconciler({
      store: t.store,
      provider,
      clock: t.clock,
      logger: pino({ level: 'silent' }),
      leaseMs: 60_000,
      pollMs: 1000,
      concurrency: 4,
    })
    for (let i = 0; i < 100 && !(await status()).startsWith('Terminated'); i++) {
      await reconciler.drain()
      t.clock.advance(10_000)
    }
    expect(await status()).toBe('Terminated(User)')
    const report = await checkInvariants(t.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  }

  it('leaves no provider VM behind when the delete lands mid-scale-out', async () => {
    const { s, a, status } = await start()
    const res = await a.create(validBody({ name: 'race', workerCnt: 5 }))
    const id = res.json().id as string
    await s.runUntil(async () => (await status(id)) === 'Running', { tick: 10_000 })
    // A scale-in first, so the next scale-out's indexes (6, 7) lie above workerCnt + scaleCnt.
    expect((await a.scale(id, 'in', 2)).statusCode).toBe(200)
    await s.runUntil(async () => (await status(id)) === 'Running', { tick: 10_000 })
    expect((await a.scale(id, 'out', 2)).statusCode).toBe(200)

    const sim = s.simulator
    let deleted = false
    await untilTerminated(
      s,
      {
        ...sim,
        async createVm(plan, signal) {
          const state = await sim.createVm(plan, signal)
          if (plan.purpose === 'scale-out' && !deleted) {
            deleted = true
            expect((await a.delete(id)).statusCode).toBe(200)
          }
          return state
        },
      },
      id,
    )
    expect(deleted).toBe(true)
  })

  // At time scale 0 a cluster's VMs are up as soon as they are made, and the Creating pass
  // records them in the transaction that moves the cluster to Installing: that transition's
  // status guard is their fence.
  it('records nothing of a Creating write that lost, VMs and Installing alike', async () => {
    const { s, a } = await start({ timeScale: 0 })
    const id = (await a.create(validBody({ name: 'race', workerCnt: 3 }))).json().id as string
    const sim = s.simulator
    let made = 0
    let deleted = false
    await untilTerminated(
      s,
      {
        ...sim,
        async createVm(plan, signal) {
          const state = await sim.createVm(plan, signal)
          // The last of the four: every VM is up, the pass goes on to its one write.
          if (plan.purpose === 'create' && ++made === 4) {
            expect((await a.delete(id)).statusCode).toBe(200)
            deleted = true
          }
          return state
        },
      },
      id,
    )
    expect(deleted).toBe(true)
    const { rows } = await s.store.events.list(id, 0, 100)
    expect(rows.map((e) => e.toStatus).filter(Boolean)).toEqual([
      'Initializing',
      'Creating',
      'Terminating',
      'Terminated(User)',
    ])
  })
})
