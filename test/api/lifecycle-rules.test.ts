import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers.js'
import { api, createCluster, createRunning, expectError, runUntilStatus, statusOf } from './util.js'

describe('delete and scale: status rules', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  /** Creates a cluster and steps time one second at a time until it shows `status`. */
  const createIn = async (name: string, status: string, over: Record<string, unknown> = {}) => {
    const id = await createCluster(s, { name, ...over })
    if (status !== 'Initializing') await runUntilStatus(s, id, (st) => st === status, 1000)
    expect(await statusOf(s, id)).toBe(status)
    return id
  }
  const eventCount = async (id: string) => (await api(s).events(id)).json().totalElements as number

  describe('delete', () => {
    it.each(['Initializing', 'Creating', 'Installing', 'Running'])(
      'is allowed in %s: 200 {id,name,status:"Terminating"}, then Terminated(User)',
      async (status) => {
        const name = `del-${status.toLowerCase()}`
        const id = await createIn(name, status)
        const res = await api(s).delete(id)
        expect(res.statusCode, res.body).toBe(200)
        expect(res.json()).toEqual({ id, name, status: 'Terminating' })
        expect(await statusOf(s, id)).toBe('Terminating')
        await runUntilStatus(s, id, (st) => st !== 'Terminating')
        const got = (await api(s).get(id)).json()
        expect(got).toMatchObject({
          status: 'Terminated(User)',
          masterCnt: 0,
          workerCnt: 0,
          nodeCnt: 0,
          isScalable: false,
        })
        expect((await api(s).vms(id)).json().totalElements).toBe(0)
      },
    )

    it('is allowed while Processing', async () => {
      const id = await createRunning(s, { name: 'del-processing', workerCnt: 4 })
      expect((await api(s).scale(id, 'out', 1)).json().status).toBe('Processing')
      const res = await api(s).delete(id)
      expect(res.json()).toEqual({ id, name: 'del-processing', status: 'Terminating' })
      await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
      expect(await statusOf(s, id)).toBe('Terminated(User)')
    })

    it('of a cluster already Terminating answers 200 and changes nothing', async () => {
      const id = await createIn('del-twice', 'Running')
      await api(s).delete(id)
      const events = await eventCount(id)
      const again = await api(s).delete(id)
      expect(again.statusCode).toBe(200)
      expect(again.json()).toEqual({ id, name: 'del-twice', status: 'Terminating' })
      expect(await eventCount(id)).toBe(events)
      expect(await statusOf(s, id)).toBe('Terminating')
    })

    it('apiKeyStatus turns possible for a deleted hadoop cluster with a userTask, not for others', async () => {
      const task = { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1' }
      const job = await createIn('key-hadoop-job', 'Running', { userTask: task })
      const trino = await createIn('key-trino-job', 'Running', { clusterType: 'trino', userTask: task })
      const plain = await createIn('key-hadoop-plain', 'Running')
      for (const id of [job, trino, plain]) {
        expect((await api(s).get(id)).json().apiKeyStatus).toBe('impossible')
        await api(s).delete(id)
      }
      for (const id of [job, trino, plain]) await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
      expect((await api(s).get(job)).json()).toMatchObject({
        status: 'Terminated(User)',
        apiKeyStatus: 'possible',
      })
      expect((await api(s).get(trino)).json().apiKeyStatus).toBe('impossible')
      expect((await api(s).get(plain)).json().apiKeyStatus).toBe('impossible')
    })

    it('of a terminated cluster answers 400 CLUSTER_TERMINATED', async () => {
      const id = await createIn('del-dead', 'Initializing')
      await api(s).delete(id)
      await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
      const events = await eventCount(id)
      const body = expectError(await api(s).delete(id), 400, 'CLUSTER_TERMINATED')
      expect(body.message).toContain('Terminated(User)')
      expect(await eventCount(id)).toBe(events)
    })
  })

  describe('scale', () => {
    it.each(['Initializing', 'Creating', 'Installing'])(
      'answers 400 INVALID_CLUSTER_STATUS while %s',
      async (status) => {
        const id = await createIn(`scale-${status.toLowerCase()}`, status, { workerCnt: 5 })
        for (const res of [
          await api(s).scale(id, 'out', 1),
          await api(s).scale(id, 'in', 1),
          await api(s).scale(id, 'in', 1, 'DELETE'),
        ])
          expectError(res, 400, 'INVALID_CLUSTER_STATUS')
        expect(await statusOf(s, id)).toBe(status)
      },
    )

    it('answers 400 INVALID_CLUSTER_STATUS while Processing, Terminating and Terminated', async () => {
      const id = await createRunning(s, { name: 'scale-busy', workerCnt: 5 })
      expect((await api(s).scale(id, 'out', 1)).statusCode).toBe(200)
      expectError(await api(s).scale(id, 'out', 1), 400, 'INVALID_CLUSTER_STATUS')
      expectError(await api(s).scale(id, 'in', 1), 400, 'INVALID_CLUSTER_STATUS')
      await api(s).delete(id)
      expectError(await api(s).scale(id, 'out', 1), 400, 'INVALID_CLUSTER_STATUS')
      await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
      expectError(await api(s).scale(id, 'in', 1, 'DELETE'), 400, 'INVALID_CLUSTER_STATUS')
    })

    it('scale-out: 200 {id,name,status:"Processing"}, then Running with the new workers', async () => {
      const id = await createRunning(s, { name: 'scale-out-ok' })
      const res = await api(s).scale(id, 'out', 2)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toEqual({ id, name: 'scale-out-ok', status: 'Processing' })
      await runUntilStatus(s, id, (st) => st === 'Running')
      expect((await api(s).get(id)).json()).toMatchObject({ workerCnt: 5, nodeCnt: 6 })
      const names = (await api(s).vms(id, 'sort=name,asc'))
        .json()
        .content.map((v: { name: string }) => v.name)
      expect(names).toEqual([
        'HadoopMST-scale-out-ok-1',
        ...[1, 2, 3, 4, 5].map((i) => `HadoopWRK-scale-out-ok-${i}`),
      ])
    })

    it('scale-out above 1000 workers answers 400 SCALE_OUT_ABOVE_MAXIMUM', async () => {
      const id = await createRunning(s, { name: 'scale-out-max' })
      expectError(await api(s).scale(id, 'out', 998), 400, 'SCALE_OUT_ABOVE_MAXIMUM')
      expect(await statusOf(s, id)).toBe('Running')
    })

    it.each(['POST', 'DELETE'] as const)(
      'scale-in via %s: 200 Processing, then Running without the highest-index workers',
      async (method) => {
        const name = `scale-in-${method.toLowerCase()}`
        const id = await createRunning(s, { name, workerCnt: 5 })
        const res = await api(s).scale(id, 'in', 2, method)
        expect(res.statusCode, res.body).toBe(200)
        expect(res.json()).toEqual({ id, name, status: 'Processing' })
        await runUntilStatus(s, id, (st) => st === 'Running')
        expect((await api(s).get(id)).json()).toMatchObject({ workerCnt: 3, nodeCnt: 4 })
        const workers = (await api(s).vms(id, 'sort=name,asc&name=WRK')).json().content
        expect(workers.map((v: { index: number }) => v.index)).toEqual([1, 2, 3])
      },
    )

    it('scale-in below config.hdfsReplication answers 400 SCALE_IN_BELOW_REPLICATION (both verbs)', async () => {
      const id = await createRunning(s, { name: 'scale-in-floor', workerCnt: 4 })
      for (const method of ['POST', 'DELETE'] as const) {
        const body = expectError(await api(s).scale(id, 'in', 2, method), 400, 'SCALE_IN_BELOW_REPLICATION')
        expect(body.errors[0]).toMatchObject({ field: 'scaleCnt', code: 'SCALE_IN_BELOW_REPLICATION' })
      }
      expect(await statusOf(s, id)).toBe('Running')
      // down to exactly the replication factor is fine
      expect((await api(s).scale(id, 'in', 1)).statusCode).toBe(200)
    })

    it('two racing scale-ins cannot together go below the replication floor', async () => {
      const id = await createRunning(s, { name: 'scale-in-race', workerCnt: 4 })
      const results = await Promise.all([api(s).scale(id, 'in', 1), api(s).scale(id, 'in', 1, 'DELETE')])
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 400])
      await runUntilStatus(s, id, (st) => st === 'Running')
      expect((await api(s).get(id)).json().workerCnt).toBe(3)
    })

    it('a cluster whose userTask ends it is not scalable: 400 CLUSTER_NOT_SCALABLE', async () => {
      const id = await createCluster(s, {
        name: 'scale-job',
        workerCnt: 4,
        userTask: { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'select 1' },
      })
      await runUntilStatus(s, id, (st) => st === 'Running', 1000)
      expect((await api(s).get(id)).json().isScalable).toBe(false)
      expectError(await api(s).scale(id, 'out', 1), 400, 'CLUSTER_NOT_SCALABLE')
      expectError(await api(s).scale(id, 'in', 1), 400, 'CLUSTER_NOT_SCALABLE')
    })

    it.each([
      ['missing', undefined, 'FIELD_REQUIRED'],
      ['zero', 0, 'VALUE_OUT_OF_RANGE'],
      ['negative', -1, 'VALUE_OUT_OF_RANGE'],
      ['above 1000', 1001, 'VALUE_OUT_OF_RANGE'],
      ['a string', '1', 'INVALID_TYPE'],
      ['a fraction', 1.5, 'INVALID_TYPE'],
    ])('refuses a scaleCnt that is %s', async (_label, scaleCnt, code) => {
      const id = (await api(s).list('name=scale-out-max')).json().content[0].id as string
      for (const dir of ['out', 'in'] as const) {
        const body = expectError(await api(s).scale(id, dir, scaleCnt), 400, code)
        expect(body.errors.map((e) => e.field)).toEqual(['scaleCnt'])
      }
    })
  })
})
