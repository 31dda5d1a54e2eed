import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLAVORS } from '../../src/domain/catalog.js'
import { fixture, startTestServer, type TestServer } from '../helpers.js'
import { api, createCluster, runUntilStatus, statusOf } from './util.js'

/** The keys of the seed's "Retrieve cluster" object: nothing else may appear. */
const SEED_CLUSTER_KEYS = [
  'id',
  'name',
  'owner',
  'clusterType',
  'clusterVersion',
  'isHa',
  'isScalable',
  'status',
  'apiKeyStatus',
  'masterCnt',
  'workerCnt',
  'nodeCnt',
  'vpcId',
  'subnetId',
  'securityGroupIds',
  'keypairName',
  'monitoring',
  'imageName',
  'nameNodeUrl',
  'resourceManagerUrl',
  'hueUrl',
  'hmasterUrl',
  'trinoUrl',
  'druidUrl',
  'supersetUrl',
  'createdAt',
  'runningAt',
  'elapsedTime',
  'totalVmUptime',
  'masterInfo',
  'workerInfo',
  'adminInfo',
  'config',
  'userTask',
  'hiveDbInfo',
  'dataCatalogInfo',
  'redisInfo',
]
const ALWAYS = SEED_CLUSTER_KEYS.filter(
  (k) =>
    !k.endsWith('Url') &&
    !['runningAt', 'adminInfo', 'userTask', 'hiveDbInfo', 'dataCatalogInfo', 'redisInfo'].includes(k),
)
const SUMMARY_KEYS = [
  'id',
  'name',
  'status',
  'owner',
  'clusterType',
  'clusterVersion',
  'isScalable',
  'apiKeyStatus',
  'masterCnt',
  'workerCnt',
  'nodeCnt',
  'createdAt',
  'runningAt',
  'elapsedTime',
]
const UI = [
  'nameNodeUrl',
  'resourceManagerUrl',
  'hueUrl',
  'hmasterUrl',
  'trinoUrl',
  'druidUrl',
  'supersetUrl',
]

type Json = Record<string, unknown>
const keysOf = (o: unknown) => Object.keys(o as object).sort()

