import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { freshDatabase, startTestServer, TEST_BACKEND, validBody, type TestServer } from '../helpers.js'
import { api, b64, createCluster, expectError, statusOf } from '../api/util.js'

/**
 * The database going read-only, full or away must cost requests a 503 with Retry-After (never a
 * 500, never a hang, never half a change), and everything must work again once it is back,
 * without restarting the server.
 */
let s: TestServer | undefined
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  await s?.cleanup()
  s = undefined
  for (const c of cleanups.splice(0)) await c()
})

const expectUnavailable = (res: Awaited<ReturnType<ReturnType<typeof api>['list']>>) => {
  expectError(res, 503, 'DATABASE_UNAVAILABLE')
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
}

/** The reconciler meets the outage too: a pass may fail, but must not wedge anything. */
const stepThroughOutage = async (t: TestServer) => {
  for (let i = 0; i < 5; i++) await t.step(1000).catch(() => undefined)
}

const settle = async (t: TestServer, ids: string[]) =>
  t.runUntil(
    async () => (await Promise.all(ids.map((id) => statusOf(t, id)))).every((st) => st === 'Running'),
    {
      tick: 5000,
    },
  )

const counts = async (t: TestServer) => {
  const { db } = t.store.database
  const n = async (table: 'clusters' | 'vms' | 'events') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  return { clusters: await n('clusters'), vms: await n('vms'), events: await n('events') }
}

describe.runIf(TEST_BACKEND === 'sqlite')('SQLite outages', () => {
  it('read-only: mutations get 503, reads still work, and all recovers without a restart', async () => {
    s = await startTestServer()
    const before = await createCluster(s, { name: 'before' })
    await s.step()
    await sql`pragma query_only = on`.execute(s.store.database.db)
    const frozen = await counts(s)

    expectUnavailable(await api(s).create(validBody({ name: 'during' })))
    expectUnavailable(await api(s).delete(before))
    expect((await api(s).list()).statusCode).toBe(200)
    expect((await api(s).get(before)).statusCode).toBe(200)
    await stepThroughOutage(s)
    expect(await counts(s)).toEqual(frozen)

    await sql`pragma query_only = off`.execute(s.store.database.db)
    const after = await createCluster(s, { name: 'during' })
    await settle(s, [before, after])
  })

  it('disk full: a create that needs space gets 503, nothing half-written; room again: it works', async () => {
    s = await startTestServer()
    const { db } = s.store.database
    const first = await createCluster(s, { name: 'first' })
    await s.step()
    const pages = await sql<{ page_count: number }>`pragma page_count`.execute(db)
    await sql.raw(`pragma max_page_count = ${pages.rows[0]!.page_count}`).execute(db)
    const frozen = await counts(s)
    // a big (valid) configuration needs new pages
    const configText = b64(
      JSON.stringify({
        configurations: [{ classification: 'core-site', properties: { big: 'x'.repeat(300_000) } }],
      }),
    )
    const big = validBody({ name: 'big-one', config: { ...(validBody().config as object), configText } })
    expectUnavailable(await api(s).create(big))
    expect(await counts(s)).toEqual(frozen)
    expect((await api(s).get(first)).statusCode).toBe(200)

    await sql`pragma max_page_count = 1073741823`.execute(db)
    const created = await api(s).create(big)
    expect(created.statusCode, created.body).toBe(200)
    await settle(s, [first, created.json().id])
  })
})

/** A TCP proxy in front of PostgreSQL that a test can cut and restore. */
const startProxy = async (target: { host: string; port: number }) => {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = new NetSocket()
        upstream.connect(target.port, target.host)
        for (const sock of [client, upstream]) {
          sockets.add(sock)
          sock.on('close', () => sockets.delete(sock))
          sock.on('error', () => undefined)
        }
        client.pipe(upstream).pipe(client)
        client.on('close', () => upstream.destroy())
        upstream.on('close', () => client.destroy())
      })
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port
        resolve()
      })
    })
  await listen()
  return {
    port: () => port,
    async cut() {
      await new Promise<void>((r) => {
        server!.close(() => r())
        for (const sock of sockets) sock.destroy()
      })
    },
    restore: listen,
    close: async () => {
      for (const sock of sockets) sock.destroy()
      await new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r()))
    },
  }
}

