import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Database, Store } from '../../src/store/index.js'
import { storeCluster, TEST_BACKEND, useFreshStore } from '../helpers.js'

/**
 * The name filter is a literal, case-insensitive substring on both back-ends, whichever index
 * serves it (SQLite: the trigram index for 3+ ASCII characters, else a scan; PostgreSQL:
 * pg_trgm). Checked against a plain JS filter over a few hundred names, in two projects, with
 * terminated clusters and clusters inserted before SQLite's trigram index existed.
 */
describe('the cluster name filter against its definition', () => {
  const fixture = useFreshStore()
  let database: Database
  let store: Store
  const made: { project: string; name: string; live: boolean }[] = []
  let n = 0

  const cluster = (project: string, name: string) => storeCluster(++n, project, name, 'Running')
  // Names from a small alphabet, so substrings of every length repeat across rows.
  let rnd = 7
  const next = () => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31)
  const randomName = () => {
    const alphabet = 'abc-01'
    let s = 'abc'[next() % 3]!
    const len = 2 + (next() % 12)
    for (let i = 0; i < len; i++) s += alphabet[next() % alphabet.length]
    return `${s}${'abc'[next() % 3]}`
  }
  const add = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const project = i % 3 === 0 ? 'other' : 'p'
      const c = cluster(project, randomName())
      const live = i % 5 !== 0
      // Live names are unique per project; a clash is simply a terminated one.
      const clash = made.some((m) => m.project === project && m.name === c.name && m.live)
      await store.transaction(async (tx) => {
        await store.clusters.insert(tx, { ...c, name: clash ? `${c.name}x` : c.name })
        if (!live || clash)
          await store.clusters.update(tx, c.id, { status: 'Terminated(User)', terminatedAt: 5 }, 5)
      })
      made.push({ project, name: clash ? `${c.name}x` : c.name, live: live && !clash })
    }
  }

  beforeAll(async () => {
    store = fixture.store
    database = store.database
    if (database.dialect === 'sqlite') {
      // Rows from before migration 0012: undo it, add rows, migrate again (it indexes them).
      await sql`drop table clusters_name_trigram`.execute(database.db)
      for (const t of ['insert', 'delete', 'update'])
        await sql.raw(`drop trigger clusters_name_trigram_${t}`).execute(database.db)
      await sql`delete from kysely_migration where name = '0012_sqlite_name_trigram'`.execute(database.db)
      await add(150)
      await database.migrate()
    }
    await add(300 - made.length)
  })

  const listed = async (name: string, includeTerminated: boolean, size = 1000) => {
    const r = await store.clusters.list(
      { project: 'p', includeTerminated, name },
      { page: 0, size, sort: [{ field: 'name', dir: 'asc' }] },
      10_000,
    )
    return { total: r.total, names: r.rows.map((x) => x.name) }
  }
  const expected = (needle: string, includeTerminated: boolean) => {
    const names = made
      .filter((m) => m.project === 'p' && (includeTerminated || m.live) && m.name.includes(needle))
      .map((m) => m.name)
      .sort()
    return { total: names.length, names }
  }

  it('matches a JS substring filter for needles of every length and odd characters', async () => {
    const needles = ['a', '-', '0', 'ab', 'c-', 'abc', 'b-0', 'a-b', '-01', 'ca0b', 'abc-0', 'bca-01a']
    // Characters FTS5 or LIKE would read as syntax: taken literally, so they match nothing.
    needles.push('"a"', 'a*', 'a%b', 'a_b', 'and', 'ab or', 'near(a', 'a"b', 'ä-0')
    for (const needle of needles)
      for (const includeTerminated of [false, true])
        expect({ needle, includeTerminated, ...(await listed(needle, includeTerminated)) }).toEqual({
          needle,
          includeTerminated,
          ...expected(needle, includeTerminated),
        })
    // A page past the first: total exact, rows in order.
    const all = expected('ab', true)
    const r = await store.clusters.list(
      { project: 'p', includeTerminated: true, name: 'ab' },
      { page: 1, size: 7, sort: [{ field: 'name', dir: 'asc' }] },
      10_000,
    )
    expect(r.total).toBe(all.total)
    expect(r.rows.map((x) => x.name)).toEqual(all.names.slice(7, 14))
    // Every needle from a real name (3 characters or more) finds that name.
    for (const m of made.filter((x) => x.project === 'p').slice(0, 40)) {
      const needle = m.name.slice(1, 5)
      expect((await listed(needle, true)).names).toContain(m.name)
    }
  })

  it.skipIf(TEST_BACKEND !== 'sqlite')('keeps no index entry for a deleted cluster (SQLite)', async () => {
    const entries = async () =>
      Number(
        (await sql<{ n: number }>`select count(*) as n from clusters_name_trigram`.execute(database.db))
          .rows[0]!.n,
      )
    expect(await entries()).toBe(made.length)
    await store.transaction((tx) => store.clusters.deleteAll(tx))
    expect(await entries()).toBe(0)
    expect((await listed('abc', true)).total).toBe(0)
  })
})