describe('GET /clusters/{id}', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  describe('the documented object for each seed fixture, before Running', () => {
    it('example 1: hive task, adminInfo, configText, dataCatalog (seed alias)', async () => {
      const req = await fixture('create-example-1.json')
      const t0 = s.clock.now()
      const id = (await api(s).create(req)).json().id
      const got = (await api(s).get(id)).json() as Json
      expect(keysOf(got)).toEqual([...ALWAYS, 'adminInfo', 'userTask', 'dataCatalogInfo'].sort())
      for (const k of keysOf(got)) expect(SEED_CLUSTER_KEYS).toContain(k)
      const flavor = FLAVORS.get('m2a.xlarge')!.id
      expect(got).toEqual({
        id,
        name: 'hive-job-cluster',
        owner: 'test-id',
        clusterType: 'hadoop',
        clusterVersion: 'hde-2.0.1',
        isHa: false,
        isScalable: true,
        status: 'Initializing',
        apiKeyStatus: 'impossible',
        masterCnt: 1,
        workerCnt: 3,
        nodeCnt: 4,
        vpcId: req.vpcId,
        subnetId: req.subnetId,
        securityGroupIds: [expect.stringMatching(/^[0-9a-f-]{36}$/)],
        keypairName: 'keypairname',
        monitoring: true,
        imageName: expect.any(String),
        createdAt: t0,
        elapsedTime: 0,
        totalVmUptime: 0,
        masterInfo: [{ flavorId: flavor, flavorName: 'm2a.xlarge', volumeSize: 50 }],
        workerInfo: [{ flavorId: flavor, flavorName: 'm2a.xlarge', volumeSize: 100 }],
        adminInfo: { userId: 'admin_user' },
        config: {
          hdfsBlockSize: 128,
          hdfsReplication: 3,
          configText: (req.config as Json).configText,
        },
        userTask: {
          type: 'hive',
          terminationPolicy: 'never',
          hiveQuery: (req.userTask as Json).hiveQuery,
          execOpts: (req.userTask as Json).execOpts,
          logBucketName: 'user-bucket',
        },
        dataCatalogInfo: {
          metastoreUri: expect.stringMatching(/^thrift:\/\//),
          catalogId: 'e1ebae48-daba-a4c5-56da-fbb2b684ae07',
          catalogName: expect.any(String),
          vpcId: req.vpcId,
          vpcName: expect.any(String),
          subnetId: req.subnetId,
          subnetName: expect.any(String),
        },
      })
    })

    it('example 2: HA, given security groups, spark task (not scalable: it ends the cluster)', async () => {
      const req = await fixture('create-example-2.json')
      const id = (await api(s).create(req)).json().id
      const got = (await api(s).get(id)).json() as Json
      expect(keysOf(got)).toEqual([...ALWAYS, 'userTask'].sort())
      expect(got).toMatchObject({
        isHa: true,
        masterCnt: 3,
        workerCnt: 5,
        nodeCnt: 8,
        isScalable: false,
        securityGroupIds: req.securityGroupIds,
        config: { hdfsBlockSize: 128, hdfsReplication: 3 },
        userTask: {
          type: 'spark',
          terminationPolicy: 'onSuccess',
          fileUrl: (req.userTask as Json).fileUrl,
          deployMode: 'cluster',
          execOpts: (req.userTask as Json).execOpts,
          logBucketName: 'user-bucket',
        },
      })
      expect(keysOf(got.config)).toEqual(['hdfsBlockSize', 'hdfsReplication'])
    })

    it('example 3: configFileUrl, userScript, hiveDbInfo without its password', async () => {
      const req = await fixture('create-example-3.json')
      const id = (await api(s).create(req)).json().id
      const got = (await api(s).get(id)).json() as Json
      expect(keysOf(got)).toEqual([...ALWAYS, 'hiveDbInfo'].sort())
      expect(got.config).toEqual({
        hdfsBlockSize: 128,
        hdfsReplication: 3,
        configFileUrl: (req.config as Json).configFileUrl,
      })
      expect(got.hiveDbInfo).toEqual({
        objectId: 'cfdbd7cd-f0ce-bbfb-de5b-e73bdbbcb0cf',
        subnetId: req.subnetId,
        name: expect.any(String),
        host: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
        port: expect.any(Number),
        dbName: 'meta_db',
        userId: 'mysql_user',
      })
    })

    it('redisInfo of a dataflow cluster shows the documented keys', async () => {
      const id = await createCluster(s, {
        name: 'view-dataflow',
        clusterType: 'dataflow',
        redisInfo: { objectId: 'r-1' },
      })
      const got = (await api(s).get(id)).json() as Json
      expect(keysOf(got.redisInfo)).toEqual(
        [
          'objectId',
          'name',
          'subnetId',
          'primaryEndpoint',
          'readEndpoint',
          'clusterEnabled',
          'port',
          'dbIdSupersetCelery',
          'dbIdSupersetResults',
        ].sort(),
      )
    })

    it('the flavorIds come from the catalogue, per role', async () => {
      const id = await createCluster(s, {
        name: 'view-flavors',
        masterFlavorName: 'c2a.4xlarge',
        workerFlavorName: 'r2a.24xlarge',
        masterVolumeSize: 200,
        workerVolumeSize: 5120,
      })
      const got = (await api(s).get(id)).json() as Json
      expect(got.masterInfo).toEqual([
        { flavorId: FLAVORS.get('c2a.4xlarge')!.id, flavorName: 'c2a.4xlarge', volumeSize: 200 },
      ])
      expect(got.workerInfo).toEqual([
        { flavorId: FLAVORS.get('r2a.24xlarge')!.id, flavorName: 'r2a.24xlarge', volumeSize: 5120 },
      ])
      expect(FLAVORS.get('c2a.4xlarge')!.id).not.toBe(FLAVORS.get('r2a.24xlarge')!.id)
    })
  })

  describe('once Running', () => {
    it.each([
      ['hadoop', 'hde-2.0.1', { nameNodeUrl: 9870, resourceManagerUrl: 8088, hueUrl: 8888 }],
      ['hbase', 'hde-2.1.0', { nameNodeUrl: 9870, resourceManagerUrl: 8088, hmasterUrl: 16010 }],
      ['trino', 'hde-2.2.0', { nameNodeUrl: 9870, resourceManagerUrl: 8088, hueUrl: 8888, trinoUrl: 8780 }],
      [
        'dataflow',
        'hde-1.1.2',
        { nameNodeUrl: 50070, resourceManagerUrl: 8088, druidUrl: 3008, supersetUrl: 4000 },
      ],
    ])(
      'a %s %s cluster shows its UI URLs on the first master',
      async (clusterType, clusterVersion, ports) => {
        const id = await createCluster(s, { name: `ui-${clusterType}`, clusterType, clusterVersion })
        for (const k of UI) expect((await api(s).get(id)).json()).not.toHaveProperty(k)
        await runUntilStatus(s, id, (st) => st === 'Running')
        const got = (await api(s).get(id)).json() as Json
        const master = (await api(s).vms(id, `name=HadoopMST-ui-${clusterType}-1`)).json().content[0]
        expect(master.ip).toMatch(/^10\.\d+\.\d+\.\d+$/)
        const expected = Object.fromEntries(
          Object.entries(ports).map(([k, p]) => [k, `http://${master.ip}:${p}`]),
        )
        expect(Object.fromEntries(UI.filter((k) => k in got).map((k) => [k, got[k]]))).toEqual(expected)
      },
    )

    it('runningAt is set once, and elapsedTime and totalVmUptime are computed per response', async () => {
      const id = await createCluster(s, {
        name: 'view-times',
        workerCnt: 2,
        config: { hdfsReplication: 2, hdfsBlockSize: 64 },
      })
      const createdAt = (await api(s).get(id)).json().createdAt as number
      // step a second at a time so runningAt is exact to the step
      let runningSeenAt = 0
      await s.runUntil(async () => {
        runningSeenAt = s.clock.now()
        return (await statusOf(s, id)) === 'Running'
      })
      const a = (await api(s).get(id)).json() as Json
      expect(a.runningAt).toBe(runningSeenAt)
      expect(a.runningAt as number).toBeGreaterThan(createdAt)
      expect(a.elapsedTime).toBe(0)
      const vms = (await api(s).vms(id)).json().content as { createdAt: number }[]
      expect(vms).toHaveLength(3)
      const uptimeAt = (now: number) => vms.reduce((sum, v) => sum + (now - v.createdAt), 0)
      expect(a.totalVmUptime).toBe(uptimeAt(s.clock.now()))

      s.clock.advance(60_000)
      const b = (await api(s).get(id)).json() as Json
      expect(b.runningAt).toBe(a.runningAt)
      expect(b.elapsedTime).toBe(60_000)
      expect(b.totalVmUptime).toBe((a.totalVmUptime as number) + 3 * 60_000)
      const row = (await api(s).list('name=view-times')).json().content[0]
      expect(row).toMatchObject({ runningAt: a.runningAt, elapsedTime: 60_000 })

      s.clock.advance(1234)
      expect((await api(s).get(id)).json().elapsedTime).toBe(61_234)
    })

    it('after termination the times stop, runningAt stays, the URLs go', async () => {
      const id = await createCluster(s, { name: 'view-ended' })
      await runUntilStatus(s, id, (st) => st === 'Running')
      s.clock.advance(30_000)
      await api(s).delete(id)
      await runUntilStatus(s, id, (st) => st.startsWith('Terminated'), 1000)
      const a = (await api(s).get(id)).json() as Json
      expect(a.status).toBe('Terminated(User)')
      expect(a.runningAt).toEqual(expect.any(Number))
      expect(a.elapsedTime as number).toBeGreaterThanOrEqual(30_000)
      for (const k of UI) expect(a).not.toHaveProperty(k)
      s.clock.advance(3_600_000)
      const b = (await api(s).get(id)).json() as Json
      expect(b.elapsedTime).toBe(a.elapsedTime)
      expect(b.totalVmUptime).toBe(a.totalVmUptime)
      expect(b).toMatchObject({ masterCnt: 0, workerCnt: 0, nodeCnt: 0, isScalable: false })
    })

    it('runningAt stays the first Running; totalVmUptime keeps the uptime of VMs a scale-in removed', async () => {
      const id = await createCluster(s, { name: 'view-uptime', workerCnt: 4 })
      await runUntilStatus(s, id, (st) => st === 'Running')
      const before = (await api(s).get(id)).json() as Json
      const removed = (await api(s).vms(id, 'name=HadoopWRK-view-uptime-4')).json().content[0] as {
        createdAt: number
      }
      s.clock.advance(10_000)
      expect((await api(s).scale(id, 'in', 1)).statusCode).toBe(200)
      await runUntilStatus(s, id, (st) => st === 'Running', 1000)
      const events = (await api(s).events(id)).json().content as { reason: string; at: number }[]
      const endedAt = events.find((e) => e.reason === 'SCALE_IN_DONE')!.at
      s.clock.advance(5000)
      const after = (await api(s).get(id)).json() as Json
      expect(after.runningAt).toBe(before.runningAt)
      expect(after.workerCnt).toBe(3)
      const live = (await api(s).vms(id)).json().content as { createdAt: number }[]
      expect(live).toHaveLength(4)
      const now = s.clock.now()
      expect(after.totalVmUptime).toBe(
        live.reduce((sum, v) => sum + (now - v.createdAt), 0) + (endedAt - removed.createdAt),
      )
    })

    it('a userTask that ran shows its logUrl: its run under <logBucketName>/HadoopEco/<cluster name>', async () => {
      const id = await createCluster(s, {
        name: 'view-task',
        userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1', logBucketName: 'logs' },
      })
      expect((await api(s).get(id)).json().userTask).not.toHaveProperty('logUrl')
      await runUntilStatus(s, id, (st) => st === 'Running')
      await s.step(60_000)
      const tasks = await s.app.inject({ url: `/v2/hadoop-eco/clusters/${id}/tasks`, headers: s.headers })
      const run = tasks.json().content[0].id as string
      // DESIGN section 8: each run writes its log objects under the run's own prefix.
      expect((await api(s).get(id)).json().userTask.logUrl).toBe(`logs/HadoopEco/view-task/${run}/`)
    })
  })

  describe('list rows', () => {
    it('carry exactly the seed summary keys (runningAt only once Running)', async () => {
      const rows = (await api(s).list('size=1000')).json().content as Json[]
      expect(rows.length).toBeGreaterThan(5)
      for (const r of rows) {
        expect(keysOf(r)).toEqual(SUMMARY_KEYS.filter((k) => k !== 'runningAt' || 'runningAt' in r).sort())
        expect(r.nodeCnt).toBe((r.masterCnt as number) + (r.workerCnt as number))
      }
      expect(rows.some((r) => 'runningAt' in r)).toBe(true)
      expect(rows.filter((r) => r.status === 'Initializing').every((r) => !('runningAt' in r))).toBe(true)
    })
  })
})
