import { sql } from 'kysely'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ClusterSortField, PageRequest } from '../../src/domain/paging.js'
import { CLUSTER_STATUSES, type ClusterStatus } from '../../src/domain/statuses.js'
import type { ClusterListFilter, ClusterPatch } from '../../src/store/clusters.js'
import { createStore, openDatabase, type Store } from '../../src/store/index.js'
import { storeCluster, TEST_BACKEND, useFreshStore } from '../helpers.js'

/**
 * Cached list pages against the database itself: after every write (this server's, or another
 * replica's), each page the store answers is the one a plain query answers, total included.
 * On PostgreSQL these pages are kept current from the rows written since (list-window.ts); a
 * row it cannot place makes it read the page again.
 */
describe('list pages under writes', () => {
  const fixture = useFreshStore()
  let store: Store
  beforeAll(() => {
    store = fixture.store
  })

  it('answers what a fresh query answers, write after write', async () => {
    let seed = 7
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
    const project = 'lw'
    let n = 0
    const ids: string[] = []
    const next = () => {
      const c = {
        ...storeCluster(
          ++n,
          project,
          `${pick(['web', 'etl'])}-${pick(['q7', 'zz'])}-${n}`,
          pick(CLUSTER_STATUSES),
        ),
        createdAt: 1_000 + Math.floor(random() * 500),
      }
      ids.push(c.id)
      return c
    }
    const insert = async (into: Store) => {
      const c = next()
      await into.transaction((tx) => into.clusters.insert(tx, c))
    }
    const update = async (into: Store, id: string) => {
      const patch: ClusterPatch = {}
      if (random() < 0.7) patch.status = pick(CLUSTER_STATUSES) as ClusterStatus
      if (random() < 0.4) patch.runningAt = random() < 0.2 ? null : Math.floor(random() * 100)
      if (random() < 0.3) patch.workerCnt = Math.floor(random() * 5)
      if (random() < 0.15) patch.terminatedAt = random() < 0.5 ? null : 2_000
      await into.transaction((tx) => into.clusters.update(tx, id, patch, 3_000))
    }
    // Enough rows that a window (a page and 50 rows each side) holds a small part of the result.
    await store.transaction(async (tx) => {
      for (let i = 0; i < 1200; i++) await store.clusters.insert(tx, next())
    })

    const lists: [ClusterListFilter, PageRequest<ClusterSortField>][] = [
      [
        { project, name: 'q7', includeTerminated: true },
        { page: 0, size: 10, sort: [] },
      ],
      [
        { project, name: 'q7', includeTerminated: false },
        {
          page: 20,
          size: 10,
          sort: [
            { field: 'status', dir: 'asc' },
            { field: 'createdAt', dir: 'desc' },
          ],
        },
      ],
      [
        { project, includeTerminated: true },
        { page: 30, size: 20, sort: [{ field: 'runningAt', dir: 'desc' }] },
      ],
      [
        { project, name: 'q7', includeTerminated: true },
        { page: 12, size: 20, sort: [{ field: 'workerCnt', dir: 'asc' }] },
      ],
    ]
    const expected = async (filter: ClusterListFilter, page: PageRequest<ClusterSortField>) => {
      let q = store.database.db.selectFrom('clusters').where('project', '=', filter.project)
      if (!filter.includeTerminated) q = q.where('terminated_at', 'is', null)
      if (filter.name) q = q.where(sql<boolean>`lower(name) like ${`%${filter.name}%`}`)
      const column = {
        status: 'status',
        createdAt: 'created_at',
        runningAt: 'running_at',
        workerCnt: 'worker_cnt',
      }
      let rows = q.select(['id', 'status', 'running_at', 'worker_cnt'])
      // Each database's own order (NULLs last ascending on PostgreSQL, first on SQLite).
      for (const k of page.sort.length > 0 ? page.sort : [{ field: 'createdAt', dir: 'desc' } as const])
        rows = rows.orderBy(sql.ref(column[k.field as keyof typeof column]), k.dir)
      const all = await rows.orderBy('id', 'asc').execute()
      return {
        total: all.length,
        rows: all
          .slice(page.page * page.size, page.page * page.size + page.size)
          .map((r) => [r.id, r.status, r.running_at, r.worker_cnt]),
      }
    }
    const check = async () => {
      for (const [filter, page] of lists) {
        const got = await store.clusters.list(filter, page, 5_000)
        expect({
          total: got.total,
          rows: got.rows.map((r) => [r.id, r.status, r.runningAt, r.workerCnt]),
        }).toEqual(await expected(filter, page))
      }
    }

    const other = await openDatabase(fixture.url)
    try {
      const replica = createStore(other)
      await check()
      for (let step = 0; step < 200; step++) {
        // Another replica writes too on PostgreSQL (a SQLite file has one server). Mostly the
        // clusters made since (the ones a window has seen), sometimes any.
        const writer = random() < 0.2 && TEST_BACKEND === 'postgres' ? replica : store
        const roll = random()
        if (roll < 0.35) await insert(writer)
        else if (roll < 0.93 && ids.length > 1200) await update(writer, pick(ids.slice(1200)))
        else await update(writer, pick(ids))
        await check()
      }
    } finally {
      await other.close()
    }
  })

  it('counts a change to a row the page never held: the newest, far after it', async () => {
    const project = 'far'
    const made = Array.from({ length: 200 }, (_, i) => ({
      ...storeCluster(20_000 + i, project, `far-${i}`, 'Running'),
      createdAt: 10_000 + i,
    }))
    await store.transaction(async (tx) => {
      for (const c of made) await store.clusters.insert(tx, c)
    })
    const filter = { project, includeTerminated: false }
    const page = { page: 0, size: 10, sort: [{ field: 'createdAt' as const, dir: 'asc' as const }] }
    expect((await store.clusters.list(filter, page, 1)).total).toBe(200)
    // The last one made (the highest seq the page's read saw) ends: it leaves the list.
    await store.transaction((tx) => store.clusters.update(tx, made[199]!.id, { terminatedAt: 5 }, 5))
    expect((await store.clusters.list(filter, page, 1)).total).toBe(199)
    await store.transaction((tx) => store.clusters.update(tx, made[198]!.id, { terminatedAt: 5 }, 5))
    const after = await store.clusters.list(filter, page, 1)
    expect(after.total).toBe(198)
    expect(after.rows.map((r) => r.name)).toEqual(made.slice(0, 10).map((c) => c.name))
  })

  it('stays right when more rows were written since than a window takes in', async () => {
    const project = 'many'
    const filter = { project, includeTerminated: true }
    const page = { page: 1, size: 10, sort: [] }
    const make = (from: number, count: number) =>
      store.transaction(async (tx) => {
        for (let i = from; i < from + count; i++)
          await store.clusters.insert(tx, {
            ...storeCluster(30_000 + i, project, `many-${i}`, 'Running'),
            createdAt: i,
          })
      })
    await make(0, 100)
    expect((await store.clusters.list(filter, page, 1)).total).toBe(100)
    await make(100, 1_100)
    const after = await store.clusters.list(filter, page, 1)
    expect(after.total).toBe(1_200)
    // Newest first: the second page starts ten below the newest.
    expect(after.rows.map((r) => r.name)).toEqual(Array.from({ length: 10 }, (_, i) => `many-${1_189 - i}`))
  })

  it.runIf(TEST_BACKEND === 'postgres')(
    'misses after the admin reset on another replica (PostgreSQL)',
    async () => {
      const project = 'reset'
      const filter = { project, includeTerminated: true }
      const page = { page: 0, size: 5, sort: [] }
      await store.transaction((tx) =>
        store.clusters.insert(tx, storeCluster(9_001, project, 'one', 'Running')),
      )
      expect((await store.clusters.list(filter, page, 1)).total).toBe(1)
      const other = await openDatabase(fixture.url)
      try {
        const replica = createStore(other)
        await replica.transaction((tx) => replica.clusters.deleteAll(tx))
      } finally {
        await other.close()
      }
      expect(await store.clusters.list(filter, page, 1)).toEqual({ rows: [], total: 0 })
    },
  )
})
