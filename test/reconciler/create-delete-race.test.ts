import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Provider } from '../../src/providers/provider.js'
import { createReconciler } from '../../src/reconciler/reconciler.js'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { api } from '../api/util.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'

/**
 * At time scale 0 a cluster's VMs are up as soon as they are made, and the Creating pass records
 * them in the transaction that moves the cluster to Installing: that transition's status guard
 * is their fence. A delete that lands between the provider's answer and that write makes the
 * whole write a conflict: no VM row, no Installing, and the teardown still finds the VMs.
 */
describe('delete racing the Creating write', () => {
  let s: TestServer
  beforeEach(async () => {
    s = await startTestServer({ timeScale: 0 })
  })
  afterEach(() => s.cleanup())

  it('records nothing of the pass that lost, and leaves no provider VM behind', async () => {
    const a = api(s)
    const status = async (id: string) => (await a.get(id)).json().status as string
    const id = (await a.create(validBody({ name: 'race', workerCnt: 3 }))).json().id as string

    const sim = s.simulator
    let made = 0
    let deleted = false
    const provider: Provider = {
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
    const { rows } = await s.store.events.list(id, 0, 100)
    expect(rows.map((e) => e.toStatus).filter(Boolean)).toEqual([
      'Initializing',
      'Creating',
      'Terminating',
      'Terminated(User)',
    ])
    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  })
})
