import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Provider } from '../../src/providers/provider.js'
import { createReconciler } from '../../src/reconciler/reconciler.js'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { api } from '../api/util.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'

/**
 * A delete that lands while a scale-out is between asking the provider for its new workers and
 * recording them: the recording loses the race (the cluster is Terminating), so the teardown
 * must still find those workers at the provider, or they outlive the cluster.
 */
describe('delete racing a scale-out', () => {
  let s: TestServer
  beforeEach(async () => {
    s = await startTestServer()
  })
  afterEach(() => s.cleanup())

  it('leaves no provider VM behind when the delete lands mid-scale-out', async () => {
    const a = api(s)
    const status = async (id: string) => (await a.get(id)).json().status as string
    const res = await a.create(validBody({ name: 'race', workerCnt: 5 }))
    const id = res.json().id as string
    await s.runUntil(async () => (await status(id)) === 'Running', { tick: 10_000 })
    // A scale-in first, so the next scale-out's indexes (6, 7) lie above workerCnt + scaleCnt.
    expect((await a.scale(id, 'in', 2)).statusCode).toBe(200)
    await s.runUntil(async () => (await status(id)) === 'Running', { tick: 10_000 })
    expect((await a.scale(id, 'out', 2)).statusCode).toBe(200)

    const sim = s.simulator
    let deleted = false
    const provider: Provider = {
      ...sim,
      async createVm(plan, signal) {
        const state = await sim.createVm(plan, signal)
        if (plan.purpose === 'scale-out' && !deleted) {
          deleted = true
          expect((await a.delete(id)).statusCode).toBe(200)
        }
        return state
      },
    }
    const reconciler = createReconciler({
      store: s.store,
      provider,
      clock: s.clock,
      logger: pino({ level: 'silent' }),
      leaseMs: 60_000,
      pollMs: 1000,
      concurrency: 4,
    })
    for (let i = 0; i < 100 && !(await status(id)).startsWith('Terminated'); i++) {
      await reconciler.drain()
      s.clock.advance(10_000)
    }
    expect(deleted).toBe(true)
    expect(await status(id)).toBe('Terminated(User)')
    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  })
})
