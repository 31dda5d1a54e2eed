import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { api } from '../api/util.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'

/**
 * DESIGN section 1: on SIGTERM the reconciler stops and hands its leases back. It must stop at
 * the end of the pass under way, not after draining every due step of every cluster: at time
 * scale 0 a backlog is due all at once, and a process that keeps working through it is killed
 * by its supervisor before it ever releases a lease.
 */
describe('reconciler stop', () => {
  let s: TestServer
  beforeEach(async () => {
    s = await startTestServer({ timeScale: 0 })
  })
  afterEach(() => s.cleanup())

  it('stops after the batch under way, with work left, and releases every lease', async () => {
    const a = api(s)
    const N = 100
    for (let i = 0; i < N; i += 50)
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => {
          const res = await a.create(validBody({ name: `stop-${i + j}` }))
          expect(res.statusCode).toBe(200)
        }),
      )
    const db = s.store.database.db
    const counts = async () =>
      Object.fromEntries(
        (
          await db
            .selectFrom('clusters')
            .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
            .groupBy('status')
            .execute()
        ).map((r) => [r.status, Number(r.n)]),
      ) as Record<string, number>

    s.reconciler.start()
    for (let i = 0; i < 1000 && ((await counts()).Initializing ?? 0) === N; i++)
      await new Promise((r) => setTimeout(r, 1))
    await s.reconciler.stop()
    const after = await counts()
    // Every cluster needs 4 passes to reach Running and one pass takes 16 clusters: stopping
    // at a batch boundary leaves nearly all of them short of it.
    expect(after.Running ?? 0).toBeLessThan(N / 2)
    const leased = await db
      .selectFrom('work')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('lease_owner', 'is not', null)
      .executeTakeFirstOrThrow()
    expect(Number(leased.n)).toBe(0)
    // What is left is picked up again: nothing was lost by stopping half-way.
    await s.runUntil(async () => ((await counts()).Running ?? 0) === N)
  })
})
