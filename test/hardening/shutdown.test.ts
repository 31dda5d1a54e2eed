import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { openDatabase } from '../../src/store/index.js'
import { validBody } from '../helpers.js'
import { freePort, spawnServer, waitFor, type Proc } from '../process.js'

interface Outcome {
  kind: string
  sentAt: number
  status?: number
  /** Set when the request failed: before any response, or (worse) while reading its body. */
  error?: string
  phase?: 'request' | 'body'
  wellFormed?: boolean
}

/**
 * DESIGN section 1's shutdown contract, on the real binary under load: SIGTERM stops accepting,
 * finishes what is in flight (complete answers, never a 5xx), releases the reconciler's leases,
 * closes the database and exits 0; a restart on the same file finishes every accepted request.
 */
describe('graceful shutdown under load (real server process, SIGTERM)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-shutdown-'))
  const dbPath = join(dir, 'shutdown.db')
  const headers = {
    'credential-id': 'shut-id',
    'credential-secret': 'shut-secret-123',
    'content-type': 'application/json',
  }
  const env = {
    HADOOP_ECO_DATABASE_URL: `sqlite:${dbPath}`,
    HADOOP_ECO_CREDENTIALS: 'shut-id:shut-secret-123@shut',
    HADOOP_ECO_TIME_SCALE: '0.002',
    HADOOP_ECO_POLL_MS: '20',
    // Long enough that a lease left behind would stall the restarted server past the test's
    // deadline: only a released lease lets it carry on at once.
    HADOOP_ECO_LEASE_MS: '120000',
  }
  const procs: Proc[] = []
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers everything it took in completely, refuses the rest cleanly, exits 0, and loses nothing', async () => {
    const port = await freePort()
    const origin = `http://127.0.0.1:${port}`
    const base = `${origin}/v2/hadoop-eco/clusters`
    const first = spawnServer(port, env)
    procs.push(first)
    await waitFor('server up', async () => (await fetch(`${origin}/healthz`)).ok)

    const accepted = new Map<string, string>()
    const deleted = new Set<string>()
    const running: string[] = []
    const outcomes: Outcome[] = []
    let seq = 0
    const send = async (kind: string, path: string, init: RequestInit = {}) => {
      const o: Outcome = { kind, sentAt: Date.now() }
      outcomes.push(o)
      let res: Response
      try {
        res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(10_000), ...init })
      } catch (e) {
        o.phase = 'request'
        o.error = String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message)
        return undefined
      }
      o.status = res.status
      let text: string
      try {
        text = await res.text()
      } catch (e) {
        o.phase = 'body'
        o.error = (e as Error).message
        return undefined
      }
      try {
        const json = JSON.parse(text) as Record<string, unknown>
        o.wellFormed = res.status < 400 ? true : json.status === res.status && typeof json.code === 'string'
        return { status: res.status, json }
      } catch {
        o.wellFormed = false
        return undefined
      }
    }
    const create = async () => {
      const name = `sd-${seq++}`
      const r = await send('create', '', { method: 'POST', body: JSON.stringify(validBody({ name })) })
      if (r?.status === 200) accepted.set(r.json.id as string, name)
    }
    // Some clusters to scale and delete during the load.
    for (let i = 0; i < 8; i++) await create()
    await waitFor(
      'clusters Running',
      async () => {
        const page = (await (await fetch(`${base}?size=100`, { headers })).json()) as {
          content: { id: string; status: string }[]
        }
        running.splice(
          0,
          running.length,
          ...page.content.filter((c) => c.status === 'Running').map((c) => c.id),
        )
        return running.length >= 6
      },
      20_000,
    )

    let stop = false
    const ops = [
      create,
      create,
      () => send('get', `/${[...accepted.keys()][seq % accepted.size]}`),
      () => send('list', `?size=50&sort=createdAt,desc`),
      () => send('vms', `/${running[seq % running.length]}/vms`),
      () =>
        send('scale', `/${running[seq % running.length]}/scale-out`, {
          method: 'POST',
          body: JSON.stringify({ scaleCnt: 1 }),
        }),
      () =>
        send('scale', `/${running[seq % running.length]}/scale-in`, {
          method: 'POST',
          body: JSON.stringify({ scaleCnt: 1 }),
        }),
    ]
    const worker = async (w: number) => {
      for (let i = w; !stop; i++) await ops[i % ops.length]!()
    }
    const workers = Array.from({ length: 24 }, (_, w) => worker(w))
    await new Promise((r) => setTimeout(r, 1500))
    // Two deletes whose answers arrive before the signal: they must end Terminated(User).
    for (const id of running.slice(0, 2)) {
      const r = await send('delete', `/${id}`, { method: 'DELETE' })
      if (r?.status === 200) deleted.add(id)
    }
    expect(deleted.size).toBe(2)

    const killedAt = Date.now()
    first.child.kill('SIGTERM')
    const code = await first.exited
    const exitMs = Date.now() - killedAt
    // Keep the load on a little after the exit: those requests must be refused, not hang.
    await new Promise((r) => setTimeout(r, 300))
    stop = true
    await Promise.all(workers)

    expect(code).toBe(0)
    expect(exitMs).toBeLessThan(5000)
    const answered = outcomes.filter((o) => o.status !== undefined)
    const inWindow = answered.filter((o) => o.sentAt < killedAt + exitMs && o.sentAt >= killedAt - 1000)
    // The load was really on when the signal came.
    expect(inWindow.length).toBeGreaterThan(24)
    expect(answered.filter((o) => o.status! >= 500)).toEqual([])
    expect(outcomes.filter((o) => o.phase === 'body')).toEqual([])
    expect(answered.filter((o) => !o.wellFormed && o.phase !== 'body')).toEqual([])
    // Failures before any answer: a refused connection, or a kept-alive one closed as the
    // request went out (the HTTP/1.1 race every client retries). Never a hang.
    const failed = outcomes.filter((o) => o.phase === 'request')
    expect(failed.filter((o) => !/ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET/.test(o.error!))).toEqual([])
    expect(failed.filter((o) => /ECONNREFUSED/.test(o.error!)).length).toBeGreaterThan(0)
    // A connection opened after the close is refused outright.
    const refused = await new Promise<string>((resolve) =>
      connect(port, '127.0.0.1')
        .on('connect', () => resolve('connected'))
        .on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message)),
    )
    expect(refused).toBe('ECONNREFUSED')

    // The database was closed cleanly: no lease held, the WAL folded back into the file.
    const raw = new Database(dbPath, { readonly: true })
    try {
      const leased = raw.prepare('select count(*) n from work where lease_owner is not null').get() as {
        n: number
      }
      expect(leased.n).toBe(0)
    } finally {
      raw.close()
    }

    const second = spawnServer(port, env)
    procs.push(second)
    await waitFor('server up again', async () => (await fetch(`${origin}/healthz`)).ok)
    let last: { id: string; name: string; status: string; workerCnt: number }[] = []
    await waitFor(
      'every cluster settled',
      async () => {
        const page = (await (await fetch(`${base}?size=1000`, { headers })).json()) as {
          content: typeof last
        }
        last = page.content
        return last.every((c) => c.status === 'Running' || c.status.startsWith('Terminated'))
      },
      30_000,
      100,
    )
    const byId = new Map(last.map((c) => [c.id, c]))
    for (const [id, name] of accepted) expect(byId.get(id)?.name, `accepted create ${id}`).toBe(name)
    for (const id of deleted) expect(byId.get(id)?.status).toBe('Terminated(User)')
    // Nothing but what was accepted, or sent in the shutdown window without an answer, exists.
    const unanswered = outcomes.filter((o) => o.kind === 'create' && o.status === undefined).length
    expect(last.length - accepted.size).toBeGreaterThanOrEqual(0)
    expect(last.length - accepted.size).toBeLessThanOrEqual(unanswered)

    second.child.kill('SIGTERM')
    expect(await second.exited).toBe(0)
    const db = await openDatabase(`sqlite:${dbPath}`)
    try {
      const report = await checkInvariants(db.db)
      expect(report.ok, formatInvariantReport(report)).toBe(true)
    } finally {
      await db.close()
    }
  }, 90_000)
})