describe.runIf(TEST_BACKEND === 'postgres')('PostgreSQL outages', () => {
  it('read-only database: mutations get 503, reads work, and writes resume once it is writable', async () => {
    s = await startTestServer()
    const { db } = s.store.database
    const name = (await sql<{ d: string }>`select current_database() as d`.execute(db)).rows[0]!.d
    const admin = await freshAdmin()
    cleanups.push(() => admin.end())
    // Ends the server's connections, so new ones pick up the database's new default.
    const kick = async () => {
      // With a timeout, pg_terminate_backend returns only once the backend has exited (false if
      // it has not within it); each one has told its client why before exiting.
      const { rows } = await admin.query<{ gone: boolean }>(
        `select pg_terminate_backend(pid, 10000) as gone from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [name],
      )
      expect(rows.every((r) => r.gone)).toBe(true)
      // Those goodbyes reached this process before the answer above did: one turn of the event
      // loop reads them, and the pool drops the dead connections instead of lending them out.
      await new Promise((r) => setImmediate(r))
    }
    const before = await createCluster(s, { name: 'before' })
    await s.step()
    await admin.query(`alter database ${name} set default_transaction_read_only = on`)
    await kick()
    const frozen = await counts(s)

    // the first request after the kick may meet a dropped connection: 503 either way
    for (let i = 0; i < 3; i++) expectUnavailable(await api(s).create(validBody({ name: 'during' })))
    expectUnavailable(await api(s).delete(before))
    expect((await api(s).get(before)).statusCode).toBe(200)
    await stepThroughOutage(s)
    expect(await counts(s)).toEqual(frozen)

    await admin.query(`alter database ${name} set default_transaction_read_only = off`)
    await kick()
    const created = await api(s).create(validBody({ name: 'during' }))
    expect(created.statusCode, created.body).toBe(200)
    await settle(s, [before, created.json().id])
  })

  it('unreachable database: every API call gets 503, /readyz says not ready; back: it all works', async () => {
    const dir = (await import('node:fs')).mkdtempSync(
      `${(await import('node:os')).tmpdir()}/hadoop-eco-outage-`,
    )
    const database = await freshDatabase(dir)
    cleanups.push(database.drop)
    const url = new URL(database.url)
    const proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) })
    cleanups.push(proxy.close)
    url.port = String(proxy.port())
    // one failed authentication would block the address: a database failure must not count as one
    s = await startTestServer({ databaseUrl: url.toString(), authFailureLimit: 1 })
    // readiness needs a running reconciler; this test drives it by hand, so only the database check is read
    const readyDb = async () => (await s!.app.inject({ url: '/readyz' })).json().checks.database as string

    const before = await createCluster(s, { name: 'before' })
    await s.step()
    expect(await readyDb()).toBe('ok')
    await proxy.cut()

    expectUnavailable(await api(s).create(validBody({ name: 'during' })))
    expectUnavailable(await api(s).delete(before))
    expectUnavailable(await api(s).list())
    expectUnavailable(await api(s).get(before))
    const ready = await s.app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    // the reason (it names hosts) stays in the log
    expect(await readyDb()).toBe('unavailable')
    for (let i = 0; i < 3; i++)
      expectUnavailable(
        await api(s, { 'credential-id': `never-seen-${i}`, 'credential-secret': 'some-secret-1' }).list(),
      )
    await stepThroughOutage(s)

    await proxy.restore()
    let created = await api(s).create(validBody({ name: 'during' }))
    if (created.statusCode === 503) created = await api(s).create(validBody({ name: 'during' }))
    expect(created.statusCode, created.body).toBe(200)
    expect(await readyDb()).toBe('ok')
    await settle(s, [before, created.json().id])
    expect((await api(s).list()).json().totalElements).toBe(2)
  })
})

const freshAdmin = async () => {
  const pg = (await import('pg')).default
  const client = new pg.Client({ connectionString: process.env.HADOOP_ECO_TEST_DATABASE_URL })
  await client.connect()
  return client
}
