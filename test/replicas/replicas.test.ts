import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshDatabase, validBody } from '../helpers.js'
import { freePort, spawnServer, waitFor, type Proc } from '../process.js'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { openDatabase } from '../../src/store/index.js'

/**
 * The operator's deployment (issue "PostgreSQL and several server replicas"): two real server
 * processes on one PostgreSQL database. Runs in the postgres test project only.
 */
describe('two replicas on one PostgreSQL database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-replicas-'))
  const headers = {
    'credential-id': 'rep-id',
    'credential-secret': 'rep-secret-123',
    'content-type': 'application/json',
  }
  const procs: Proc[] = []
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let env: Record<string, string>

  beforeAll(async () => {
    db = await freshDatabase(dir)
    env = {
      HADOOP_ECO_DATABASE_URL: db.url,
      HADOOP_ECO_CREDENTIALS: 'rep-id:rep-secret-123@replicas',
      // Replicas share the key that seals stored passwords (SECURITY.md).
      HADOOP_ECO_SECRET_KEY: randomBytes(32).toString('base64'),
      HADOOP_ECO_DATA_DIR: dir,
      HADOOP_ECO_TIME_SCALE: '0.01',
      HADOOP_ECO_POLL_MS: '20',
      // A dead replica's leases must expire before the survivor may take its clusters.
      HADOOP_ECO_LEASE_MS: '1500',
    }
  })
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL')
    await Promise.all(procs.map((p) => p.exited))
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const start = async () => {
    const port = await freePort()
    const proc = spawnServer(port, env)
    procs.push(proc)
    await waitFor('replica up', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok)
    return { proc, base: `http://127.0.0.1:${port}/v2/hadoop-eco/clusters` }
  }

  it('gives exactly one 200 and 49 409s for 50 concurrent creates of one name across both replicas', async () => {
    const [a, b] = await Promise.all([start(), start()])
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch((i % 2 ? a : b).base, {
          method: 'POST',
          headers,
          body: JSON.stringify(validBody({ name: 'same-name' })),
        }),
      ),
    )
    const codes = results.map((r) => r.status).sort()
    expect(codes.filter((c) => c === 200)).toHaveLength(1)
    expect(codes.filter((c) => c === 409)).toHaveLength(49)
    for (const r of results.filter((x) => x.status === 409))
      expect(((await r.json()) as { code: string }).code).toBe('DUPLICATE_CLUSTER_NAME')
    a.proc.child.kill('SIGTERM')
    b.proc.child.kill('SIGTERM')
    expect(await a.proc.exited).toBe(0)
    expect(await b.proc.exited).toBe(0)
  }, 60_000)

  it('brings 100 clusters to Running on the survivor after one replica is killed mid-way, every step once', async () => {
    const [a, b] = await Promise.all([start(), start()])
    const ids: string[] = []
    for (let batch = 0; batch < 10; batch++) {
      const res = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fetch((i % 2 ? a : b).base, {
            method: 'POST',
            headers,
            body: JSON.stringify(validBody({ name: `rep-${batch * 10 + i}` })),
          }),
        ),
      )
      for (const r of res) {
        expect(r.status).toBe(200)
        ids.push(((await r.json()) as { id: string }).id)
      }
    }
    const statuses = async () => {
      const page = (await (await fetch(`${b.base}?size=200&name=rep-`, { headers })).json()) as {
        content: { status: string }[]
      }
      return page.content.map((c) => c.status)
    }
    await waitFor(
      'clusters mid-provisioning',
      async () => (await statuses()).some((s) => s === 'Creating' || s === 'Installing'),
      20_000,
      10,
    )
    a.proc.child.kill('SIGKILL')
    await a.proc.exited
    expect((await statuses()).filter((s) => s === 'Running').length).toBeLessThan(100)

    await waitFor(
      'all 100 Running on the survivor',
      async () => {
        const s = await statuses()
        return s.length === 100 && s.every((x) => x === 'Running')
      },
      90_000,
      100,
    )
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const vms = await client.query<{ n: string; d: string; names: string }>(
        `select count(*)::int n, count(distinct instance_id)::int d, count(distinct cluster_id || name)::int names
         from vms where ended_at is null and name like 'Hadoop___-rep-%'`,
      )
      expect(vms.rows[0]).toEqual({ n: 400, d: 400, names: 400 })
      // The provider holds exactly the live VMs of each Running cluster: no replica picked
      // new names for a VM the other had asked for.
      const database = await openDatabase(db.url)
      try {
        const report = await checkInvariants(database.db)
        expect(report.ok, formatInvariantReport(report)).toBe(true)
        // The 100 clusters of this test and the one of the concurrent-create test.
        expect(report.checks.find((c) => c.name === 'provider-vms')!.checked).toBe(101)
      } finally {
        await database.close()
      }
      // Each transition happened once: no step was executed by both replicas.
      const dup = await client.query(
        `select cluster_id, to_status, count(*) from events where to_status is not null group by 1, 2 having count(*) > 1`,
      )
      expect(dup.rows).toEqual([])
      const transitions = await client.query<{ n: number }>(
        `select count(*)::int n from events e join clusters c on c.id = e.cluster_id
         where e.to_status is not null and c.name like 'rep-%'`,
      )
      expect(transitions.rows[0]!.n).toBe(100 * 4)
    } finally {
      await client.end()
    }
    b.proc.child.kill('SIGTERM')
    expect(await b.proc.exited).toBe(0)
  }, 150_000)
})
