import { afterEach, describe, expect, it } from 'vitest'
import { checkInvariants, formatInvariantReport } from '../../src/invariants.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, expectError } from './util.js'

/**
 * DESIGN section 11 over HTTP: a job cluster's key, its re-runs, and their requests, on the
 * database the run targets (both SQLite and PostgreSQL in CI).
 */
describe('job clusters: the Open API key and re-runs', () => {
  let s: TestServer
  afterEach(() => s.cleanup())

  const hive = { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'select 1' }
  const status = async (id: string) => (await api(s).get(id)).json().status as string
  const until = (id: string, want: (st: string) => boolean) =>
    s.runUntil(async () => want(await status(id)), { tick: 5000 })
  const keyPath = (id: string) => `${BASE}/${id}/api-key`
  const issue = (id: string, headers = s.headers) =>
    s.app.inject({ method: 'POST', url: keyPath(id), headers })
  const revoke = (id: string) => s.app.inject({ method: 'DELETE', url: keyPath(id), headers: s.headers })
  const rerun = (
    id: string,
    key: string | undefined,
    body: unknown = {},
    extra: Record<string, string> = {},
  ) =>
    s.app.inject({
      method: 'POST',
      url: `${BASE}/${id}`,
      headers: { ...s.headers, ...(key !== undefined ? { 'hadoop-eco-api-key': key } : {}), ...extra },
      payload: body as object,
    })
  const request = (id: string, key: string, requestId: string, query = '') =>
    s.app.inject({
      method: 'GET',
      url: `${BASE}/${id}/requests/${requestId}${query}`,
      headers: { ...s.headers, 'hadoop-eco-api-key': key },
    })
  /** A hadoop cluster with a hive task, run once to Terminated(UserCommand), with a key issued. */
  const jobCluster = async (name = 'nightly', task: object = hive, over: object = {}) => {
    const id = (await api(s).create(validBody({ name, userTask: task, ...over }))).json().id as string
    await until(id, (st) => st.startsWith('Terminated'))
    const res = await issue(id)
    expect(res.statusCode, res.body).toBe(201)
    return { id, key: res.json().apiKey as string }
  }
  const invariantsHold = async () => {
    const report = await checkInvariants(s.store.database.db)
    expect(report.ok, formatInvariantReport(report)).toBe(true)
  }

  it('issues a key only when apiKeyStatus is possible, shows it once, and revokes it', async () => {
    s = await startTestServer({ timeScale: 0 })
    const plain = (await api(s).create(validBody({ name: 'no-task' }))).json().id as string
    await until(plain, (st) => st === 'Running')
    expectError(await issue(plain), 409, 'API_KEY_NOT_POSSIBLE')

    const { id, key } = await jobCluster()
    expect(key).toMatch(/^hek_[A-Za-z0-9_-]{43}$/)
    expect((await api(s).get(id)).json().apiKeyStatus).toBe('applied')
    expect((await api(s).list('apiKeyStatus=applied')).json().totalElements).toBe(1)
    // Once applied, another issue is refused: the first key is never shown again.
    const again = expectError(await issue(id), 409, 'API_KEY_NOT_POSSIBLE')
    expect(JSON.stringify(again)).not.toContain(key)
    // Only its hash is stored.
    const rows = await s.store.database.db.selectFrom('api_keys').selectAll().execute()
    expect(rows).toHaveLength(1)
    expect(JSON.stringify(rows)).not.toContain(key)

    expect((await revoke(id)).statusCode).toBe(204)
    expect((await api(s).get(id)).json().apiKeyStatus).toBe('possible')
    expectError(await rerun(id, key), 403, 'API_KEY_INVALID')
    expect((await revoke(id)).statusCode).toBe(204)
    // Another project's credential sees no such cluster.
    expectError(await issue(id, s.otherHeaders), 404, 'CLUSTER_NOT_FOUND')
  })

  it('runs the same cluster again with overrides: new VMs, indexes continue, a request that ends Success', async () => {
    // Slow enough that each status is seen between two steps of the clock.
    s = await startTestServer({ timeScale: 0.01 })
    const { id, key } = await jobCluster()
    const first = (await api(s).get(id)).json()
    const vmRows = () =>
      s.store.database.db
        .selectFrom('vms')
        .select(['name', 'is_master', 'idx'])
        .where('cluster_id', '=', id)
        .execute()
    const firstVms = await vmRows()

    const res = await rerun(id, key, {
      workerCnt: 4,
      workerVolumeSize: 100,
      configHdfsReplication: 2,
      configHdfsBlockSize: 256,
      userTaskExecParams: '--date 2026-12-01',
      unknownField: 'ignored',
    })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(Object.keys(body)).toEqual(['clusterId', 'clusterName', 'requestId', 'clusterMainSettingValues'])
    expect(body).toMatchObject({ clusterId: id, clusterName: 'nightly' })
    expect(body.clusterMainSettingValues).toEqual({
      workerCnt: 4,
      workerVolumeSize: 100,
      configHdfsReplication: 2,
      configHdfsBlockSize: 256,
      jobType: 'hive',
      userTaskExecParams: '--date 2026-12-01',
    })
    // The answer commits with the new status; runningAt and terminatedAt describe the new run.
    const now = (await api(s).get(id)).json()
    expect(now.status).toBe('Initializing')
    expect(now.runningAt).toBeUndefined()
    expect(now.apiKeyStatus).toBe('applied')
    expect(now).toMatchObject({
      workerCnt: 4,
      workerInfo: [{ volumeSize: 100 }],
      config: { hdfsReplication: 2, hdfsBlockSize: 256 },
      userTask: { execParams: '--date 2026-12-01' },
    })
    const req = await request(id, key, body.requestId)
    expect(req.json()).toMatchObject({ requestId: body.requestId, requestStatus: 'Processing' })

    const seen = new Set<string>()
    await s.runUntil(
      async () => {
        const st = await status(id)
        seen.add(st)
        return st.startsWith('Terminated')
      },
      { tick: 2000 },
    )
    expect([...seen]).toEqual(expect.arrayContaining(['Creating', 'Installing', 'Running', 'Terminating']))
    const after = (await api(s).get(id)).json()
    expect(after.status).toBe('Terminated(UserCommand)')
    expect(after.runningAt).toBeGreaterThan(first.runningAt)
    expect(after.apiKeyStatus).toBe('applied')

    const done = (await request(id, key, body.requestId, '?verbose=true')).json()
    expect(done.requestStatus).toBe('Success')
    expect(done.requestResult).toMatch(/hive task run .* succeeded/)
    expect(done.clusterMeta).toEqual({
      cluster_name: 'nightly',
      cluster_type: 'hadoop',
      cluster_version: first.clusterVersion,
      master_vm: {
        flavor_name: first.masterInfo[0].flavorName,
        volume_size: first.masterInfo[0].volumeSize,
        count: 1,
      },
      worker_vm: { flavor_name: first.workerInfo[0].flavorName, volume_size: 100, count: 4 },
      user_cluster_exec_command: {
        type: 'hive',
        termination_policy: 'onSuccess',
        hive_query: 'select 1',
        exec_params: '--date 2026-12-01',
      },
    })
    expect(JSON.stringify(done)).not.toMatch(/userPw|user_pw|password/i)

    // New VMs, with indexes after the first run's; each name used once.
    const all = await vmRows()
    const names = all.map((v) => v.name)
    expect(new Set(names).size).toBe(names.length)
    expect(all.length).toBe(firstVms.length + 1 + 4)
    const maxFirstWorker = Math.max(...firstVms.filter((v) => v.is_master === 0).map((v) => v.idx))
    expect(names).toContain(`HadoopWRK-nightly-${maxFirstWorker + 4}`)
    expect(names).toContain('HadoopMST-nightly-2')
    // Two task runs, and events that tell the runs apart.
    expect(
      (await s.app.inject({ method: 'GET', url: `${BASE}/${id}/tasks`, headers: s.headers })).json()
        .totalElements,
    ).toBe(2)
    const events = (await api(s).events(id)).json().content as { reason: string; message: string }[]
    const rerunEvent = events.find((e) => e.reason === 'RERUN_REQUESTED')!
    expect(rerunEvent.message).toContain(`re-run 2 requested (request ${body.requestId})`)
    expect(rerunEvent.message).toContain('workerCnt 4')
    expect(events.some((e) => e.message === 'provisioning VMs for re-run 2')).toBe(true)

    const page = await s.app.inject({
      method: 'GET',
      url: `${BASE}/${id}/requests`,
      headers: { ...s.headers, 'hadoop-eco-api-key': key },
    })
    expect(page.json()).toMatchObject({
      totalElements: 1,
      content: [{ requestId: body.requestId, requestStatus: 'Success' }],
    })
    expect(page.json().content[0].clusterMeta).toBeUndefined()
    await invariantsHold()
  })

  it('says Fail when the run ends in error, and runs again after that', async () => {
    s = await startTestServer({ timeScale: 0 })
    const { id, key } = await jobCluster('flaky')
    await s.app.inject({
      method: 'POST',
      url: '/_admin/faults',
      headers: { authorization: 'Bearer test-admin-token' },
      payload: { match: { clusterName: 'flaky' }, fault: 'installFailure', times: 1 },
    })
    const r1 = (await rerun(id, key)).json().requestId as string
    await until(id, (st) => st.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(Error)')
    const failed = (await request(id, key, r1)).json()
    expect(failed.requestStatus).toBe('Fail')
    expect(failed.requestResult).toMatch(/Terminated\(Error\)/)
    // Terminated(Error) with a key: still applied, and it can run again.
    expect((await api(s).get(id)).json().apiKeyStatus).toBe('applied')
    const r2 = (await rerun(id, key)).json().requestId as string
    await until(id, (st) => st.startsWith('Terminated'))
    expect((await request(id, key, r2)).json().requestStatus).toBe('Success')
    await invariantsHold()

    // A job cluster whose re-run failed stays one: revoked, it can have a key again.
    await s.app.inject({
      method: 'POST',
      url: '/_admin/faults',
      headers: { authorization: 'Bearer test-admin-token' },
      payload: { match: { clusterName: 'flaky' }, fault: 'installFailure', times: 1 },
    })
    await rerun(id, key)
    await until(id, (st) => st.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(Error)')
    expect((await revoke(id)).statusCode).toBe(204)
    expect((await api(s).get(id)).json().apiKeyStatus).toBe('possible')
    expect((await issue(id)).statusCode).toBe(201)
    await invariantsHold()
  })

  it('refuses a missing key (401), a wrong key (403, counted), a busy cluster (409), bad overrides (400)', async () => {
    s = await startTestServer({ timeScale: 0, authFailureLimit: 3 })
    const { id, key } = await jobCluster('checked', {
      type: 'spark',
      // Its file is not there, so the task fails; `always` ends the cluster all the same.
      terminationPolicy: 'always',
      fileUrl: 'https://objectstorage.kr-central-2.kakaocloud.com/v1/default/jobs/app.jar',
      deployMode: 'cluster',
    })
    expect(await status(id)).toMatch(/^Terminated/)
    expectError(await rerun(id, undefined), 401, 'API_KEY_REQUIRED')
    expectError(await rerun('no-such-cluster', key), 404, 'CLUSTER_NOT_FOUND')

    const bad = expectError(
      await rerun(id, key, { workerCnt: 0, configHdfsBlockSize: 2000, userTaskDeployMode: 'yarn' }),
      400,
      'VALUE_OUT_OF_RANGE',
    )
    expect(bad.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      ['configHdfsBlockSize', 'userTaskDeployMode', 'workerCnt'].sort(),
    )
    expectError(
      await rerun(id, key, { workerCnt: 1, configHdfsReplication: 2 }),
      400,
      'WORKER_COUNT_BELOW_REPLICATION',
    )
    expectError(await rerun(id, key, { workerCnt: '3' }), 400, 'INVALID_TYPE')
    // Nothing moved.
    expect(await status(id)).toMatch(/^Terminated/)

    const ok = await rerun(id, key, { userTaskDeployMode: 'client' })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json().clusterMainSettingValues).toMatchObject({
      jobType: 'spark',
      userTaskDeployMode: 'client',
    })
    expectError(await rerun(id, key), 409, 'CLUSTER_BUSY')

    // Wrong keys count towards the address's failure limit, as wrong secrets do.
    for (let i = 0; i < 3; i++) expectError(await rerun(id, 'hek_wrong'), 403, 'API_KEY_INVALID')
    expectError(await rerun(id, key), 429, 'TOO_MANY_AUTH_FAILURES')
  })

  it('exactly one of 20 concurrent re-runs wins; an Idempotency-Key replays the first answer', async () => {
    s = await startTestServer({ timeScale: 0 })
    const { id, key } = await jobCluster('race')
    const answers = await Promise.all(Array.from({ length: 20 }, () => rerun(id, key, { workerCnt: 3 })))
    const codes = answers.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 200)).toHaveLength(1)
    expect(codes.filter((c) => c === 409)).toHaveLength(19)
    for (const r of answers.filter((a) => a.statusCode === 409)) expect(r.json().code).toBe('CLUSTER_BUSY')
    const requests = await s.store.jobRequests.list(id, 0, 100)
    expect(requests.total).toBe(1)
    await until(id, (st) => st.startsWith('Terminated'))

    const first = await rerun(id, key, { workerCnt: 5 }, { 'idempotency-key': 'nightly-2026-12-02' })
    expect(first.statusCode).toBe(200)
    const replay = await rerun(id, key, { workerCnt: 5 }, { 'idempotency-key': 'nightly-2026-12-02' })
    expect(replay.statusCode).toBe(200)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    expect(replay.json()).toEqual(first.json())
    expect((await s.store.jobRequests.list(id, 0, 100)).total).toBe(2)
    // A replay still needs the key.
    expectError(
      await rerun(id, 'hek_wrong', { workerCnt: 5 }, { 'idempotency-key': 'nightly-2026-12-02' }),
      403,
      'API_KEY_INVALID',
    )
    await until(id, (st) => st.startsWith('Terminated'))
    await invariantsHold()
  })

  it('refuses a re-run whose name a live cluster took meanwhile: 409 DUPLICATE_CLUSTER_NAME', async () => {
    s = await startTestServer({ timeScale: 0 })
    const { id, key } = await jobCluster('taken')
    const other = await api(s).create(validBody({ name: 'taken' }))
    expect(other.statusCode).toBe(200)
    expectError(await rerun(id, key), 409, 'DUPLICATE_CLUSTER_NAME')
    expect(await status(id)).toBe('Terminated(UserCommand)')
    expect((await s.store.jobRequests.list(id, 0, 10)).total).toBe(0)
  })

  it('a request of a run deleted by its user says Fail; unknown requests are 404', async () => {
    s = await startTestServer({ timeScale: 0.01 })
    const { id, key } = await jobCluster('deleted')
    const r = (await rerun(id, key)).json().requestId as string
    await s.step()
    expect(await status(id)).toBe('Creating')
    expect((await api(s).delete(id)).statusCode).toBe(200)
    await until(id, (st) => st.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(User)')
    const req = (await request(id, key, r)).json()
    expect(req).toMatchObject({ requestStatus: 'Fail' })
    expect(req.requestResult).toMatch(/deleted/)
    expectError(await request(id, key, 'no-such-request'), 404, 'REQUEST_NOT_FOUND')
    // No task run is left Pending or Running by the delete.
    const runs = (
      await s.app.inject({ method: 'GET', url: `${BASE}/${id}/tasks`, headers: s.headers })
    ).json().content as { status: string; reason?: string }[]
    expect(runs.every((r) => r.status === 'Succeeded' || r.status === 'Failed')).toBe(true)
    await invariantsHold()
  })
  it('accepts the bodiless POSTs generic clients send with a JSON content type', async () => {
    s = await startTestServer({ timeScale: 0 })
    const id = (await api(s).create(validBody({ name: 'bodiless', userTask: hive }))).json().id as string
    await until(id, (st) => st.startsWith('Terminated'))
    const json = { ...s.headers, 'content-type': 'application/json' }
    const issued = await s.app.inject({ method: 'POST', url: keyPath(id), headers: json })
    expect(issued.statusCode, issued.body).toBe(201)
    const key = issued.json().apiKey as string
    const res = await s.app.inject({
      method: 'POST',
      url: `${BASE}/${id}`,
      headers: { ...json, 'hadoop-eco-api-key': key },
    })
    expect(res.statusCode, res.body).toBe(200)
    // Other POSTs still need their body.
    const scale = await s.app.inject({ method: 'POST', url: `${BASE}/${id}/scale-out`, headers: json })
    expectError(scale, 400, 'INVALID_JSON')
  })
  it('replays an issued key to a retry with the same Idempotency-Key, and never logs a key', async () => {
    const lines: string[] = []
    const { Writable } = await import('node:stream')
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    s = await startTestServer({ timeScale: 0 }, { logStream: sink, logLevel: 'debug' })
    const id = (await api(s).create(validBody({ name: 'replayed', userTask: hive }))).json().id as string
    await until(id, (st) => st.startsWith('Terminated'))
    const headers = { ...s.headers, 'idempotency-key': 'issue-once' }
    const first = await s.app.inject({ method: 'POST', url: keyPath(id), headers })
    const again = await s.app.inject({ method: 'POST', url: keyPath(id), headers })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    const key = first.json().apiKey as string
    expect(again.json().apiKey).toBe(key)
    await rerun(id, key, { userTaskDeployMode: 'cluster' })
    expect(lines.join('')).toContain('hadoop-eco-api-key')
    expect(lines.join('')).not.toContain(key)
  })
})
