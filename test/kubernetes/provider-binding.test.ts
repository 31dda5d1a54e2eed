import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import type { Config } from '../../src/config.js'
import { createServer } from '../../src/server.js'
import { validBody } from '../helpers.js'
import { FakeKubeApi } from './fake-api-server.js'

/**
 * A database is bound to the provider that made its clusters: switching while clusters are
 * live would hand simulated clusters to Kubernetes (which would make real pods for them) or
 * real ones to the simulator (which would leave their pods running, forgotten).
 */
describe('the provider a database is bound to', () => {
  let dir: string
  let fake: FakeKubeApi
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-binding-'))
    fake = await new FakeKubeApi(clock).start()
  })
  afterEach(async () => {
    await fake.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const start = (provider: Config['provider']) =>
    createServer(
      {
        databaseUrl: `sqlite:${join(dir, 'db.sqlite')}`,
        dataDir: dir,
        credentials: 'b-id:b-secret-1234@p',
        provider,
      },
      { clock, logger: pino({ level: 'silent' }), startReconciler: false, kubeConfig: fake.kubeConfig() },
    )
  const headers = { 'credential-id': 'b-id', 'credential-secret': 'b-secret-1234' }
  const create = async (server: Awaited<ReturnType<typeof start>>, name: string) => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v2/hadoop-eco/clusters',
      headers,
      payload: validBody({ name }),
    })
    expect(res.statusCode).toBe(200)
    return res.json().id as string
  }

  it('refuses another provider while clusters are live, and takes it once none is', async () => {
    const first = await start('simulator')
    const id = await create(first, 'sim')
    await first.close()

    await expect(start('kubernetes')).rejects.toThrow(
      /1 live cluster\(s\) made by the simulator provider: start with HADOOP_ECO_PROVIDER=simulator/,
    )
    expect(fake.requests).toEqual([])

    // Deleted and terminated on the simulator, the database may move to Kubernetes.
    const again = await start('simulator')
    await again.app.inject({ method: 'DELETE', url: `/v2/hadoop-eco/clusters/${id}`, headers })
    for (let i = 0; i < 20; i++) {
      clock.advance(60_000)
      await again.reconciler.drain()
    }
    expect((await again.app.inject({ url: `/v2/hadoop-eco/clusters/${id}`, headers })).json().status).toMatch(
      /^Terminated/,
    )
    await again.close()
    const kube = await start('kubernetes')
    await create(kube, 'real')
    await kube.close()
    // Now it is Kubernetes' database: the simulator may not take it while that cluster lives.
    await expect(start('simulator')).rejects.toThrow(/made by the kubernetes provider/)
  })
})
