import pg from 'pg'
import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../src/store/index.js'
import { TEST_BACKEND, useFreshStore } from '../helpers.js'

/**
 * PostgreSQL keeps one plan per named statement and connection, chosen against the tables as
 * they were then, and replans only when their statistics change (autovacuum, off on some
 * servers). The batched reads by a list of keys into tables that grow from empty (the
 * simulator's records, VMs, the work queue) are planned on each call instead: a kept plan would
 * scan the whole table on each call once it has grown.
 */
describe.skipIf(TEST_BACKEND !== 'postgres')('plans of batched reads (postgres)', () => {
  const fixture = useFreshStore()
  let store: Store
  let client: pg.Client
  beforeAll(async () => {
    store = fixture.store
    client = new pg.Client({ connectionString: fixture.url })
    await client.connect()
    // The fixture drops the database with (force) when done, maybe before this client ends.
    client.on('error', () => undefined)
    return () => client.end()
  })

  const planOf = async (query: string): Promise<string> => {
    const res = await client.query<{ 'QUERY PLAN': unknown }>(`explain (format json) ${query}`)
    return JSON.stringify(res.rows[0]!['QUERY PLAN'])
  }

  it('a plan kept from when the table was small still scans it whole once it has grown (why)', async () => {
    const fill = (prefix: string, n: number) =>
      client.query(
        `insert into sim_ops (key, cluster_id, kind, started_at, ready_at, outcome, result)
         select '${prefix}' || i, 'c' || (i / 4), 'vm', 0, 0, 'ok', '{}' from generate_series(1, ${n}) i`,
      )
    await fill('early', 200)
    await client.query(`prepare by_keys(text[]) as select * from sim_ops where key = any($1::text[])`)
    // Five plans for the call, then PostgreSQL keeps a generic one: on 200 rows, a seq scan.
    for (let i = 0; i < 8; i++) await client.query(`execute by_keys('{a,b,c,d,e,f,g,h}')`)
    await fill('k', 20_000)
    expect(await planOf(`execute by_keys('{k1,k2}')`)).toContain('"Seq Scan"')
    // Planned for the call: the primary key's index.
    expect(await planOf(`select * from sim_ops where key = any('{k1,k2}'::text[])`)).not.toContain(
      '"Seq Scan"',
    )
    await client.query('deallocate by_keys')
  })

  it('keeps no plan of the batched reads and writes by key on any connection', async () => {
    // Each statement runs more than five times, on whichever connections the pool gives; the
    // cluster read by id (kept, as intended) shows that the check sees what connections keep.
    for (let i = 0; i < 8; i++)
      await Promise.all([
        store.simRecords.get(`k${i}`),
        store.simRecords.getMany([`k${i}`, `k${i + 1}`]),
        store.simRecords.list(`c${i}`),
        store.vms.live(`c${i}`),
        store.work.release(`c${i}`, 'nobody', 0, 0),
        store.clusters.getById(`c${i}`),
      ])
    // As many reads at once as the pool holds connections (10): each connection answers.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        sql<{ statement: string }>`select statement from pg_prepared_statements, pg_sleep(0.05)`.execute(
          store.database.db,
        ),
      ),
    )
    const kept = new Set(answers.flatMap((a) => a.rows.map((r) => r.statement)))
    expect([...kept]).toContain('select * from clusters where id = any($1::text[])')
    for (const text of kept) expect(text).not.toMatch(/from (sim_ops|vms)|update work/)
  })
})
