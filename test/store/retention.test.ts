import { Writable } from 'node:stream'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createServer } from '../../src/server.js'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { api, createCluster, statusOf } from '../api/util.js'
import { startTestServer, TEST_BACKEND, type TestServer } from '../helpers.js'

const DAY = 86_400_000

/**
 * HADOOP_ECO_RETENTION_DAYS (store/retention.ts): the events and VM rows of clusters that ended
 * before the cut-off go; everything else, the clusters' own rows included, stays as it was.
 */
describe(`history retention (${TEST_BACKEND})`, () => {
  let s: TestServer
  const ids: Record<'old' | 'recent' | 'live', string> = { old: '', recent: '', live: '' }
  const rows = async (table: 'events' | 'vms', id: string) =>
    Number(
      (
        await s.store.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('cluster_id', '=', id)
          .executeTakeFirstOrThrow()
      ).n,
    )
  const terminate = async (id: string) => {
    expect((await api(s).delete(id)).statusCode).toBe(200)
    await s.runUntil(async () => (await statusOf(s, id)).startsWith('Terminated'), { tick: 10_000 })
  }

  beforeAll(async () => {
    s = await startTestServer()
    ids.old = await createCluster(s, { name: 'old' })
    ids.recent = await createCluster(s, { name: 'recent' })
    ids.live = await createCluster(s, { name: 'live' })
    await s.runUntil(
      async () =>
        (await Promise.all(Object.values(ids).map((id) => statusOf(s, id)))).every((x) => x === 'Running'),
      { tick: 10_000 },
    )
    await terminate(ids.old)
    s.clock.advance(10 * DAY)
    await terminate(ids.recent)
  })
  afterAll(async () => {
    await s.cleanup()
  })

  it('deletes the events and VM rows of clusters terminated before the cut-off, and nothing else', async () => {
    for (const id of Object.values(ids)) {
      expect(await rows('events', id)).toBeGreaterThan(0)
      expect(await rows('vms', id)).toBeGreaterThan(0)
    }
    const before = (await api(s).list('includeTerminated=true&size=10')).json()
    const old = (await api(s).get(ids.old)).json()

    // A cut-off 5 days back: "old" ended 10 days before "recent".
    await s.store.retention.purge(s.clock.now() - 5 * DAY)

    expect(await rows('events', ids.old)).toBe(0)
    expect(await rows('vms', ids.old)).toBe(0)
    expect((await api(s).events(ids.old)).json().content).toEqual([])
    for (const id of [ids.recent, ids.live]) {
      expect(await rows('events', id)).toBeGreaterThan(0)
      expect(await rows('vms', id)).toBeGreaterThan(0)
    }
    // The clusters themselves read and list as before: totalElements stays exact.
    const after = (await api(s).list('includeTerminated=true&size=10')).json()
    expect(after.totalElements).toBe(3)
    expect(after).toEqual(before)
    expect((await api(s).get(ids.old)).json()).toEqual(old)

    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  })

  it('picks up clusters that pass the cut-off later, and repeats safely', async () => {
    await s.store.retention.purge(s.clock.now() - 5 * DAY)
    expect(await rows('events', ids.recent)).toBeGreaterThan(0)
    s.clock.advance(6 * DAY)
    await s.store.retention.purge(s.clock.now() - 5 * DAY)
    expect(await rows('events', ids.recent)).toBe(0)
    expect(await rows('events', ids.live)).toBeGreaterThan(0)
    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  })

  it('is a setting: 90 days unless HADOOP_ECO_RETENTION_DAYS says otherwise, 0 keeps everything', () => {
    expect(loadConfig({}).retentionDays).toBe(90)
    expect(loadConfig({ HADOOP_ECO_RETENTION_DAYS: '0' }).retentionDays).toBe(0)
    expect(loadConfig({ HADOOP_ECO_RETENTION_DAYS: '0.5' }).retentionDays).toBe(0.5)
    expect(() => loadConfig({ HADOOP_ECO_RETENTION_DAYS: '-1' })).toThrow(/HADOOP_ECO_RETENTION_DAYS/)
  })
})

/**
 * Deleted and updated rows leave dead space that only vacuum makes reusable: with PostgreSQL's
 * autovacuum off, the tables the server writes all the time grow for good, so the server says so
 * when it starts. SQLite reuses freed pages by itself.
 */
describe(`tables that nothing vacuums (${TEST_BACKEND})`, () => {
  let s: TestServer
  type Line = { level: number; msg: string; serverWide?: boolean; tables?: string[] }
  const lines: Line[] = []
  const into = (out: Line[]) =>
    new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) out.push(JSON.parse(line) as Line)
        done()
      },
    })
  beforeAll(async () => {
    s = await startTestServer({}, { logStream: into(lines) })
    return () => s.cleanup()
  })
  const warning = (from = lines) => from.find((l) => l.msg.startsWith('PostgreSQL autovacuum is off'))

  it.skipIf(TEST_BACKEND !== 'sqlite')('SQLite: none, and nothing said', async () => {
    expect(await s.store.retention.unvacuumed()).toEqual({ serverWide: false, tables: [] })
    expect(warning()).toBeUndefined()
  })

  it.skipIf(TEST_BACKEND !== 'postgres')(
    'PostgreSQL: autovacuum off for the server, or for single tables, said at start',
    async () => {
      const { db } = s.store.database
      const setting = (await sql<{ v: string }>`select current_setting('autovacuum') as v`.execute(db))
        .rows[0]!.v
      const { serverWide, tables } = await s.store.retention.unvacuumed()
      expect(serverWide).toBe(setting === 'off')
      expect(tables).toEqual([])
      // At start: said when it is off for the server, and nothing said when it is on.
      if (serverWide) expect(warning()).toMatchObject({ level: 40, serverWide: true, tables: [] })
      else expect(warning()).toBeUndefined()
      // Turned off for two tables, whatever the server says.
      await sql`alter table events set (autovacuum_enabled = off)`.execute(db)
      await sql`alter table work set (autovacuum_enabled = f)`.execute(db)
      try {
        expect((await s.store.retention.unvacuumed()).tables).toEqual(['events', 'work'])
        // A replica started now, on the same database, names them.
        const name = (await sql<{ d: string }>`select current_database() as d`.execute(db)).rows[0]!.d
        const url = new URL(process.env.HADOOP_ECO_TEST_DATABASE_URL!)
        url.pathname = `/${name}`
        const second: Line[] = []
        const replica = await createServer(
          loadConfig({ HADOOP_ECO_DATABASE_URL: url.toString(), HADOOP_ECO_DATA_DIR: s.dir }),
          { logger: pino({ level: 'info' }, into(second)), startReconciler: false },
        )
        await replica.close()
        expect(warning(second)).toMatchObject({ level: 40, serverWide, tables: ['events', 'work'] })
      } finally {
        await sql`alter table events reset (autovacuum_enabled)`.execute(db)
        await sql`alter table work reset (autovacuum_enabled)`.execute(db)
      }
      await sql`alter table vms set (autovacuum_enabled = true)`.execute(db)
      expect((await s.store.retention.unvacuumed()).tables).toEqual([])
    },
  )
})
