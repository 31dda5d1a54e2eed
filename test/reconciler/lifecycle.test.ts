import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Reconciler } from '../../src/reconciler/reconciler.js'
import { ADMIN_TOKEN, startTestServer, validBody, type TestServer } from '../helpers.js'
import { spyOn } from '../provider-spy.js'

const BASE = '/v2/hadoop-eco/clusters'

/** Drives one server per test with a manual clock at time scale 1 (DESIGN section 5 durations). */
describe('cluster lifecycle (simulator, injected clock)', () => {
  let s: TestServer
  beforeEach(async () => {
    s = await startTestServer()
  })
  afterEach(() => s.cleanup())

  const create = async (over: Record<string, unknown> = {}) => {
    const res = await s.app.inject({
      method: 'POST',
      url: BASE,
      headers: s.headers,
      payload: validBody(over),
    })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().id as string
  }
  const get = async (id: string) => (await s.app.inject({ url: `${BASE}/${id}`, headers: s.headers })).json()
  const vms = async (id: string) =>
    (
      await s.app.inject({
        url: `${BASE}/${id}/vms?sort=isMaster,desc&sort=name,asc&size=100`,
        headers: s.headers,
      })
    ).json().content as {
      name: string
      status: string
      index: number
      isMaster: boolean
      ip: string
      createdAt: number
    }[]
  const events = async (id: string) =>
    (await s.app.inject({ url: `${BASE}/${id}/events?size=100`, headers: s.headers })).json().content as {
      seq: number
      reason: string
      fromStatus?: string
      toStatus?: string
    }[]
  const post = (url: string, payload?: Record<string, unknown>, method: 'POST' | 'DELETE' = 'POST') =>
    s.app.inject({ method, url, headers: s.headers, ...(payload ? { payload } : {}) })
  const fault = (body: Record<string, unknown>) =>
    s.app.inject({
      method: 'POST',
      url: '/_admin/faults',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: body,
    })
  const statusSeq = (ev: { toStatus?: string }[]) => ev.filter((e) => e.toStatus).map((e) => e.toStatus)

  it('walks Initializing -> Creating -> Installing -> Running with VMs appearing, on the simulator timings', async () => {
    const id = await create({ name: 'walk', isHa: true, workerCnt: 3 })
    expect((await get(id)).status).toBe('Initializing')
    expect(await vms(id)).toEqual([])

    await s.step()
    let c = await get(id)
    expect(c.status).toBe('Creating')
    let list = await vms(id)
    expect(list.map((v) => v.name)).toEqual([
      'HadoopMST-walk-1',
      'HadoopMST-walk-2',
      'HadoopMST-walk-3',
      'HadoopWRK-walk-1',
      'HadoopWRK-walk-2',
      'HadoopWRK-walk-3',
    ])
    expect(new Set(list.map((v) => v.status))).toEqual(new Set(['Creating']))
    expect(list.every((v) => /^10\.\d+\.\d+\.\d+$/.test(v.ip))).toBe(true)
    expect(new Set(list.map((v) => v.ip)).size).toBe(6)
    expect(c).toMatchObject({ masterCnt: 3, workerCnt: 3, nodeCnt: 6, elapsedTime: 0 })
    expect(c.runningAt).toBeUndefined()
    expect(c.nameNodeUrl).toBeUndefined()

    await s.step(89_000)
    expect((await get(id)).status).toBe('Creating')
    await s.step(1_000)
    expect((await get(id)).status).toBe('Installing')
    expect(new Set((await vms(id)).map((v) => v.status))).toEqual(new Set(['Installing']))

    await s.step(239_000)
    expect((await get(id)).status).toBe('Installing')
    await s.step(1_000)
    c = await get(id)
    expect(c.status).toBe('Running')
    expect(c.runningAt).toBe(s.clock.now())
    list = await vms(id)
    expect(new Set(list.map((v) => v.status))).toEqual(new Set(['Running']))
    const masterIp = list.find((v) => v.name === 'HadoopMST-walk-1')!.ip
    expect(c).toMatchObject({
      nameNodeUrl: `http://${masterIp}:9870`,
      resourceManagerUrl: `http://${masterIp}:8088`,
      hueUrl: `http://${masterIp}:8888`,
      isScalable: true,
      apiKeyStatus: 'impossible',
    })
    expect(c.hmasterUrl).toBeUndefined()

    // elapsedTime and totalVmUptime are computed per response.
    await s.step(60_000)
    c = await get(id)
    expect(c.elapsedTime).toBe(60_000)
    expect(c.totalVmUptime).toBe(6 * (90_000 + 240_000 + 60_000))
    expect(statusSeq(await events(id))).toEqual(['Initializing', 'Creating', 'Installing', 'Running'])
    expect((await events(id)).map((e) => e.seq)).toEqual([1, 2, 3, 4])
  })

  it('deletes a Running cluster to Terminated(User) with zero counts and no VMs left', async () => {
    const id = await create({ name: 'del' })
    await s.step()
    await s.step(90_000)
    await s.step(240_000)
    expect((await get(id)).status).toBe('Running')
    const runningAt = (await get(id)).runningAt

    const res = await post(`${BASE}/${id}`, undefined, 'DELETE')
    expect(res.json()).toEqual({ id, name: 'del', status: 'Terminating' })
    expect((await get(id)).status).toBe('Terminating')
    await s.step()
    expect(new Set((await vms(id)).map((v) => v.status))).toEqual(new Set(['Terminating']))
    await s.step(30_000)
    const c = await get(id)
    expect(c).toMatchObject({
      status: 'Terminated(User)',
      masterCnt: 0,
      workerCnt: 0,
      nodeCnt: 0,
      isScalable: false,
    })
    expect(await vms(id)).toEqual([])
    expect(c.nameNodeUrl).toBeUndefined()
    // elapsedTime stops at termination; totalVmUptime stops when the VMs went away.
    expect(c.elapsedTime).toBe(30_000)
    await s.step(100_000)
    expect((await get(id)).elapsedTime).toBe(30_000)
    expect((await get(id)).totalVmUptime).toBe(4 * (90_000 + 240_000 + 30_000))
    expect((await get(id)).runningAt).toBe(runningAt)
    const ev = await events(id)
    expect(statusSeq(ev)).toEqual([
      'Initializing',
      'Creating',
      'Installing',
      'Running',
      'Terminating',
      'Terminated(User)',
    ])
    expect(ev.find((e) => e.toStatus === 'Terminating')!.reason).toBe('USER_REQUEST')
    // The name is free again once terminated.
    await create({ name: 'del' })
  })

  it('cancels a create in flight and leaves no VM behind at the provider', async () => {
    const id = await create({ name: 'cancel' })
    await s.step()
    await s.step(10_000)
    expect((await get(id)).status).toBe('Creating')
    expect((await post(`${BASE}/${id}`, undefined, 'DELETE')).json().status).toBe('Terminating')
    await s.step()
    await s.step(30_000)
    expect((await get(id)).status).toBe('Terminated(User)')
    expect((await get(id)).runningAt).toBeUndefined()
    const calls = s.providerCalls.calls.filter((c) => c.clusterId === id)
    const created = calls.filter((c) => c.method === 'createVm').map((c) => c.vm)
    const deleted = new Set(calls.filter((c) => c.method === 'deleteVm').map((c) => c.vm))
    expect(created.sort()).toEqual([
      'HadoopMST-cancel-1',
      'HadoopWRK-cancel-1',
      'HadoopWRK-cancel-2',
      'HadoopWRK-cancel-3',
    ])
    for (const name of created) expect(deleted.has(name)).toBe(true)
    expect(calls.some((c) => c.method === 'install')).toBe(false)
    // What the provider itself reports: every VM it made is gone.
    const left = (await s.simulator.observe(id, new AbortController().signal)).vms
    expect(left.map((v) => v.phase)).toEqual(['gone', 'gone', 'gone', 'gone'])
  })

  it('scales out with fresh indexes and scales in from the highest index, never reusing one', async () => {
    const id = await create({ name: 'scale', workerCnt: 3 })
    await s.runUntil(async () => (await get(id)).status === 'Running')

    let res = await post(`${BASE}/${id}/scale-out`, { scaleCnt: 2 })
    expect(res.json()).toEqual({ id, name: 'scale', status: 'Processing' })
    // DESIGN section 5: UI URLs only while Running.
    expect((await get(id)).nameNodeUrl).toBeUndefined()
    await s.step()
    let list = await vms(id)
    expect(list.filter((v) => v.status === 'Creating').map((v) => v.name)).toEqual([
      'HadoopWRK-scale-4',
      'HadoopWRK-scale-5',
    ])
    expect((await get(id)).workerCnt).toBe(3)
    // The new workers are listed while they boot, beside the running ones.
    expect(list.map((v) => v.index)).toEqual([1, 1, 2, 3, 4, 5])
    await s.step(90_000)
    list = await vms(id)
    expect(list).toHaveLength(6)
    expect(list.filter((v) => v.status === 'Installing').map((v) => v.index)).toEqual([4, 5])
    expect((await get(id)).status).toBe('Processing')
    await s.step(120_000)
    let c = await get(id)
    expect(c).toMatchObject({ status: 'Running', workerCnt: 5, nodeCnt: 6 })
    expect(new Set((await vms(id)).map((v) => v.status))).toEqual(new Set(['Running']))

    res = await post(`${BASE}/${id}/scale-in`, { scaleCnt: 2 }, 'DELETE')
    expect(res.json().status).toBe('Processing')
    await s.step()
    list = await vms(id)
    expect(list.filter((v) => v.status === 'Decommissioning').map((v) => v.index)).toEqual([4, 5])
    await s.step(60_000)
    expect((await vms(id)).filter((v) => v.status === 'Terminating').map((v) => v.index)).toEqual([4, 5])
    await s.step(30_000)
    c = await get(id)
    expect(c).toMatchObject({ status: 'Running', workerCnt: 3 })
    expect((await vms(id)).filter((v) => !v.isMaster).map((v) => v.index)).toEqual([1, 2, 3])

    await post(`${BASE}/${id}/scale-out`, { scaleCnt: 1 })
    await s.step()
    await s.step(90_000)
    await s.step(120_000)
    expect((await vms(id)).filter((v) => !v.isMaster).map((v) => v.index)).toEqual([1, 2, 3, 6])
    const reasons = (await events(id)).map((e) => e.reason)
    expect(reasons.filter((r) => r === 'SCALE_OUT_DONE')).toHaveLength(2)
    expect(reasons.filter((r) => r === 'SCALE_IN_DONE')).toHaveLength(1)
  })

  it('never scales in below hdfsReplication, even with 20 concurrent requests', async () => {
    const id = await create({
      name: 'guard',
      workerCnt: 5,
      config: { hdfsReplication: 3, hdfsBlockSize: 128 },
    })
    await s.runUntil(async () => (await get(id)).status === 'Running')
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post(`${BASE}/${id}/scale-in`, { scaleCnt: 1 })),
    )
    const ok = results.filter((r) => r.statusCode === 200)
    const refused = results.filter((r) => r.statusCode !== 200)
    expect(ok.length).toBeGreaterThanOrEqual(1)
    for (const r of refused) expect(r.statusCode).toBe(400)
    await s.runUntil(async () => (await get(id)).status === 'Running')
    // Keep hammering until the floor is reached: it must hold exactly at hdfsReplication.
    for (let round = 0; round < 5; round++) {
      const rs = await Promise.all(
        Array.from({ length: 20 }, () => post(`${BASE}/${id}/scale-in`, { scaleCnt: 1 })),
      )
      for (const r of rs) expect([200, 400]).toContain(r.statusCode)
      await s.runUntil(async () => (await get(id)).status === 'Running')
      expect((await get(id)).workerCnt).toBeGreaterThanOrEqual(3)
    }
    expect((await get(id)).workerCnt).toBe(3)
    expect((await vms(id)).filter((v) => !v.isMaster)).toHaveLength(3)
    const last = await post(`${BASE}/${id}/scale-in`, { scaleCnt: 1 })
    expect(last.statusCode).toBe(400)
    expect(last.json().code).toBe('SCALE_IN_BELOW_REPLICATION')
  })

  it('runs a hive userTask with terminationPolicy never and stays Running', async () => {
    const id = await create({
      name: 'hive-never',
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1' },
    })
    await s.runUntil(async () => (await get(id)).status === 'Running')
    await s.step()
    expect((await events(id)).map((e) => e.reason)).toContain('TASK_STARTED')
    await s.step(30_000)
    const ev = await events(id)
    expect(ev.map((e) => e.reason)).toContain('TASK_SUCCEEDED')
    expect((await get(id)).status).toBe('Running')
    expect((await get(id)).apiKeyStatus).toBe('impossible')
  })

  it('ends a job cluster with onSuccess in Terminated(UserCommand), apiKeyStatus possible', async () => {
    // The task file must exist when the task starts (DESIGN section 8).
    await s.objects.put('proj-a', 'jobs', 'job.jar', Readable.from(['PK']))
    const id = await create({
      name: 'spark-job',
      userTask: {
        type: 'spark',
        terminationPolicy: 'onSuccess',
        fileUrl: 'https://objectstorage.kr-central-2.kakaocloud.com/v1/proj-a/jobs/job.jar',
        deployMode: 'cluster',
      },
    })
    expect((await get(id)).isScalable).toBe(false)
    await s.runUntil(async () => (await get(id)).status === 'Running')
    await s.step()
    await s.step(60_000)
    expect((await get(id)).status).toBe('Terminating')
    await s.step(30_000)
    const c = await get(id)
    expect(c).toMatchObject({
      status: 'Terminated(UserCommand)',
      apiKeyStatus: 'possible',
      masterCnt: 0,
      workerCnt: 0,
    })
    const ev = await events(id)
    expect(ev.find((e) => e.toStatus === 'Terminating')!.reason).toBe('TASK_SUCCEEDED')
  })

  it('keeps the cluster Running when an onSuccess task fails, and ends it when policy is always', async () => {
    expect((await fault({ match: { clusterName: 'fail-*' }, fault: 'taskFailure' })).statusCode).toBe(201)
    const task = (policy: string) => ({ type: 'hive', terminationPolicy: policy, hiveQuery: 'select 1' })
    const a = await create({ name: 'fail-onsuccess', userTask: task('onSuccess') })
    const b = await create({ name: 'fail-always', userTask: task('always') })
    await s.runUntil(
      async () => (await get(a)).status === 'Running' && (await get(b)).status !== 'Installing',
    )
    await s.step()
    await s.step(30_000)
    await s.step(30_000)
    expect((await get(a)).status).toBe('Running')
    expect((await events(a)).map((e) => e.reason)).toContain('TASK_FAILED')
    expect((await get(b)).status).toBe('Terminated(UserCommand)')
    expect((await events(b)).find((e) => e.toStatus === 'Terminating')!.reason).toBe('TASK_FAILED')
  })

  it('ends in Terminated(Error) on provisioning and installation faults, counting `times` in clusters', async () => {
    await fault({ match: { clusterName: 'prov-*' }, fault: 'provisionFailure', times: 1 })
    await fault({ match: { clusterName: 'inst-*' }, fault: 'installFailure' })
    const p1 = await create({ name: 'prov-a' })
    const i1 = await create({ name: 'inst-a' })
    await s.runUntil(
      async () => ((await get(p1)).status + (await get(i1)).status).split('Terminated').length === 3,
      {
        tick: 10_000,
      },
    )
    expect((await get(p1)).status).toBe('Terminated(Error)')
    expect((await get(i1)).status).toBe('Terminated(Error)')
    expect((await events(p1)).map((e) => e.reason)).toContain('PROVISION_FAILED')
    expect((await events(i1)).map((e) => e.reason)).toContain('INSTALL_FAILED')
    expect((await get(p1)).runningAt).toBeUndefined()
    expect(await vms(p1)).toEqual([])
    // times: 1 is used up, so the next matching cluster is healthy.
    const p2 = await create({ name: 'prov-b' })
    await s.runUntil(async () => (await get(p2)).status === 'Running')
  })

  it('answers matching requests with an injected apiError', async () => {
    await fault({ match: { path: '/v2/hadoop-eco/clusters' }, fault: 'apiError', status: 503, times: 1 })
    const first = await s.app.inject({ url: BASE, headers: s.headers })
    expect(first.statusCode).toBe(503)
    expect(first.headers['retry-after']).toBe('1')
    expect(first.json()).toMatchObject({ status: 503, code: 'INJECTED_FAULT', error: 'Service Unavailable' })
    expect((await s.app.inject({ url: BASE, headers: s.headers })).statusCode).toBe(200)
  })

  it('replaces a VM that vanished at the provider under its name and index, with events', async () => {
    const id = await create({ name: 'heal', workerCnt: 3 })
    await s.runUntil(async () => (await get(id)).status === 'Running', { tick: 10_000 })
    const before = (await vms(id)).find((v) => v.name === 'HadoopWRK-heal-2')!
    const beforeId = (before as unknown as { instanceId: string }).instanceId
    expect(await s.simulator.loseVm(id, 'HadoopWRK-heal-2')).toBe(true)

    // Noticed on the next observation (HADOOP_ECO_OBSERVE_MS, 30 s by default), not before.
    await s.step(29_000)
    expect((await vms(id)).find((v) => v.name === 'HadoopWRK-heal-2')!.status).toBe('Running')
    await s.step(1_000)
    let vm = (await vms(id)).find((v) => v.name === 'HadoopWRK-heal-2') as unknown as {
      status: string
      index: number
      instanceId: string
    }
    expect(vm).toMatchObject({ status: 'Creating', index: 2 })
    expect(vm.instanceId).not.toBe(beforeId)
    // The cluster stays Running (the seed has no degraded status) and keeps its counts.
    expect(await get(id)).toMatchObject({ status: 'Running', workerCnt: 3, nodeCnt: 4 })
    await s.step(90_000)
    expect((await vms(id)).find((v) => v.name === 'HadoopWRK-heal-2')!.status).toBe('Installing')
    await s.step(120_000)
    vm = (await vms(id)).find((v) => v.name === 'HadoopWRK-heal-2') as unknown as typeof vm
    expect(vm.status).toBe('Running')
    const ev = await events(id)
    expect(
      ev.filter((e) => e.reason === 'VM_LOST' || e.reason === 'VM_RECOVERED').map((e) => e.reason),
    ).toEqual(['VM_LOST', 'VM_RECOVERED'])
    // One new VM for the lost one, nothing else.
    const creates = s.providerCalls.calls.filter((c) => c.clusterId === id && c.method === 'createVm')
    expect(creates.map((c) => `${c.vm}:${c.detail}`)).toEqual([
      'HadoopMST-heal-1:create',
      'HadoopWRK-heal-1:create',
      'HadoopWRK-heal-2:create',
      'HadoopWRK-heal-3:create',
      'HadoopWRK-heal-2:repair',
    ])
    const { checkInvariants, formatInvariantReport } = await import('../../src/invariants.js')
    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  })

  it('survives two reconcilers on one database: every step happens once', async () => {
    const { createReconciler } = await import('../../src/reconciler/reconciler.js')
    const pino = (await import('pino')).default
    // Both reconcilers drive the one simulator, each through its own spy: together they must
    // ask for every VM exactly once.
    const spies = [spyOn(s.simulator), spyOn(s.simulator)]
    const [first, second] = spies.map((spy) =>
      createReconciler({
        store: s.store,
        provider: spy.provider,
        clock: s.clock,
        logger: pino({ level: 'silent' }),
        leaseMs: 15_000,
        pollMs: 100,
        concurrency: 4,
      }),
    ) as [Reconciler, Reconciler]
    const ids = await Promise.all(
      Array.from({ length: 8 }, (_, i) => create({ name: `dual-${i}`, workerCnt: 3 })),
    )
    const both = async (ms: number) => {
      s.clock.advance(ms)
      await Promise.all([first.drain(), second.drain(), first.drain(), second.drain()])
    }
    for (const ms of [0, 0, 90_000, 0, 240_000, 0]) await both(ms)
    for (const id of ids) {
      expect((await get(id)).status).toBe('Running')
      expect(statusSeq(await events(id))).toEqual(['Initializing', 'Creating', 'Installing', 'Running'])
      expect(await vms(id)).toHaveLength(4)
    }
    const creates = spies.flatMap((spy) => spy.calls.filter((c) => c.method === 'createVm'))
    expect(creates).toHaveLength(8 * 4)
    expect(new Set(creates.map((c) => c.vm)).size).toBe(8 * 4)
  })
})
