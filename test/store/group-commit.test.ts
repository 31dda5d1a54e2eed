import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createStore, openDatabase, type Database } from '../../src/store/index.js'
import { freshDatabase, storeCluster } from '../helpers.js'

/** The store's transaction contract, on each backend: all or nothing per caller, even when batched. */
describe('store transactions', () => {
  let dir: string
  let drop: () => Promise<void>
  let db: Database
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-store-'))
    const fresh = await freshDatabase(dir)
    drop = fresh.drop
    db = await openDatabase(fresh.url)
    await db.migrate()
  })
  afterEach(async () => {
    await db.close()
    await drop()
    rmSync(dir, { recursive: true, force: true })
  })

  const fault = (id: string) => ({
    id,
    cluster_name_glob: 'x-*',
    path_glob: null,
    fault: 'taskFailure',
    status: null,
    times_left: null,
    created_at: 1,
  })
  const ids = async () =>
    (await db.db.selectFrom('faults').select('id').orderBy('id').execute()).map((r) => r.id)

  it('commits the callers that succeed and rolls back the one that throws, when they arrive together', async () => {
    const results = await Promise.allSettled([
      db.transaction(async (trx) => {
        await trx.insertInto('faults').values(fault('a')).execute()
      }),
      db.transaction(async (trx) => {
        await trx.insertInto('faults').values(fault('b')).execute()
        throw new Error('changed my mind')
      }),
      db.transaction(async (trx) => {
        await trx.insertInto('faults').values(fault('c')).execute()
        return 'c done'
      }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[2] as PromiseFulfilledResult<string>).value).toBe('c done')
    expect(await ids()).toEqual(['a', 'c'])
  })

  it('rolls back every write of a failing caller, not only its last one', async () => {
    await expect(
      db.transaction(async (trx) => {
        await trx.insertInto('faults').values(fault('d')).execute()
        await trx.insertInto('faults').values(fault('d')).execute() // duplicate key
      }),
    ).rejects.toThrow()
    expect(await ids()).toEqual([])
  })

  it('moves the local counter the read caches rely on when clusters change, and only then (SQLite)', async () => {
    if (db.dialect !== 'sqlite') return expect(db.writeGeneration).toBeUndefined()
    const gen = () => db.writeGeneration!()
    const store = createStore(db)
    let before = gen()
    // Work, events, faults: nothing a cached cluster or list holds.
    await db.transaction(async (trx) => {
      await trx.insertInto('faults').values(fault('e')).execute()
    })
    expect(gen()).toBe(before)

    // A cluster written: the counter moves at the write and again at the commit, so a result
    // stamped between the two is not served after the commit.
    let during = 0
    await store.transaction(async (tx) => {
      await store.clusters.insert(tx, storeCluster(1, 'p', 'gen-1', 'Initializing'))
      during = gen()
    })
    expect(during).toBeGreaterThan(before)
    expect(gen()).toBeGreaterThan(during)

    // Updated, deleted, and written outside any transaction: each moves it.
    for (const write of [
      () => db.db.updateTable('clusters').set({ status: 'Running' }).where('name', '=', 'gen-1').execute(),
      () => db.db.deleteFrom('clusters').where('name', '=', 'gen-1').execute(),
    ]) {
      before = gen()
      await write()
      expect(gen()).toBeGreaterThan(before)
    }
    // A write that changes no row does not.
    before = gen()
    await db.db.updateTable('clusters').set({ status: 'Running' }).where('name', '=', 'none').execute()
    expect(gen()).toBe(before)
  })

  it('SQLite: the counter still follows clusters after migrations ran again', async () => {
    if (db.dialect !== 'sqlite') return
    await db.migrate()
    const before = db.writeGeneration!()
    const store = createStore(db)
    await store.transaction((tx) => store.clusters.insert(tx, storeCluster(2, 'p', 'gen-2', 'Initializing')))
    expect(db.writeGeneration!()).toBeGreaterThan(before)
  })

  it('SQLite: when one caller fills the disk, no caller of that batch is told its write was kept', async () => {
    if (db.dialect !== 'sqlite') return
    // Fill the file's last free pages, then cap it where it is: the next page needed is "disk full".
    await db.transaction(async (trx) => {
      await trx.insertInto('faults').values(fault('seed')).execute()
    })
    const pages = await sql<{ page_count: number }>`pragma page_count`.execute(db.db)
    await sql.raw(`pragma max_page_count = ${pages.rows[0]!.page_count}`).execute(db.db)
    const results = await Promise.allSettled([
      db.transaction(async (trx) => {
        await trx.insertInto('faults').values(fault('small')).execute()
      }),
      db.transaction(async (trx) => {
        // a big row needs new pages: SQLITE_FULL, and SQLite rolls the whole transaction back
        await trx
          .insertInto('faults')
          .values({ ...fault('big'), cluster_name_glob: 'x'.repeat(400_000) })
          .execute()
      }),
      db.transaction(async (trx) => {
        await trx.insertInto('faults').values(fault('after')).execute()
      }),
    ])
    const kept = await ids()
    // whatever was answered as done is in the file, and what failed is not
    results.forEach((r, i) => {
      const id = ['small', 'big', 'after'][i]!
      expect(kept.includes(id), `${id}: ${r.status}`).toBe(r.status === 'fulfilled')
    })
    expect(results[1]!.status).toBe('rejected')
    expect(((results[1] as PromiseRejectedResult).reason as { code?: string }).code).toBe('SQLITE_FULL')
    // room again: writes work, without reopening
    await sql`pragma max_page_count = 1073741823`.execute(db.db)
    await db.transaction(async (trx) => {
      await trx.insertInto('faults').values(fault('later')).execute()
    })
    expect(await ids()).toContain('later')
  })
})
