import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, spawnServer, waitFor, type Proc } from '../process.js'
import { validBody } from '../helpers.js'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { openDatabase } from '../../src/store/index.js'

/**
 * The durability promise of DESIGN section 4: `kill -9` mid-provisioning, restart, and every
 * cluster carries on to Running with exactly its VMs, none created twice, none orphaned.
 */
describe('crash recovery (real server process, kill -9)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-crash-'))
  const dbPath = join(dir, 'crash.db')
  const headers = {
    'credential-id': 'crash-id',
    'credential-secret': 'crash-secret-123',
    'content-type': 'application/json',
  }
  const env = {
    HADOOP_ECO_DATABASE_URL: `sqlite:${dbPath}`,
    HADOOP_ECO_CREDENTIALS: 'crash-id:crash-secret-123@crash',
    HADOOP_ECO_TIME_SCALE: '0.01',
    HADOOP_ECO_POLL_MS: '20',
    // A dead process's leases must expire before the survivor may take its clusters.
    HADOOP_ECO_LEASE_MS: '1500',
  }
  const procs: Proc[] = []
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('brings all 50 clusters to Running after a kill -9 mid-provisioning', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}/v2/hadoop-eco/clusters`
    const first = spawnServer(port, env)
    procs.push(first)
    await waitFor('server up', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok)

    const ids: string[] = []
    for (let batch = 0; batch < 5; batch++) {
      const res = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          fetch(base, {
            method: 'POST',
            headers,
            body: JSON.stringify(validBody({ name: `crash-${batch * 10 + i}` })),
          }),
        ),
      )
      for (const r of res) {
        expect(r.status).toBe(200)
        ids.push(((await r.json()) as { id: string }).id)
      }
    }
    const statuses = async () => {
      const page = (await (await fetch(`${base}?size=100`, { headers })).json()) as {
        content: { status: string }[]
      }
      return page.content.map((c) => c.status)
    }
    await waitFor(
      'some clusters mid-provisioning',
      async () => (await statuses()).some((s) => s === 'Creating' || s === 'Installing'),
      20_000,
      10,
    )
    first.child.kill('SIGKILL')
    await first.exited
    const atKill = await (async () => {
      const raw = new Database(dbPath, { readonly: true })
      try {
        return raw.prepare("select count(*) n from clusters where status = 'Running'").get() as { n: number }
      } finally {
        raw.close()
      }
    })()
    expect(atKill.n).toBeLessThan(50)

    const second = spawnServer(port, env)
    procs.push(second)
    await waitFor('server up again', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok)
    await waitFor(
      'all 50 Running',
      async () => {
        const s = await statuses()
        return s.length === 50 && s.every((x) => x === 'Running')
      },
      60_000,
      100,
    )

    for (const id of ids) {
      const page = (await (await fetch(`${base}/${id}/vms?size=100`, { headers })).json()) as {
        content: { name: string; instanceId: string; status: string }[]
      }
      const names = page.content.map((v) => v.name).sort()
      expect(names).toHaveLength(4)
      expect(names.filter((n) => n.startsWith('HadoopMST-'))).toHaveLength(1)
      expect(new Set(page.content.map((v) => v.instanceId)).size).toBe(4)
      expect(page.content.every((v) => v.status === 'Running')).toBe(true)
    }
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    // What the database says, through the same checker the soak uses: each VM row is the
    // instance the provider made, the provider holds no VM beyond the live rows (a crash never
    // made the reconciler pick new names), and every cluster's history chains without repeats.
    const database = await openDatabase(`sqlite:${dbPath}`)
    try {
      const report = await checkInvariants(database.db)
      expect(report.ok, formatInvariantReport(report)).toBe(true)
      expect(report.checks.find((c) => c.name === 'provider-vms')!.checked).toBe(50)
      const raw = new Database(dbPath, { readonly: true })
      try {
        const rows = raw
          .prepare('select count(*) n, count(distinct instance_id) d from vms where ended_at is null')
          .get() as { n: number; d: number }
        expect(rows).toEqual({ n: 200, d: 200 })
        const transitions = raw
          .prepare(
            'select cluster_id, to_status, count(*) n from events where to_status is not null group by cluster_id, to_status having n > 1',
          )
          .all()
        expect(transitions).toEqual([])
      } finally {
        raw.close()
      }
    } finally {
      await database.close()
    }
  }, 120_000)
  it('carries a job-cluster re-run on after a kill -9, creating no VM twice (DESIGN section 11)', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}/v2/hadoop-eco/clusters`
    const rerunDb = join(dir, 'rerun.db')
    const rerunEnv = { ...env, HADOOP_ECO_DATABASE_URL: `sqlite:${rerunDb}` }
    const first = spawnServer(port, rerunEnv)
    procs.push(first)
    await waitFor('server up', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok)
    const json = async <T>(res: Response | Promise<Response>): Promise<T> => (await (await res).json()) as T
    const get = (id: string) => json<{ status: string }>(fetch(`${base}/${id}`, { headers }))

    const task = { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'select 1' }
    const ids: string[] = []
    for (let i = 0; i < 10; i++) {
      const r = await fetch(base, {
        method: 'POST',
        headers,
        body: JSON.stringify(validBody({ name: `job-${i}`, userTask: task })),
      })
      expect(r.status).toBe(200)
      ids.push((await json<{ id: string }>(r)).id)
    }
    const all = async (pred: (s: string) => boolean) =>
      (await Promise.all(ids.map(get))).every((c) => pred(c.status))
    await waitFor('first runs done', () => all((st) => st === 'Terminated(UserCommand)'), 60_000, 100)
    const keys = new Map<string, string>()
    for (const id of ids) {
      const r = await fetch(`${base}/${id}/api-key`, { method: 'POST', headers })
      expect(r.status).toBe(201)
      keys.set(id, (await json<{ apiKey: string }>(r)).apiKey)
    }
    const requests = new Map<string, string>()
    for (const id of ids) {
      const r = await fetch(`${base}/${id}`, {
        method: 'POST',
        headers: { ...headers, 'hadoop-eco-api-key': keys.get(id)! },
        body: JSON.stringify({ workerCnt: 3, userTaskExecParams: '--date 2026-12-01' }),
      })
      expect(r.status).toBe(200)
      requests.set(id, (await json<{ requestId: string }>(r)).requestId)
    }
    await waitFor(
      'some re-runs mid-provisioning',
      async () =>
        (await Promise.all(ids.map(get))).some((c) => c.status === 'Creating' || c.status === 'Installing'),
      20_000,
      10,
    )
    first.child.kill('SIGKILL')
    await first.exited

    const second = spawnServer(port, rerunEnv)
    procs.push(second)
    await waitFor('server up again', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok)
    const requestStatus = (id: string) =>
      json<{ requestStatus: string }>(
        fetch(`${base}/${id}/requests/${requests.get(id)!}`, {
          headers: { ...headers, 'hadoop-eco-api-key': keys.get(id)! },
        }),
      )
    await waitFor(
      'every re-run done',
      async () => (await Promise.all(ids.map(requestStatus))).every((r) => r.requestStatus === 'Success'),
      60_000,
      100,
    )
    await waitFor('all terminated again', () => all((st) => st === 'Terminated(UserCommand)'), 30_000, 100)
    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)

    const database = await openDatabase(`sqlite:${rerunDb}`)
    try {
      const report = await checkInvariants(database.db)
      expect(report.ok, formatInvariantReport(report)).toBe(true)
    } finally {
      await database.close()
    }
    const raw = new Database(rerunDb, { readonly: true })
    try {
      // Each cluster: 1 master + 3 workers in its first run, 1 + 3 in its re-run; every VM the
      // simulator ever made has its own name, and each name has exactly one row.
      const perCluster = raw
        .prepare(
          'select cluster_id, count(*) n, count(distinct name) d from vms group by cluster_id order by cluster_id',
        )
        .all() as { n: number; d: number }[]
      expect(perCluster).toHaveLength(10)
      for (const row of perCluster) expect(row).toMatchObject({ n: 8, d: 8 })
      const made = raw.prepare("select count(*) n from sim_ops where kind = 'vm'").get() as { n: number }
      expect(made.n).toBe(80)
    } finally {
      raw.close()
    }
  }, 180_000)
})
