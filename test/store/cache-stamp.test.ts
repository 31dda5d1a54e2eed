import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStore, openDatabase, type Store } from '../../src/store/index.js'
import { freshDatabase, storeCluster, TEST_BACKEND } from '../helpers.js'

/**
 * The list and GET caches against another writer of the same database: on PostgreSQL a second
 * replica (here a second connection pool with its own caches) commits, and the first's next
 * identical read must show it. SQLite has one writer, the server, so only PostgreSQL runs it.
 */
describe.skipIf(TEST_BACKEND !== 'postgres')('read caches across replicas (postgres)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-store-'))
  let a: Store
  let b: Store
  let drop: () => Promise<void>
  let n = 0
  beforeAll(async () => {
    const fresh = await freshDatabase(dir)
    drop = fresh.drop
    const first = await openDatabase(fresh.url)
    await first.migrate()
    const second = await openDatabase(fresh.url)
    a = createStore(first)
    b = createStore(second)
  })
  afterAll(async () => {
    await a.database.close()
    await b.database.close()
    await drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const cluster = () => {
    n++
    return storeCluster(n, 'p', `stamp-${n}`, 'Initializing')
  }
  const list = () =>
    a.clusters.list(
      { project: 'p', includeTerminated: true, name: 'stamp-' },
      { page: 0, size: 10, sort: [{ field: 'createdAt', dir: 'asc' }] },
      2_000,
    )

  it("shows the other replica's creates and changes on the next identical list and GET", async () => {
    const first = cluster()
    await b.transaction((tx) => b.clusters.insert(tx, first))
    expect((await list()).total).toBe(1)
    // A repeat with nothing committed in between is served from the cache, and equal.
    expect((await list()).rows.map((r) => r.id)).toEqual([first.id])

    const second = cluster()
    await b.transaction((tx) => b.clusters.insert(tx, second))
    const after = await list()
    expect(after.total).toBe(2)
    expect(after.rows.map((r) => r.id)).toEqual([first.id, second.id])

    expect((await a.clusters.get('p', first.id))?.status).toBe('Initializing')
    await b.transaction((tx) => b.clusters.update(tx, first.id, { status: 'Creating' }, 3_000))
    expect((await a.clusters.get('p', first.id))?.status).toBe('Creating')
    expect((await list()).rows[0]?.status).toBe('Creating')
  })

  it('keeps a list valid across commits that cannot change it, and sees the ones that can', async () => {
    const before = await list()
    // Names outside the filter's substring: the cached page and total still hold.
    const other = { ...cluster(), name: `other-${n}` }
    await b.transaction((tx) => b.clusters.insert(tx, other))
    expect(await list()).toEqual(before)
    // A status change to a matching cluster after that: seen.
    const target = before.rows[0]!
    await b.transaction((tx) => b.clusters.update(tx, target.id, { status: 'Running' }, 4_000))
    expect((await list()).rows[0]?.status).toBe('Running')
    // A matching create committed while an unrelated one is still open: seen once committed.
    const late = cluster()
    await b.transaction(async (tx) => {
      await b.clusters.insert(tx, { ...cluster(), name: `other-${n}` })
      expect((await list()).total).toBe(before.total)
      await b.clusters.insert(tx, late)
    })
    expect((await list()).total).toBe(before.total + 1)
    // The admin reset deletes every row: no writer_xid is left to see, the epoch moves.
    await b.transaction((tx) => b.clusters.deleteAll(tx))
    expect(await list()).toEqual({ rows: [], total: 0 })
  })

  it('answers concurrent transactions of one replica after their shared commit, each on its own', async () => {
    const ok = cluster()
    const dup = { ...cluster(), name: ok.name }
    const results = await Promise.allSettled([
      b.transaction((tx) => b.clusters.insert(tx, ok)),
      b.transaction((tx) => b.clusters.insert(tx, dup)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
    // Read through the other pool: what was answered as done is committed.
    expect(await a.clusters.getById(ok.id)).toBeDefined()
    expect(await a.clusters.getById(dup.id)).toBeUndefined()
  })
})
