import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { createReconciler, type EngineMetrics, type PassOutcome } from '../../src/reconciler/reconciler.js'
import { api } from '../api/util.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { spyOn } from '../provider-spy.js'

/** The engine reports its passes and provider calls as they happen (issue "The first ten minutes", point 10). */
describe('engine metrics', () => {
  let s: TestServer
  afterEach(() => s.cleanup())

  const recorder = () => {
    const passes: PassOutcome[] = []
    const calls: string[] = []
    let leaseLost = 0
    const metrics: EngineMetrics = {
      pass: (outcome, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0)
        passes.push(outcome)
      },
      providerCall: (operation, outcome) => calls.push(`${operation} ${outcome}`),
      leaseLost: () => leaseLost++,
    }
    return { metrics, passes, calls, leaseLost: () => leaseLost }
  }

  it('counts passes by outcome and provider calls by operation, a hung call as a timeout', async () => {
    s = await startTestServer({ timeScale: 0 })
    const fine = (await api(s).create(validBody({ name: 'fine' }))).json().id as string
    const stuck = (await api(s).create(validBody({ name: 'stuck' }))).json().id as string
    const spy = spyOn(s.simulator, (call) =>
      call.clusterId === stuck && call.method === 'createVm'
        ? new Promise(() => undefined)
        : Promise.resolve(),
    )
    const r = recorder()
    const reconciler = createReconciler({
      store: s.store,
      provider: spy.provider,
      clock: s.clock,
      logger: pino({ level: 'silent' }),
      leaseMs: 60_000,
      pollMs: 1000,
      concurrency: 4,
      // Long enough that a real call under a loaded machine answers; the hung one still times out.
      callTimeoutMs: 500,
      maxAttempts: 100,
      metrics: r.metrics,
    })
    for (let i = 0; i < 6; i++) {
      await reconciler.drain()
      s.clock.advance(60_000)
    }
    expect((await api(s).get(fine)).json().status).toBe('Running')
    expect(r.passes).toContain('requeued')
    expect(r.passes).toContain('provider_error')
    expect(r.calls).toContain('createVm ok')
    expect(r.calls).toContain('install ok')
    expect(r.calls).toContain('createVm timeout')
    // Operations, never VM names: the label set stays bounded.
    expect(new Set(r.calls.map((c) => c.split(' ')[0]))).toEqual(new Set(['observe', 'createVm', 'install']))
    expect(r.leaseLost()).toBe(0)
  })
})
