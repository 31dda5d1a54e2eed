import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { parseAllDocuments } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { loadConfig } from '../../src/config.js'
import { api, BASE, expectError } from '../api/util.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { FakeKubeApi, type RecordedRequest } from './fake-api-server.js'

const LABEL = 'hadoop-eco.io/cluster-id'
const KINDS = ['Pod', 'PersistentVolumeClaim', 'Service', 'ConfigMap', 'Secret', 'Job'] as const

interface WireVm {
  name: string
  instanceId: string
  status: string
  ip: string
  isMaster: boolean
}

/**
 * DESIGN section 12 end to end: API requests to a server whose provider is Kubernetes, against
 * an in-process API server (test/kubernetes/fake-api-server.ts) that moves pods and Jobs
 * through their phases on the test's clock. Pods are Pending 1 s, Running 2 s before they are
 * Ready, Terminating 0.5 s; Jobs run 3 s.
 */
describe('the Kubernetes provider, driven through the API against a fake API server', () => {
  let s: TestServer
  let fake: FakeKubeApi
  beforeEach(async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 9))
    fake = await new FakeKubeApi(clock).start()
    s = await startTestServer(
      {
        provider: 'kubernetes',
        kubernetes: { ...loadConfig({}).kubernetes, resourceScale: 0.05, pollMs: 1000 },
        providerTimeoutMs: 300,
      },
      { clock, kubeConfig: fake.kubeConfig() },
    )
  })
  afterEach(async () => {
    await s.cleanup()
    await fake.stop()
  })

  const create = async (over: Record<string, unknown> = {}) => {
    const res = await api(s).create(
      validBody({ workerCnt: 2, config: { hdfsReplication: 2, hdfsBlockSize: 128 }, ...over }),
    )
    expect(res.statusCode, res.body).toBe(200)
    return res.json().id as string
  }
  const get = async (id: string) => (await api(s).get(id)).json() as Record<string, unknown>
  const status = async (id: string) => (await get(id)).status as string
  const vms = async (id: string) =>
    (await api(s).vms(id, 'size=100&sort=name,asc')).json().content as WireVm[]
  const events = async (id: string) =>
    (await api(s).events(id)).json().content as { reason: string; message: string; toStatus?: string }[]
  const until = (id: string, done: (status: string) => boolean, maxMs = 600_000) =>
    s.runUntil(async () => done(await status(id)), { tick: 500, maxMs })
  const owned = (id: string) =>
    KINDS.flatMap((k) =>
      fake.all(k).filter((o) => o.metadata.labels?.[LABEL] === id || o.metadata.name.includes(id)),
    )
  const applies = () => fake.requests.filter((r) => r.method === 'PATCH')

  it('takes a request to Running on real objects: the wire shows pod IPs, pod UIDs and UI URLs on the first master', async () => {
    const id = await create({ name: 'kube' })
    await s.step()
    expect(await status(id)).toBe('Creating')
    const pods = fake.all('Pod')
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([
      'hadoopmst-kube-1',
      'hadoopwrk-kube-1',
      'hadoopwrk-kube-2',
    ])
    for (const p of pods) {
      expect(p.metadata.labels).toMatchObject({ [LABEL]: id, 'hadoop-eco.io/index': expect.any(String) })
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ConfigMap', name: `hde-${id}-owner` })
    }
    expect(
      fake
        .all('PersistentVolumeClaim')
        .map((c) => c.metadata.name)
        .sort(),
    ).toEqual(['hadoopmst-kube-1-data', 'hadoopwrk-kube-1-data', 'hadoopwrk-kube-2-data'])
    expect(fake.find('Service', `hde-${id}`)).toBeDefined()
    expect(fake.find('Secret', `hde-${id}-secrets`)).toBeDefined()
    const master = fake.find('ConfigMap', `hde-${id}-master`)!
    expect(Object.keys(master.data as object)).toContain('core-site.xml')
    expect((master.data as Record<string, string>)['core-site.xml']).toContain('hdfs://hadoopmst-kube-1:8020')
    // Every write is a server-side apply by hadoop-eco; nothing ever execs into a pod.
    expect(applies().length).toBeGreaterThan(0)
    for (const r of applies()) {
      expect(r.contentType).toBe('application/apply-patch+yaml')
      expect(r.query.get('fieldManager')).toBe('hadoop-eco')
    }
    expect(fake.requests.some((r) => r.path.endsWith('/exec'))).toBe(false)
    // Pending pods: VMs are Creating, with no address yet.
    expect((await vms(id)).map((v) => [v.status, v.ip])).toEqual([
      ['Creating', ''],
      ['Creating', ''],
      ['Creating', ''],
    ])

    await s.step(1000)
    expect(await status(id)).toBe('Installing')
    let list = await vms(id)
    expect(new Set(list.map((v) => v.status))).toEqual(new Set(['Installing']))
    for (const v of list) {
      const pod = fake.find('Pod', v.name.toLowerCase())!
      expect(v.ip).toBe((pod.status as { podIP: string }).podIP)
      expect(v.instanceId).toBe(pod.metadata.uid)
    }

    // Ready 2 s after Running: every daemon's readiness probe.
    await s.step(1000)
    expect(await status(id)).toBe('Installing')
    await s.step(1000)
    const c = await get(id)
    expect(c.status).toBe('Running')
    list = await vms(id)
    expect(new Set(list.map((v) => v.status))).toEqual(new Set(['Running']))
    const masterIp = list.find((v) => v.isMaster)!.ip
    expect(masterIp).toMatch(/^10\.244\.\d+\.\d+$/)
    expect(c).toMatchObject({
      nameNodeUrl: `http://${masterIp}:9870`,
      resourceManagerUrl: `http://${masterIp}:8088`,
    })
    expect((await events(id)).filter((e) => e.toStatus).map((e) => e.toStatus)).toEqual([
      'Initializing',
      'Creating',
      'Installing',
      'Running',
    ])
  })

  it('scales out with a new pod, and scales in by a decommission Job whose success comes before the pod goes', async () => {
    const id = await create({ name: 'scale' })
    await until(id, (x) => x === 'Running')
    expect((await api(s).scale(id, 'out', 1)).statusCode).toBe(200)
    await s.step()
    expect(fake.find('Pod', 'hadoopwrk-scale-3')).toBeDefined()
    await until(id, (x) => x === 'Running')
    expect((await vms(id)).map((v) => [v.name, v.status])).toContainEqual(['HadoopWRK-scale-3', 'Running'])

    expect((await api(s).scale(id, 'in', 1)).statusCode).toBe(200)
    await s.step()
    const exclude = fake.find('ConfigMap', `hde-${id}-exclude`)!
    expect((exclude.data as Record<string, string>)['dfs.exclude']).toBe(
      `hadoopwrk-scale-3.hde-${id}.hadoop-eco.svc.cluster.local\n`,
    )
    const job = fake.all('Job').find((j) => j.metadata.name.startsWith(`hde-${id}-decom-`))!
    expect(job).toBeDefined()
    expect(JSON.stringify(job.spec)).toContain('hdfs dfsadmin -refreshNodes')
    // Until the Job succeeds, the worker's pod stays.
    await s.step(2000)
    expect(fake.find('Pod', 'hadoopwrk-scale-3')?.metadata.deletionTimestamp).toBeUndefined()
    expect((await vms(id)).find((v) => v.name === 'HadoopWRK-scale-3')?.status).toBe('Decommissioning')
    await until(id, (x) => x === 'Running')
    expect(fake.find('Pod', 'hadoopwrk-scale-3')).toBeUndefined()
    expect(fake.find('PersistentVolumeClaim', 'hadoopwrk-scale-3-data')).toBeUndefined()
    expect((await vms(id)).map((v) => v.name)).toEqual([
      'HadoopMST-scale-1',
      'HadoopWRK-scale-1',
      'HadoopWRK-scale-2',
    ])
    expect((await events(id)).map((e) => e.reason)).toContain('SCALE_IN_DONE')
  })

  it('drains again with a new Job when a decommission Job fails, and only then deletes the worker', async () => {
    const jobDeleted = () => fake.requests.some((r) => r.method === 'DELETE' && r.path.includes('/jobs/'))
    fake.failJob = (name) => name.includes('-decom-') && !jobDeleted()
    fake.jobLog = () => 'waiting for: hadoopwrk-drain-3\n'
    const id = await create({ name: 'drain', workerCnt: 3 })
    await until(id, (x) => x === 'Running')
    expect((await api(s).scale(id, 'in', 1)).statusCode).toBe(200)
    await s.runUntil(async () => jobDeleted(), { tick: 500, maxMs: 60_000 })
    // The failed drain left the worker in place.
    expect(fake.find('Pod', 'hadoopwrk-drain-3')?.metadata.deletionTimestamp).toBeUndefined()
    await until(id, (x) => x === 'Running')
    expect(fake.find('Pod', 'hadoopwrk-drain-3')).toBeUndefined()
    const decoms = fake.requests.filter(
      (r) => r.method === 'PATCH' && r.path.includes('/jobs/') && r.status === 201,
    )
    expect(decoms).toHaveLength(2)
    expect((await events(id)).map((e) => e.reason)).toContain('SCALE_IN_DONE')
  })

  it('replaces a replacement that vanishes too before it rejoins', async () => {
    const id = await create({ name: 'twice' })
    await until(id, (x) => x === 'Running')
    const lostEvents = async () => (await events(id)).filter((e) => e.reason === 'VM_LOST').length
    fake.remove('Pod', 'hadoopwrk-twice-1')
    await s.runUntil(async () => (await lostEvents()) === 1, { tick: 1000, maxMs: 120_000 })
    // The replacement is still Creating (its pod Pending) when it goes as well.
    expect((await vms(id)).find((v) => v.name === 'HadoopWRK-twice-1')?.status).toBe('Creating')
    const second = fake.find('Pod', 'hadoopwrk-twice-1')!.metadata.uid
    fake.remove('Pod', 'hadoopwrk-twice-1')
    await s.runUntil(async () => (await events(id)).some((e) => e.reason === 'VM_RECOVERED'), { tick: 500 })
    expect(await lostEvents()).toBe(2)
    const vm = (await vms(id)).find((v) => v.name === 'HadoopWRK-twice-1')!
    expect(vm.status).toBe('Running')
    expect(vm.instanceId).toBe(fake.find('Pod', 'hadoopwrk-twice-1')!.metadata.uid)
    expect(vm.instanceId).not.toBe(second)
  })

  it('does not record a replacement the provider refused: the config file is gone, the cluster ends naming it', async () => {
    const url = 'https://objectstorage.kr-central-2.kakaocloud.com/v1/proj-a/conf/gone.json'
    await s.objects.put(
      'proj-a',
      'conf',
      'gone.json',
      Readable.from([JSON.stringify({ configurations: [] })]),
    )
    const id = await create({
      name: 'nofix',
      config: { hdfsReplication: 2, hdfsBlockSize: 128, configFileUrl: url },
    })
    await until(id, (x) => x === 'Running')
    await s.objects.delete('proj-a', 'conf', 'gone.json')
    fake.remove('Pod', 'hadoopwrk-nofix-1')
    await until(id, (x) => x.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(Error)')
    const e = (await events(id)).find((x) => x.reason === 'PROVIDER_ERROR')!
    expect(e.message).toContain(`createVm HadoopWRK-nofix-1 failed`)
    expect(e.message).toContain(`config file ${url} not found`)
    // No VM row ever held an instance that does not exist.
    expect((await events(id)).some((x) => x.reason === 'VM_LOST')).toBe(false)
  })

  it('replaces an evicted pod (phase Failed) in place: deleted, then made again', async () => {
    const id = await create({ name: 'evict' })
    await until(id, (x) => x === 'Running')
    const before = (await vms(id)).find((v) => v.name === 'HadoopWRK-evict-1')!
    fake.podStatus.set('hadoopwrk-evict-1', { phase: 'Failed', reason: 'Evicted', message: 'low on memory' })
    const deleted = () =>
      fake.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/pods/hadoopwrk-evict-1'))
    await s.runUntil(async () => deleted(), { tick: 1000, maxMs: 120_000 })
    fake.podStatus.delete('hadoopwrk-evict-1')
    await s.runUntil(async () => (await events(id)).some((e) => e.reason === 'VM_RECOVERED'), { tick: 500 })
    const after = (await vms(id)).find((v) => v.name === 'HadoopWRK-evict-1')!
    expect(after.status).toBe('Running')
    expect(after.instanceId).toBe(fake.find('Pod', 'hadoopwrk-evict-1')!.metadata.uid)
    expect(after.instanceId).not.toBe(before.instanceId)
    expect(await status(id)).toBe('Running')
  })

  it('fails a started run whose Job was deleted behind its back, rather than running the task twice', async () => {
    fake.timings.jobRunMs = 60_000
    const id = await create({
      name: 'lostjob',
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'insert into t values (1)' },
    })
    await until(id, (x) => x === 'Running')
    const tasks = async () =>
      (await s.app.inject({ url: `${BASE}/${id}/tasks`, headers: s.headers })).json().content as Record<
        string,
        unknown
      >[]
    await s.runUntil(async () => (await tasks())[0]?.status === 'Running', { tick: 500, maxMs: 30_000 })
    const job = fake.all('Job').find((j) => j.metadata.name.startsWith(`hde-${id}-task-`))!
    expect(fake.remove('Job', job.metadata.name)).toBe(true)
    await s.runUntil(async () => (await tasks())[0]?.status === 'Failed', { tick: 500, maxMs: 30_000 })
    expect((await tasks())[0]).toMatchObject({ reason: 'TASK_FAILED' })
    expect((await tasks())[0]!.message).toContain('was deleted before its outcome was seen')
    expect(fake.all('Job').filter((j) => j.metadata.name.includes('-task-'))).toEqual([])
  })

  it('runs the userTask as a Job and copies its log to Object Storage', async () => {
    fake.jobLog = (job) =>
      `Connecting to jdbc:hive2://...\n+------+\n| _c0  |\n| 42   |\n(job ${job.metadata.name})\n`
    const id = await create({
      name: 'task',
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 42', logBucketName: 'logs' },
    })
    await until(id, (x) => x === 'Running')
    const job = fake.all('Job').find((j) => j.metadata.name.startsWith(`hde-${id}-task-`))!
    expect(job).toBeDefined()
    expect(JSON.stringify(job.spec)).toContain('beeline')
    await s.runUntil(
      async () =>
        ((await s.app.inject({ url: `${BASE}/${id}/tasks`, headers: s.headers })).json().content[0]
          ?.status as string) === 'Succeeded',
      { tick: 500, maxMs: 60_000 },
    )
    const run = (await s.app.inject({ url: `${BASE}/${id}/tasks`, headers: s.headers })).json().content[0]
    expect(run).toMatchObject({ status: 'Succeeded', exitCode: 0 })
    const stored = await s.objects.get('proj-a', 'logs', `HadoopEco/task/${run.id as string}/task.log`)
    const chunks: Buffer[] = []
    for await (const c of stored!.body) chunks.push(Buffer.from(c as Uint8Array))
    expect(Buffer.concat(chunks).toString('utf8')).toBe(fake.jobLog(job))
  })

  it('reports a failed task Job with its exit code and ends the cluster as the policy says', async () => {
    fake.failJob = (name) => name.includes('-task-')
    fake.jobLog = () => 'Error: Table not found: nope\n'
    const id = await create({
      name: 'badtask',
      userTask: { type: 'hive', terminationPolicy: 'always', hiveQuery: 'select * from nope' },
    })
    await until(id, (x) => x.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(UserCommand)')
    const run = (await s.app.inject({ url: `${BASE}/${id}/tasks`, headers: s.headers })).json().content[0]
    expect(run).toMatchObject({ status: 'Failed', exitCode: 2, reason: 'TASK_FAILED' })
    const log = await s.app.inject({ url: `${BASE}/${id}/tasks/${run.id as string}/log`, headers: s.headers })
    expect(log.body).toBe('Error: Table not found: nope\n')
    expect(owned(id)).toEqual([])
  })

  it('deletes a cluster: every object it owns is gone, the owner last', async () => {
    const id = await create({ name: 'gone' })
    await until(id, (x) => x === 'Running')
    expect(owned(id).length).toBeGreaterThan(5)
    expect((await api(s).delete(id)).statusCode).toBe(200)
    await s.step()
    expect(await status(id)).toBe('Terminating')
    expect(fake.all('Pod').every((p) => p.metadata.deletionTimestamp)).toBe(true)
    expect(fake.find('ConfigMap', `hde-${id}-owner`)).toBeDefined()
    await until(id, (x) => x.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(User)')
    expect(owned(id)).toEqual([])
    expect(await vms(id)).toEqual([])
    // The owner goes once the pods are gone: its delete comes after every pod's.
    const deletes = fake.requests.filter((r) => r.method === 'DELETE')
    const ownerAt = deletes.findIndex((r) => r.path.endsWith(`/configmaps/hde-${id}-owner`))
    expect(ownerAt).toBeGreaterThan(Math.max(...deletes.map((r, i) => (r.path.includes('/pods/') ? i : -1))))
    expect(deletes.filter((r) => r.path.includes('/pods/'))).toHaveLength(3)
  })

  it('brings back a pod deleted behind its back, with a new instance id, and says so', async () => {
    const id = await create({ name: 'heal' })
    await until(id, (x) => x === 'Running')
    const before = (await vms(id)).find((v) => v.name === 'HadoopWRK-heal-2')!
    expect(fake.remove('Pod', 'hadoopwrk-heal-2')).toBe(true)
    await s.runUntil(async () => (await events(id)).some((e) => e.reason === 'VM_RECOVERED'), {
      tick: 1000,
      maxMs: 120_000,
    })
    const after = (await vms(id)).find((v) => v.name === 'HadoopWRK-heal-2')!
    const pod = fake.find('Pod', 'hadoopwrk-heal-2')!
    expect(after).toMatchObject({ status: 'Running', instanceId: pod.metadata.uid })
    expect(after.instanceId).not.toBe(before.instanceId)
    expect(after.ip).toBe((pod.status as { podIP: string }).podIP)
    const lost = (await events(id)).find((e) => e.reason === 'VM_LOST')!
    expect(lost.message).toContain(before.instanceId)
    expect(await status(id)).toBe('Running')
  })

  it('rides out an API server that answers 409, 500 or hangs, and reaches Running all the same', async () => {
    const podApply = (r: RecordedRequest) => r.method === 'PATCH' && r.path.includes('/pods/')
    fake.inject(podApply, { status: 409 })
    fake.inject((r) => r.method === 'GET' && r.path.endsWith('/pods'), { status: 500 }, 2)
    fake.inject((r) => r.method === 'GET' && r.path.includes('/pods/hadoopmst'), { hang: true })
    const id = await create({ name: 'flaky' })
    await until(id, (x) => x === 'Running' || x.startsWith('Terminated'), 120_000)
    expect(await status(id)).toBe('Running')
    expect(fake.unusedFaults()).toBe(0)
    expect(fake.all('Pod')).toHaveLength(3)
    // Retried, not duplicated: each pod created once (201), whatever was asked again.
    expect(fake.requests.filter((r) => podApply(r) && r.status === 201)).toHaveLength(3)
    expect(fake.requests.some((r) => r.method === 'DELETE')).toBe(false)
  })

  it('ends the cluster on a 422 (the API server refuses the object) with PROVIDER_ERROR naming the call', async () => {
    fake.inject((r) => r.method === 'PATCH' && r.path.includes('/persistentvolumeclaims/'), { status: 422 })
    const id = await create({ name: 'refused' })
    await until(id, (x) => x.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(Error)')
    const e = (await events(id)).find((x) => x.reason === 'PROVIDER_ERROR')!
    expect(e.message).toMatch(/createVm .*422/)
    expect(owned(id)).toEqual([])
  })

  it('fails the install when a daemon keeps crashing, naming it', async () => {
    fake.podStatus.set('hadoopwrk-crash-1', {
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        {
          name: 'datanode',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1 } },
        },
      ],
    })
    const id = await create({ name: 'crash' })
    await until(id, (x) => x.startsWith('Terminated'))
    const e = (await events(id)).find((x) => x.toStatus === 'Terminating')!
    expect(e).toMatchObject({ reason: 'INSTALL_FAILED' })
    expect(e.message).toContain(
      'daemon datanode on HadoopWRK-crash-1 keeps failing (5 restarts, last exit code 1)',
    )
  })

  it('reads the config file from Object Storage for the ConfigMaps, and fails as the simulator does when it is missing', async () => {
    const url = 'https://objectstorage.kr-central-2.kakaocloud.com/v1/proj-a/conf/site.json'
    const missing = await create({
      name: 'nofile',
      config: { hdfsReplication: 2, hdfsBlockSize: 128, configFileUrl: url },
    })
    await until(missing, (x) => x.startsWith('Terminated'))
    expect((await events(missing)).find((x) => x.toStatus === 'Terminating')).toMatchObject({
      reason: 'CONFIG_FILE_NOT_FOUND',
      message: `config file ${url} not found`,
    })
    expect(owned(missing)).toEqual([])

    const doc = {
      configurations: [{ classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } }],
    }
    await s.objects.put('proj-a', 'conf', 'site.json', Readable.from([JSON.stringify(doc)]))
    const id = await create({
      name: 'withfile',
      config: { hdfsReplication: 2, hdfsBlockSize: 128, configFileUrl: url },
    })
    await until(id, (x) => x === 'Running')
    const master = fake.find('ConfigMap', `hde-${id}-master`)!
    expect((master.data as Record<string, string>)['core-site.xml']).toContain('65536')
  })

  it('refuses at create what it cannot run: other types and hde-1.x', async () => {
    expectError(await api(s).create(validBody({ clusterType: 'hbase' })), 400, 'CLUSTER_TYPE_NOT_SUPPORTED')
    expectError(
      await api(s).create(validBody({ clusterVersion: 'hde-1.1.2' })),
      400,
      'CLUSTER_VERSION_NOT_SUPPORTED',
    )
    // Nothing was recorded, nothing applied.
    expect((await api(s).list()).json().content).toEqual([])
    expect(applies()).toEqual([])
  })

  it('asks the API server for exactly what deploy/kubernetes/rbac.yaml grants, over a whole life', async () => {
    const id = await create({
      name: 'life',
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1' },
    })
    await until(id, (x) => x === 'Running')
    await s.runUntil(
      async () =>
        (await s.app.inject({ url: `${BASE}/${id}/tasks`, headers: s.headers })).json().content[0]?.status ===
        'Succeeded',
      { tick: 500, maxMs: 60_000 },
    )
    fake.remove('Pod', 'hadoopwrk-life-1')
    await s.runUntil(async () => (await events(id)).some((e) => e.reason === 'VM_RECOVERED'), { tick: 1000 })
    // Evicted: deleted by the provider, then made again.
    fake.podStatus.set('hadoopwrk-life-2', { phase: 'Failed', reason: 'Evicted' })
    await s.runUntil(
      async () =>
        fake.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/pods/hadoopwrk-life-2')),
      { tick: 1000 },
    )
    fake.podStatus.delete('hadoopwrk-life-2')
    await s.runUntil(async () => (await events(id)).filter((e) => e.reason === 'VM_RECOVERED').length === 2, {
      tick: 1000,
    })
    await api(s).scale(id, 'out', 1)
    await until(id, (x) => x === 'Running')
    // The first decommission Job fails and makes way for a second.
    const jobDeleted = () => fake.requests.some((r) => r.method === 'DELETE' && r.path.includes('/jobs/'))
    fake.failJob = (name) => name.includes('-decom-') && !jobDeleted()
    await api(s).scale(id, 'in', 1)
    await until(id, (x) => x === 'Running')
    expect(jobDeleted()).toBe(true)
    await api(s).delete(id)
    await until(id, (x) => x.startsWith('Terminated'))

    const used = new Map<string, Set<string>>()
    for (const r of fake.requests) {
      const m = /^\/(?:api\/v1|apis\/batch\/v1)\/namespaces\/[^/]+\/([^/]+)(\/[^/]+)?(\/log)?$/.exec(r.path)
      if (!m) continue // discovery: every authenticated user may read it
      const resource = m[3] ? `${m[1]}/log` : m[1]!
      const named = m[2] !== undefined
      // A server-side apply creates what does not exist yet: it needs both verbs.
      const verbs =
        r.method === 'PATCH'
          ? ['create', 'patch']
          : r.method === 'DELETE'
            ? ['delete']
            : [named ? 'get' : 'list']
      for (const v of verbs) used.set(resource, new Set([...(used.get(resource) ?? []), v]))
    }
    const role = parseAllDocuments(
      readFileSync(new URL('../../deploy/kubernetes/rbac.yaml', import.meta.url), 'utf8'),
    )
      .map((d) => d.toJS() as { kind: string; rules?: { resources: string[]; verbs: string[] }[] })
      .find((d) => d.kind === 'Role')!
    const granted = new Map<string, Set<string>>()
    for (const rule of role.rules!)
      for (const res of rule.resources)
        granted.set(res, new Set([...(granted.get(res) ?? []), ...rule.verbs]))
    const sorted = (m: Map<string, Set<string>>) =>
      Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]))
    expect(sorted(used)).toEqual(sorted(granted))
  })
})
