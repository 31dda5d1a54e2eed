import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { checkInvariants, formatInvariantReport, type InvariantReport } from '../../src/invariants.js'
import { api } from '../api/util.js'
import { ADMIN_TOKEN, startTestServer, validBody, type TestServer } from '../helpers.js'

type Table = 'clusters' | 'vms' | 'events' | 'work' | 'sim_ops' | 'api_keys' | 'job_requests'
const TABLES: Table[] = ['clusters', 'vms', 'events', 'work', 'sim_ops', 'api_keys', 'job_requests']

/**
 * The checker must pass every state the real server produces and flag each kind of damage.
 * A healthy history is built once through the API (every stable status, a cluster mid-flight,
 * a name reused after termination, indexes skipped by a scale-in); each test corrupts a copy.
 */
describe('checkInvariants', () => {
  let s: TestServer
  const ids: Record<string, string> = {}
  let snapshot: Record<Table, unknown[]>

  const failing = (r: InvariantReport) => r.checks.filter((c) => !c.ok).map((c) => c.name)
  const check = () => checkInvariants(s.store.database.db)
  const db = () => s.store.database.db
  const status = async (id: string) => (await api(s).get(id)).json().status as string

  beforeAll(async () => {
    s = await startTestServer()
    const a = api(s)
    const create = async (name: string, over: Record<string, unknown> = {}) => {
      const res = await a.create(validBody({ name, ...over }))
      expect(res.statusCode, res.body).toBe(200)
      return res.json().id as string
    }
    const fault = await s.app.inject({
      method: 'POST',
      url: '/_admin/faults',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { match: { clusterName: 'broken' }, fault: 'provisionFailure' },
    })
    expect(fault.statusCode).toBe(201)
    ids.scaled = await create('scaled', { workerCnt: 5 })
    ids.ha = await create('gone', { isHa: true })
    ids.job = await create('job', {
      userTask: { type: 'hive', terminationPolicy: 'always', hiveQuery: 'select 1' },
    })
    ids.broken = await create('broken')
    const settled = async () =>
      (await Promise.all([ids.scaled!, ids.ha!, ids.job!, ids.broken!].map(status))).every(
        (x) => x === 'Running' || x.startsWith('Terminated'),
      )
    await s.runUntil(settled, { tick: 10_000 })
    expect((await a.scale(ids.scaled!, 'in', 2)).statusCode).toBe(200)
    await s.runUntil(async () => (await status(ids.scaled!)) === 'Running', { tick: 10_000 })
    expect((await a.scale(ids.scaled!, 'out', 1)).statusCode).toBe(200)
    expect((await a.delete(ids.ha!)).statusCode).toBe(200)
    // The job cluster runs a second time under its key (DESIGN section 11).
    const key = await s.app.inject({
      method: 'POST',
      url: `/v2/hadoop-eco/clusters/${ids.job}/api-key`,
      headers: s.headers,
    })
    expect(key.statusCode).toBe(201)
    const rerun = await s.app.inject({
      method: 'POST',
      url: `/v2/hadoop-eco/clusters/${ids.job}`,
      headers: { ...s.headers, 'hadoop-eco-api-key': key.json().apiKey },
      payload: { workerCnt: 4 },
    })
    expect(rerun.statusCode).toBe(200)
    await s.runUntil(async () => (await settled()) && (await status(ids.job!)).startsWith('Terminated'), {
      tick: 10_000,
    })
    // The terminated cluster's name is free again; this one stays mid-provisioning.
    ids.again = await create('gone')
    await s.step()
    expect(await status(ids.again)).toBe('Creating')
    expect(await Promise.all([ids.scaled!, ids.ha!, ids.job!, ids.broken!].map(status))).toEqual([
      'Running',
      'Terminated(User)',
      'Terminated(UserCommand)',
      'Terminated(Error)',
    ])
    snapshot = {} as Record<Table, unknown[]>
    for (const t of TABLES) snapshot[t] = await db().selectFrom(t).selectAll().execute()
  }, 60_000)
  afterAll(() => s.cleanup())

  beforeEach(async () => {
    await db()
      .transaction()
      .execute(async (trx) => {
        for (const t of TABLES) {
          await trx.deleteFrom(t).execute()
          if (snapshot[t]!.length > 0)
            await trx
              .insertInto(t)
              .values(snapshot[t] as never)
              .execute()
        }
      })
  })

  it('reports a clean state for everything the server produced', async () => {
    const r = await check()
    expect(r.ok, formatInvariantReport(r)).toBe(true)
    expect(r.checks.map((c) => c.name)).toEqual([
      'vm-names',
      'vm-indexes',
      'vm-owners',
      'counts',
      'status-fields',
      'live-names',
      'event-chain',
      'pending-work',
      'job-clusters',
      'provider-vms',
    ])
    // The checks really looked at rows: 5 clusters, their VMs, the simulator's records.
    const by = Object.fromEntries(r.checks.map((c) => [c.name, c.checked]))
    expect(by.counts).toBe(5)
    expect(by['vm-names']).toBeGreaterThan(15)
    expect(by['provider-vms']).toBe(5)
    expect(formatInvariantReport(r)).toMatch(/^invariants: OK/)
  })

  const worker = (clusterId: string, idx: number) =>
    db()
      .selectFrom('vms')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('is_master', '=', 0)
      .where('idx', '=', idx)
      .executeTakeFirstOrThrow()

  it('flags a VM index used twice, and an index the cluster would hand out again', async () => {
    const w = await worker(ids.scaled!, 2)
    await db()
      .insertInto('vms')
      .values({ ...w, seq: undefined, instance_id: 'dup-instance', name: 'HadoopWRK-scaled-2b' } as never)
      .execute()
    let r = await check()
    expect(failing(r)).toContain('vm-indexes')
    expect(failing(r)).toContain('vm-names')
    expect(r.checks.find((c) => c.name === 'vm-indexes')!.violations.join()).toMatch(/worker 2 used twice/)

    await sql`delete from vms where instance_id = 'dup-instance'`.execute(db())
    // Workers 4 and 5 ended in the scale-in and 6 joined after: 6 is the highest ever used.
    await db().updateTable('clusters').set({ next_worker_index: 5 }).where('id', '=', ids.scaled!).execute()
    r = await check()
    expect(failing(r)).toEqual(['vm-indexes'])
    expect(r.checks.find((c) => c.name === 'vm-indexes')!.violations[0]).toMatch(
      /next_worker_index 5 <= .* 6/,
    )
  })

  it('flags a duplicate VM name within a cluster', async () => {
    // The database refuses it outright; drop that guard to see the checker catch it too.
    await sql`drop index vms_cluster_name`.execute(db())
    try {
      const w = await worker(ids.scaled!, 1)
      await db()
        .insertInto('vms')
        .values({ ...w, seq: undefined, instance_id: 'dup-name', idx: 99 } as never)
        .execute()
      const r = await check()
      expect(failing(r)).toContain('vm-names')
      expect(r.checks.find((c) => c.name === 'vm-names')!.violations.join()).toMatch(
        /HadoopWRK-scaled-1 used twice/,
      )
    } finally {
      await sql`delete from vms where instance_id = 'dup-name'`.execute(db())
      await sql`create unique index vms_cluster_name on vms (cluster_id, name)`.execute(db())
    }
  })

  it('flags worker and master counts that disagree with the live VMs of a Running cluster', async () => {
    // Workers 1-3 and 6 are live (4 and 5 left in the scale-in).
    await db().updateTable('clusters').set({ worker_cnt: 7 }).where('id', '=', ids.scaled!).execute()
    let r = await check()
    expect(failing(r)).toEqual(['counts'])
    expect(r.checks.find((c) => c.name === 'counts')!.violations[0]).toMatch(/worker_cnt 7.*4 live workers/)

    await db()
      .updateTable('clusters')
      .set({ worker_cnt: 4, master_cnt: 3 })
      .where('id', '=', ids.scaled!)
      .execute()
    r = await check()
    expect(r.checks.find((c) => c.name === 'counts')!.violationCount).toBe(1)
    await db()
      .updateTable('clusters')
      .set({ worker_cnt: 4, master_cnt: 1 })
      .where('id', '=', ids.scaled!)
      .execute()
    // A live worker ended behind the counters' back.
    await db()
      .updateTable('vms')
      .set({ ended_at: 1 })
      .where('cluster_id', '=', ids.scaled!)
      .where('is_master', '=', 0)
      .where('idx', '=', 1)
      .execute()
    r = await check()
    expect(failing(r)).toContain('counts')
    expect(r.checks.find((c) => c.name === 'counts')!.violations.join('\n')).toMatch(/vm_live_count 5 but 4/)
  })

  it('flags uptime counters out of step with the VM rows', async () => {
    await db()
      .updateTable('clusters')
      .set((eb) => ({ vm_live_created_sum: eb('vm_live_created_sum', '+', 1) }))
      .where('id', '=', ids.again!)
      .execute()
    const r = await check()
    expect(failing(r)).toEqual(['counts'])
    expect(r.checks.find((c) => c.name === 'counts')!.violations[0]).toMatch(/vm_live_created_sum/)
  })

  it('flags a terminated cluster that still has live VMs or non-zero counts', async () => {
    await db()
      .updateTable('vms')
      .set({ ended_at: null })
      .where('cluster_id', '=', ids.ha!)
      .where('is_master', '=', 1)
      .where('idx', '=', 2)
      .execute()
    await db().updateTable('clusters').set({ worker_cnt: 3 }).where('id', '=', ids.ha!).execute()
    const r = await check()
    const v = r.checks.find((c) => c.name === 'counts')!.violations.join('\n')
    expect(v).toMatch(/Terminated\(User\)\): 1 VM\(s\) still live: HadoopMST-gone-2/)
    expect(v).toMatch(/worker_cnt 3, want 0 and 0/)
  })

  it('flags two live clusters sharing a name in one project', async () => {
    // Back from the dead without clearing terminated_at, so the unique index does not object.
    await db().updateTable('clusters').set({ status: 'Running' }).where('id', '=', ids.ha!).execute()
    const r = await check()
    expect(failing(r)).toContain('live-names')
    expect(r.checks.find((c) => c.name === 'live-names')!.violations[0]).toMatch(
      new RegExp(`name gone held by ${ids.ha}.*${ids.again}`),
    )
  })

  it('flags a broken event chain: a missing step, a status changed without an event, a wrong start', async () => {
    const installing = await db()
      .selectFrom('events')
      .select('seq')
      .where('cluster_id', '=', ids.scaled!)
      .where('to_status', '=', 'Installing')
      .executeTakeFirstOrThrow()
    await db().deleteFrom('events').where('seq', '=', installing.seq).execute()
    let r = await check()
    expect(failing(r)).toEqual(['event-chain'])
    expect(r.checks.find((c) => c.name === 'event-chain')!.violations[0]).toMatch(
      /Installing -> Running does not follow the previous -> Creating/,
    )

    await db()
      .insertInto('events')
      .values(snapshot.events.find((e) => (e as { seq: unknown }).seq === installing.seq) as never)
      .execute()
    await db()
      .updateTable('events')
      .set({ from_status: 'Creating' })
      .where('cluster_id', '=', ids.job!)
      .where('to_status', '=', 'Initializing')
      .where('from_status', 'is', null)
      .execute()
    await db().updateTable('clusters').set({ status: 'Processing' }).where('id', '=', ids.scaled!).execute()
    r = await check()
    const v = r.checks.find((c) => c.name === 'event-chain')!.violations.join('\n')
    expect(v).toMatch(/job.*history starts Creating -> Initializing/)
    expect(v).toMatch(/scaled.*last status event ends at Running, the cluster is Processing/)
    expect(r.checks.find((c) => c.name === 'event-chain')!.violationCount).toBe(2)
  })

  it('flags a move the lifecycle does not allow', async () => {
    // broken failed while Creating: Initializing, Creating, Terminating, Terminated(Error).
    // Rewritten as if it had jumped from Creating to Running and from there to Terminated(Error).
    await db()
      .updateTable('events')
      .set({ to_status: 'Running' })
      .where('cluster_id', '=', ids.broken!)
      .where('to_status', '=', 'Terminating')
      .execute()
    await db()
      .updateTable('events')
      .set({ from_status: 'Running' })
      .where('cluster_id', '=', ids.broken!)
      .where('from_status', '=', 'Terminating')
      .execute()
    const r = await check()
    expect(failing(r)).toEqual(['event-chain'])
    const v = r.checks.find((c) => c.name === 'event-chain')!.violations
    expect(v).toHaveLength(2)
    expect(v[0]).toMatch(/Creating -> Running is not an allowed move/)
    expect(v[1]).toMatch(/Running -> Terminated\(Error\) is not an allowed move/)
  })

  it("flags an applied apiKeyStatus without a stored key, and a Processing request that is not the cluster's run", async () => {
    await db().deleteFrom('api_keys').execute()
    await db().updateTable('job_requests').set({ status: 'Processing' }).execute()
    const r = await check()
    expect(failing(r)).toEqual(['job-clusters'])
    const v = r.checks.find((c) => c.name === 'job-clusters')!.violations
    expect(v).toHaveLength(2)
    expect(v[0]).toMatch(/cluster job .*apiKeyStatus applied, no key stored/)
    expect(v[1]).toMatch(/is Processing, but cluster job .* is Terminated\(UserCommand\)/)
  })

  it('flags a terminated cluster brought back by anything but a re-run', async () => {
    await db()
      .updateTable('events')
      .set({ reason: 'USER_REQUEST' })
      .where('cluster_id', '=', ids.job!)
      .where('reason', '=', 'RERUN_REQUESTED')
      .execute()
    const r = await check()
    expect(failing(r)).toEqual(['event-chain'])
    expect(r.checks.find((c) => c.name === 'event-chain')!.violations[0]).toMatch(
      /Terminated\(UserCommand\) -> Initializing with reason USER_REQUEST, not RERUN_REQUESTED/,
    )
  })

  it('flags a cluster in a transitional status that nobody will ever move again', async () => {
    await db().deleteFrom('work').where('cluster_id', '=', ids.again!).execute()
    const r = await check()
    expect(failing(r)).toEqual(['pending-work'])
    expect(r.checks.find((c) => c.name === 'pending-work')!.violations[0]).toMatch(
      /gone .*Creating.*no work item/,
    )
  })

  it('flags provider VMs left behind by a terminated cluster, and a VM recorded with the wrong instance', async () => {
    await db().deleteFrom('sim_ops').where('key', '=', `vm-delete:${ids.ha}/HadoopWRK-gone-3`).execute()
    let r = await check()
    expect(failing(r)).toEqual(['provider-vms'])
    expect(r.checks.find((c) => c.name === 'provider-vms')!.violations[0]).toMatch(
      /never deleted \(orphans\): HadoopWRK-gone-3/,
    )
    await db()
      .insertInto('sim_ops')
      .values(
        snapshot.sim_ops.filter(
          (o) => (o as { key: string }).key === `vm-delete:${ids.ha}/HadoopWRK-gone-3`,
        ) as never,
      )
      .execute()
    await db()
      .updateTable('vms')
      .set({ instance_id: 'created-twice' })
      .where('cluster_id', '=', ids.scaled!)
      .where('name', '=', 'HadoopWRK-scaled-3')
      .execute()
    r = await check()
    expect(failing(r)).toEqual(['provider-vms'])
    expect(r.checks.find((c) => c.name === 'provider-vms')!.violations[0]).toMatch(
      /HadoopWRK-scaled-3 is recorded as created-twice/,
    )
  })

  it('flags a Running cluster whose provider VMs and VM rows differ', async () => {
    await db()
      .insertInto('sim_ops')
      .values({
        key: `vm:${ids.scaled}/HadoopWRK-scaled-7`,
        cluster_id: ids.scaled!,
        kind: 'vm',
        started_at: 0,
        ready_at: 0,
        outcome: 'ok',
        result: JSON.stringify({ instanceId: 'stray', ip: '10.0.0.1' }),
      })
      .execute()
    const r = await check()
    expect(failing(r)).toEqual(['provider-vms'])
    expect(r.checks.find((c) => c.name === 'provider-vms')!.violations[0]).toMatch(
      /HadoopWRK-scaled-7\] but live/,
    )
  })

  it('flags status fields that contradict the status', async () => {
    await db().updateTable('clusters').set({ terminated_at: 5 }).where('id', '=', ids.scaled!).execute()
    await db().updateTable('clusters').set({ terminated_at: null }).where('id', '=', ids.job!).execute()
    const r = await check()
    expect(failing(r)).toEqual(['status-fields'])
    const v = r.checks.find((c) => c.name === 'status-fields')!.violations.join('\n')
    expect(v).toMatch(/scaled.*terminated_at is set on a cluster that is not terminated/)
    expect(v).toMatch(/job.*terminated_at is not set/)
  })
})
