import { beforeAll, describe, expect, it } from 'vitest'
import type { NewCluster } from '../../src/domain/cluster.js'
import { DuplicateNameError } from '../../src/store/clusters.js'
import { createStore, openDatabase, type Database, type Store } from '../../src/store/index.js'
import { storeCluster, TEST_BACKEND, useFreshStore } from '../helpers.js'

/**
 * A plain create: the cluster, its first event and its work row, all or none. Creates made in
 * the same turn of the event loop share one statement on PostgreSQL (one transaction on SQLite
 * joins the group commit): a name clash drops only its own create, whatever else the batch holds.
 */
describe('creating clusters together', () => {
  const fixture = useFreshStore()
  let store: Store
  let database: Database
  let n = 0
  beforeAll(() => {
    store = fixture.store
    database = store.database
  })

  const create = (c: NewCluster, into: Store = store) =>
    into.clusters.insertNew(
      c,
      {
        clusterId: c.id,
        at: c.createdAt,
        type: 'StatusChanged',
        fromStatus: null,
        toStatus: 'Initializing',
        reason: 'USER_REQUEST',
        message: `created ${c.name}, it's "quoted", {braced}, and has a comma`,
      },
      c.createdAt + 7,
    )
  const rowsOf = async (id: string) => ({
    cluster: await store.clusters.getById(id),
    events: (await store.events.list(id, 0, 10)).rows,
    attempts: await store.work.attempts(id),
    due: (
      await database.db.selectFrom('work').select('due_at').where('cluster_id', '=', id).executeTakeFirst()
    )?.due_at,
  })

  it('writes every create of a batch with its event and work row, and refuses only the clashes', async () => {
    const live = storeCluster(++n, 'p', 'taken', 'Initializing')
    await create(live)
    const ended = storeCluster(++n, 'p', 'ended', 'Initializing')
    await create(ended)
    await store.transaction((tx) =>
      store.clusters.update(tx, ended.id, { status: 'Terminated(User)', terminatedAt: 5 }, 5),
    )

    const batch = [
      storeCluster(++n, 'p', 'fresh-1', 'Initializing'),
      storeCluster(++n, 'p', 'taken', 'Initializing'), // a live cluster has it
      storeCluster(++n, 'p', 'twice', 'Initializing'),
      storeCluster(++n, 'p', 'twice', 'Initializing'), // the previous create of this batch has it
      storeCluster(++n, 'q', 'taken', 'Initializing'), // another project: free
      storeCluster(++n, 'p', 'ended', 'Initializing'), // only a terminated cluster has it: free
      storeCluster(++n, 'p', 'fresh-2', 'Initializing'),
    ]
    const results = await Promise.allSettled(batch.map((c) => create(c)))
    expect(
      results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).constructor.name)),
    ).toEqual(['ok', DuplicateNameError.name, 'ok', DuplicateNameError.name, 'ok', 'ok', 'ok'])
    for (const [i, c] of batch.entries()) {
      const got = await rowsOf(c.id)
      if (results[i]!.status === 'rejected') {
        expect(got).toEqual({ cluster: undefined, events: [], attempts: 0, due: undefined })
        continue
      }
      expect(got.cluster).toMatchObject({ id: c.id, project: c.project, name: c.name, spec: c.spec })
      expect(got.events.map((e) => [e.toStatus, e.message])).toEqual([
        ['Initializing', `created ${c.name}, it's "quoted", {braced}, and has a comma`],
      ])
      expect(got.due).toBe(c.createdAt + 7)
    }
  })

  it('answers a batch in which every create clashes', async () => {
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => create(storeCluster(++n, 'p', 'taken', 'Initializing'))),
    )
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof DuplicateNameError)).toBe(true)
  })

  it.runIf(TEST_BACKEND === 'postgres')(
    'two replicas creating the same names in opposite orders do not deadlock (PostgreSQL)',
    async () => {
      const other = await openDatabase(fixture.url)
      try {
        const replica = createStore(other)
        // A thousand: each replica sends five statements of 200 at once, so they overlap (without
        // one insert order, 200-400 creates failed here with 'deadlock detected').
        const names = Array.from({ length: 1000 }, (_, i) => `race-${String(i).padStart(4, '0')}`)
        const batch = (s: Store, list: string[]) =>
          list.map((name) => create(storeCluster(++n, 'p', name, 'Initializing'), s))
        const results = await Promise.allSettled([
          ...batch(store, names),
          ...batch(replica, [...names].reverse()),
        ])
        const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []))
        // Each name once, the other create of it refused as a duplicate; none lost to a deadlock.
        expect(refused.filter((e) => !(e instanceof DuplicateNameError)).map((e) => e.message)).toEqual([])
        expect(refused).toHaveLength(names.length)
      } finally {
        await other.close()
      }
    },
  )
})
