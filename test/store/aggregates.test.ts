import { beforeAll, describe, expect, it } from 'vitest'
import type { NewCluster } from '../../src/domain/cluster.js'
import { parseCreateCluster } from '../../src/domain/cluster-spec.js'
import { DuplicateNameError } from '../../src/store/clusters.js'
import { LeaseLostError, type Store } from '../../src/store/index.js'
import { TEST_BACKEND, useFreshStore, validBody } from '../helpers.js'

/**
 * One suite per aggregate, run on SQLite and on PostgreSQL (vitest.config.ts runs test/store on
 * both): what each store function promises, through the store's own interface only.
 */
describe(`store aggregates (${TEST_BACKEND})`, () => {
  const fixture = useFreshStore()
  let store: Store
  let n = 0
  beforeAll(() => {
    store = fixture.store
  })

  const newCluster = (over: Partial<NewCluster> = {}): NewCluster => {
    n++
    const spec = parseCreateCluster(validBody({ name: `agg-${n}` }))
    return {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      project: 'p',
      name: spec.name,
      owner: 'o',
      status: 'Initializing',
      clusterType: spec.clusterType,
      clusterVersion: spec.clusterVersion,
      apiKeyStatus: 'impossible',
      masterCnt: 1,
      workerCnt: spec.workerCnt,
      createdAt: 1_000,
      spec,
      info: { securityGroupIds: ['sg'] },
      ...over,
    }
  }
  const insert = async (over: Partial<NewCluster> = {}) => {
    const c = newCluster(over)
    await store.transaction((tx) => store.clusters.insert(tx, c))
    return c
  }

  describe('clusters', () => {
    it('round-trips a record, starting its counters and indexes itself', async () => {
      const c = await insert()
      const got = await store.clusters.getById(c.id)
      expect(got).toMatchObject({
        ...c,
        terminalStatus: null,
        targetWorkerCnt: c.workerCnt,
        hdfsReplication: c.spec.config.hdfsReplication,
        runningAt: null,
        terminatedAt: null,
        vmUptimeClosed: 0,
        vmLiveCount: 0,
        vmLiveCreatedSum: 0,
        nextMasterIndex: 1,
        nextWorkerIndex: 1,
      })
      expect(await store.clusters.get('other-project', c.id)).toBeUndefined()
    })

    it('refuses a second live cluster with the same name in a project, and frees it once terminated', async () => {
      const c = await insert()
      await expect(insert({ name: c.name })).rejects.toThrow()
      await store.transaction((tx) =>
        store.clusters.update(tx, c.id, { status: 'Terminated(User)', terminatedAt: 2_000 }, 2_000),
      )
      await insert({ name: c.name })
    })

    it('writes a guarded update and its event together, or neither', async () => {
      const c = await insert()
      const event = (at: number, message: string) => ({
        clusterId: c.id,
        at,
        type: 'StatusChanged' as const,
        fromStatus: 'Initializing' as const,
        toStatus: 'Creating' as const,
        reason: 'PROVISION_STARTED' as const,
        message,
      })
      const refused = await store.transaction((tx) =>
        store.clusters.updateWithEvent(
          tx,
          c.id,
          { status: 'Creating' },
          2_000,
          ['Running'],
          event(2_000, 'no'),
        ),
      )
      expect(refused).toBe(false)
      expect((await store.clusters.getById(c.id))!.status).toBe('Initializing')
      expect((await store.events.list(c.id, 0, 10)).total).toBe(0)

      const moved = await store.transaction((tx) =>
        store.clusters.updateWithEvent(
          tx,
          c.id,
          { status: 'Creating', info: { securityGroupIds: ['sg'], lastError: 'it\'s "quoted"' } },
          3_000,
          ['Initializing', 'Running'],
          event(3_000, "provisioning 'VMs'"),
        ),
      )
      expect(moved).toBe(true)
      const after = await store.clusters.getById(c.id)
      expect(after).toMatchObject({ status: 'Creating', info: { lastError: 'it\'s "quoted"' } })
      const { total, rows } = await store.events.list(c.id, 0, 10)
      expect(total).toBe(1)
      const { clusterId: _, ...recorded } = event(3_000, "provisioning 'VMs'")
      expect(rows[0]).toMatchObject(recorded)

      // Clearing terminatedAt brings the name back among the live ones: a clash is refused.
      await store.transaction((tx) =>
        store.clusters.update(tx, c.id, { status: 'Terminated(User)', terminatedAt: 4_000 }, 4_000),
      )
      await insert({ name: c.name })
      await expect(
        store.transaction((tx) =>
          store.clusters.updateWithEvent(
            tx,
            c.id,
            { status: 'Initializing', terminatedAt: null },
            5_000,
            ['Terminated(User)'],
            { ...event(5_000, 're-run'), fromStatus: 'Terminated(User)', toStatus: 'Initializing' },
          ),
        ),
      ).rejects.toThrow(DuplicateNameError)
      expect((await store.events.list(c.id, 0, 10)).total).toBe(1)
    })

    it('updates only from the statuses the guard names', async () => {
      const c = await insert()
      const moved = await store.transaction((tx) =>
        store.clusters.update(tx, c.id, { status: 'Creating' }, 2_000, { status: ['Running'] }),
      )
      expect(moved).toBe(false)
      expect((await store.clusters.getById(c.id))!.status).toBe('Initializing')
      expect(
        await store.transaction((tx) =>
          store.clusters.update(tx, c.id, { status: 'Creating' }, 2_000, { status: ['Initializing'] }),
        ),
      ).toBe(true)
      expect((await store.clusters.getById(c.id))!.status).toBe('Creating')
    })
  })

  describe('vms', () => {
    it('keeps the cluster counters and next indexes with every insert and end', async () => {
      const c = await insert()
      const vm = (name: string, role: 'master' | 'worker', index: number, createdAt: number) => ({
        clusterId: c.id,
        name,
        role,
        index,
        instanceId: `${c.id}-${name}`,
        ip: `10.0.0.${index}`,
        status: 'Creating' as const,
        flavorName: 'm2a.xlarge',
        createdAt,
      })
      // Several at once (one pass records a cluster's new VMs together), and one more alone.
      await store.transaction(async (tx) => {
        await store.vms.insert(tx, [vm('m1', 'master', 1, 100), vm('w7', 'worker', 7, 200)])
        await store.vms.insert(tx, [vm('w1', 'worker', 1, 100)])
      })
      let got = (await store.clusters.getById(c.id))!
      expect(got).toMatchObject({
        nextMasterIndex: 2,
        nextWorkerIndex: 8,
        vmLiveCount: 3,
        vmLiveCreatedSum: 400,
      })
      // An older index does not move the next one back.
      await store.transaction((tx) => store.vms.insert(tx, [vm('w3', 'worker', 3, 300)]))
      expect((await store.clusters.getById(c.id))!.nextWorkerIndex).toBe(8)

      await store.transaction((tx) => store.vms.end(tx, c.id, 'w7', 1_200))
      got = (await store.clusters.getById(c.id))!
      expect(got).toMatchObject({ vmLiveCount: 3, vmLiveCreatedSum: 500, vmUptimeClosed: 1_000 })
      expect((await store.vms.live(c.id)).map((v) => v.name)).toEqual(['m1', 'w1', 'w3'])
      // Ending twice changes nothing.
      await store.transaction((tx) => store.vms.end(tx, c.id, 'w7', 5_000))
      expect((await store.clusters.getById(c.id))!.vmUptimeClosed).toBe(1_000)
    })

    it('replaces a live VM instance in place and sets statuses by name', async () => {
      const c = await insert()
      await store.transaction((tx) =>
        store.vms.insert(tx, [
          {
            clusterId: c.id,
            name: 'w1',
            role: 'worker',
            index: 1,
            instanceId: `${c.id}-a`,
            ip: '10.0.0.1',
            status: 'Running',
            flavorName: 'm2a.xlarge',
            createdAt: 100,
          },
        ]),
      )
      await store.transaction((tx) =>
        store.vms.replaceInstance(tx, c.id, 'w1', {
          instanceId: `${c.id}-b`,
          ip: '10.0.0.9',
          status: 'Creating',
        }),
      )
      await store.transaction((tx) => store.vms.setStatus(tx, c.id, ['w1'], 'Installing'))
      expect(await store.vms.live(c.id)).toEqual([
        {
          clusterId: c.id,
          name: 'w1',
          role: 'worker',
          index: 1,
          instanceId: `${c.id}-b`,
          ip: '10.0.0.9',
          status: 'Installing',
          flavorName: 'm2a.xlarge',
          createdAt: 100,
          endedAt: null,
        },
      ])
    })
  })

  describe('events', () => {
    it('lists a cluster history oldest first with positions from 1', async () => {
      const c = await insert()
      await store.transaction(async (tx) => {
        for (const [i, reason] of (['USER_REQUEST', 'PROVISION_STARTED', 'PROVISIONED'] as const).entries())
          await store.events.append(tx, {
            clusterId: c.id,
            at: 100 + i,
            type: 'StatusChanged',
            reason,
            message: reason,
          })
      })
      const page = await store.events.list(c.id, 1, 5)
      expect(page.total).toBe(3)
      expect(page.rows.map((r) => [r.seq, r.reason, r.fromStatus])).toEqual([
        [2, 'PROVISION_STARTED', null],
        [3, 'PROVISIONED', null],
      ])
    })
  })

  describe('work', () => {
    it('leases a due item to one owner, fences writes on the lease, and lets it go when it expires', async () => {
      const c = await insert()
      await store.transaction((tx) => store.work.enqueue(tx, c.id, 1_000))
      expect(await store.work.claim('a', 999, 100, 10)).not.toContain(c.id)
      expect(await store.work.claim('a', 1_000, 100, 10)).toContain(c.id)
      expect(await store.work.claim('b', 1_050, 100, 10)).not.toContain(c.id)
      await store.transaction((tx) => store.work.assertLease(tx, c.id, 'a', 1_050))
      await expect(store.transaction((tx) => store.work.assertLease(tx, c.id, 'b', 1_050))).rejects.toThrow(
        LeaseLostError,
      )
      // Expired: another owner takes it, and the first one's writes are refused from then on.
      expect(await store.work.claim('b', 1_101, 100, 10)).toContain(c.id)
      await expect(store.transaction((tx) => store.work.assertLease(tx, c.id, 'a', 1_102))).rejects.toThrow(
        LeaseLostError,
      )
      expect(await store.work.extend(c.id, 'a', 1_102, 100)).toBe(false)
    })

    it('extends a held lease past its first expiry (the heartbeat)', async () => {
      const c = await insert()
      await store.transaction((tx) => store.work.enqueue(tx, c.id, 0))
      expect(await store.work.claim('a', 0, 100, 10)).toContain(c.id)
      expect(await store.work.extend(c.id, 'a', 90, 100)).toBe(true)
      expect(await store.work.claim('b', 150, 100, 10)).not.toContain(c.id)
      await store.transaction((tx) => store.work.assertLease(tx, c.id, 'a', 180))
    })

    it('marks an item dirty when new desired state arrives during a lease, so it is looked at again at once', async () => {
      const c = await insert()
      await store.transaction((tx) => store.work.enqueue(tx, c.id, 0))
      expect(await store.work.claim('a', 0, 1_000, 10)).toContain(c.id)
      await store.transaction((tx) => store.work.enqueue(tx, c.id, 50))
      // The pass asks for a look in an hour; the write during the pass wins.
      await store.work.release(c.id, 'a', 3_600_000, 60)
      expect(await store.work.claim('b', 60, 1_000, 10)).toContain(c.id)
      // Finishing while dirty keeps the item too.
      await store.transaction((tx) => store.work.enqueue(tx, c.id, 70))
      await store.work.finish(c.id, 'b', 80)
      expect(await store.work.claim('c', 80, 1_000, 10)).toContain(c.id)
      // Clean: release keeps the requested time, finish removes it.
      await store.work.release(c.id, 'c', 10_000, 90)
      expect(await store.work.claim('d', 9_999, 1_000, 10)).not.toContain(c.id)
      expect(await store.work.claim('d', 10_000, 1_000, 10)).toContain(c.id)
      await store.work.finish(c.id, 'd', 10_001)
      expect(await store.work.claim('e', 99_999_999, 1_000, 100)).not.toContain(c.id)
    })

    it('counts failed attempts until a clean release', async () => {
      const c = await insert()
      await store.transaction((tx) => store.work.enqueue(tx, c.id, 0))
      for (let i = 1; i <= 3; i++) {
        expect(await store.work.claim('a', i * 10, 5, 10)).toContain(c.id)
        await store.work.release(c.id, 'a', i * 10, i * 10, true)
        expect(await store.work.attempts(c.id)).toBe(i)
      }
      expect(await store.work.claim('a', 100, 5, 10)).toContain(c.id)
      await store.work.release(c.id, 'a', 100, 100)
      expect(await store.work.attempts(c.id)).toBe(0)
    })
  })

  describe('work released together', () => {
    it('applies each release of one turn on its own terms, and only for the lease holder', async () => {
      const [c1, c2, c3] = [await insert(), await insert(), await insert()]
      await store.transaction(async (tx) => {
        for (const c of [c1, c2, c3]) await store.work.enqueue(tx, c.id, 0)
      })
      const claimed = await store.work.claim('a', 0, 1_000, 100)
      expect(claimed).toEqual(expect.arrayContaining([c1.id, c2.id, c3.id]))
      // Released in one turn (one statement on PostgreSQL): clean, failed, and by a non-holder.
      await Promise.all([
        store.work.release(c1.id, 'a', 500, 10),
        store.work.release(c2.id, 'a', 600, 10, true),
        store.work.release(c3.id, 'b', 0, 10),
      ])
      expect(await store.work.attempts(c1.id)).toBe(0)
      expect(await store.work.attempts(c2.id)).toBe(1)
      const mine = (ids: string[]) => ids.filter((id) => [c1.id, c2.id, c3.id].includes(id))
      expect(mine(await store.work.claim('x', 499, 1_000, 100))).toEqual([])
      expect(mine(await store.work.claim('x', 500, 1_000, 100))).toEqual([c1.id])
      expect(mine(await store.work.claim('x', 600, 1_000, 100))).toEqual([c2.id])
      // 'b' never held c3: a's lease stands until it expires.
      expect(mine(await store.work.claim('y', 1_001, 1_000, 100))).toEqual([c3.id])
    })
  })

  describe('simulator records', () => {
    it('keeps the first writer of a key, replaces on request, and lists per cluster', async () => {
      const r = {
        key: `k-${n}`,
        clusterId: `c-${n}`,
        kind: 'vm',
        startedAt: 1,
        readyAt: 2,
        outcome: 'ok',
        detail: '{}',
      }
      expect(await store.simRecords.ensure(r)).toEqual(r)
      expect(await store.simRecords.ensure({ ...r, outcome: 'fail' })).toEqual(r)
      await store.simRecords.replace({ ...r, outcome: 'lost' })
      expect(await store.simRecords.get(r.key)).toEqual({ ...r, outcome: 'lost' })
      expect(await store.simRecords.list(r.clusterId)).toEqual([{ ...r, outcome: 'lost' }])
      expect(await store.simRecords.list('nobody')).toEqual([])
    })
  })
})
