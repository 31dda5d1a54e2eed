import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { MAX_CONFIG_FILE_BYTES } from '../../src/domain/config-text.js'
import { api, BASE } from '../api/util.js'
import { ADMIN_TOKEN, fixture, startTestServer, validBody, type TestServer } from '../helpers.js'

const URL_BASE = 'https://objectstorage.kr-central-2.kakaocloud.com/v1/any-project/my-bucket'
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/**
 * DESIGN sections 8 and 10 through the API: the files a cluster needs are read when it needs
 * them (from Object Storage, in its own project), and each run of its userTask is a record with
 * a log, written to the log bucket when there is one and kept by the server otherwise.
 */
describe('files used when they are needed, and task runs', () => {
  let s: TestServer
  beforeEach(async () => {
    s = await startTestServer()
  })
  afterEach(() => s.cleanup())

  const put = (key: string, text: string, project = 'proj-a', bucket = 'my-bucket') =>
    s.objects.put(project, bucket, key, Readable.from([text]))
  const status = async (id: string) => (await api(s).get(id)).json().status as string
  const events = async (id: string) =>
    (await api(s).events(id)).json().content as { reason: string; message: string; toStatus?: string }[]
  const tasks = async (id: string) =>
    (await s.app.inject({ url: `${BASE}/${id}/tasks`, headers: s.headers })).json() as {
      content: Record<string, unknown>[]
      totalElements: number
    }
  const log = (id: string, run: string, headers = s.headers) =>
    s.app.inject({ url: `${BASE}/${id}/tasks/${run}/log`, headers })
  const create = async (over: Record<string, unknown>) => {
    const res = await api(s).create(validBody(over))
    expect(res.statusCode, res.body).toBe(200)
    return res.json().id as string
  }
  const until = (id: string, done: (status: string) => boolean) =>
    s.runUntil(async () => done(await status(id)), { tick: 10_000 })

  it('runs a hive query, records the run and keeps its log when there is no log bucket', async () => {
    const id = await create({
      name: 'hive-q',
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: "select 'it''s' from t" },
    })
    await until(id, (x) => x === 'Running')
    let page = await tasks(id)
    expect(page.totalElements).toBe(1)
    const run = page.content[0]!
    expect(run).toMatchObject({ type: 'hive', status: 'Running' })
    expect(run.startedAt).toEqual(expect.any(Number))
    expect(run.logUrl).toBeUndefined()
    const runId = run.id as string
    // While running, the log has the command line, not yet the outcome.
    let text = (await log(id, runId)).body
    expect(text).toContain(
      "beeline -u jdbc:hive2://hadoopmst-hive-q-1:10000/default -e 'select '\\''it'\\'''\\''s'\\'' from t'",
    )
    expect(text).not.toContain('exit code')
    await s.step(30_000)
    page = await tasks(id)
    expect(page.content[0]).toMatchObject({ id: runId, status: 'Succeeded', exitCode: 0 })
    expect(page.content[0]!.reason).toBeUndefined()
    const res = await log(id, runId)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    text = res.body
    expect(text).toMatch(/Completed in 30\.0 s; exit code 0\n$/)
    expect(await status(id)).toBe('Running')
    expect((await events(id)).map((e) => e.reason)).toContain('TASK_SUCCEEDED')
    // Another project sees neither the runs nor the log.
    expect((await s.app.inject({ url: `${BASE}/${id}/tasks`, headers: s.otherHeaders })).statusCode).toBe(404)
    expect((await log(id, runId, s.otherHeaders)).statusCode).toBe(404)
    expect((await log(id, 'no-such-run')).json().code).toBe('TASK_RUN_NOT_FOUND')
  })

  it('writes the log under {logBucketName}/HadoopEco/{cluster}/{run}/task.log, and logUrl points there', async () => {
    await put('jars/spark-examples.jar', 'PK fake jar')
    const spec = await fixture('create-example-2.json')
    const created = await api(s).create({
      ...spec,
      config: { hdfsReplication: 3, hdfsBlockSize: 128 },
      userTask: { ...(spec.userTask as object), fileUrl: `${URL_BASE}/jars/spark-examples.jar` },
    })
    expect(created.statusCode, created.body).toBe(200)
    const id = created.json().id as string
    await until(id, (x) => x.startsWith('Terminated'))
    expect(await status(id)).toBe('Terminated(UserCommand)')
    const [run] = (await tasks(id)).content
    const key = `HadoopEco/spark-job-cluster/${run!.id as string}/task.log`
    expect(run).toMatchObject({ status: 'Succeeded', exitCode: 0, logUrl: `user-bucket/${key}` })
    const stored = await s.objects.get('proj-a', 'user-bucket', key)
    expect(stored).toBeDefined()
    const chunks: Buffer[] = []
    for await (const c of stored!.body) chunks.push(Buffer.from(c as Uint8Array))
    const text = Buffer.concat(chunks).toString('utf8')
    expect(text).toContain(
      `spark-submit --master yarn --deploy-mode cluster --class org.apache.spark.examples.SparkPi --master yarn ${URL_BASE}/jars/spark-examples.jar`,
    )
    expect((await log(id, run!.id as string)).body).toBe(text)
    expect((await api(s).get(id)).json().userTask.logUrl).toBe(
      `user-bucket/HadoopEco/spark-job-cluster/${run!.id as string}/`,
    )
  })

  it("ends the seed's example 2 in Terminated(Error) as sent, and runs it to its end once its two files are uploaded", async () => {
    const spec = await fixture('create-example-2.json')
    const first = (await api(s).create(spec)).json().id as string
    await until(first, (x) => x.startsWith('Terminated'))
    expect(await status(first)).toBe('Terminated(Error)')
    expect((await events(first)).find((e) => e.toStatus === 'Terminating')).toMatchObject({
      reason: 'USER_SCRIPT_NOT_FOUND',
      message:
        'user script https://objectstorage.kr-central-2.kakaocloud.com/v1/my-project/my-bucket/scripts/user-script.sh not found',
    })
    // The README's two uploads (the URLs' project segment is not checked: proj-a is the caller's).
    await put('scripts/user-script.sh', '#!/bin/sh\necho "node ready"\n')
    await put('jars/spark-examples.jar', 'PK')
    const again = (await api(s).create(spec)).json().id as string
    await until(again, (x) => x.startsWith('Terminated'))
    expect(await status(again)).toBe('Terminated(UserCommand)')
    expect((await tasks(again)).content[0]).toMatchObject({ status: 'Succeeded', exitCode: 0 })
  })

  it('fails a run whose task file is missing with TASK_FILE_NOT_FOUND, and applies the termination policy', async () => {
    const url = `${URL_BASE}/queries/missing.sql`
    const keep = await create({
      name: 'keep',
      userTask: { type: 'hive', terminationPolicy: 'onSuccess', fileUrl: url },
    })
    const end = await create({
      name: 'end',
      userTask: { type: 'hive', terminationPolicy: 'always', fileUrl: url },
    })
    await until(keep, (x) => x === 'Running')
    await until(end, (x) => x.startsWith('Terminated'))
    await s.step(60_000)
    for (const id of [keep, end]) {
      const [run] = (await tasks(id)).content
      expect(run).toMatchObject({
        status: 'Failed',
        reason: 'TASK_FILE_NOT_FOUND',
        message: `task file ${url} not found`,
      })
      // It never started: no start time, no exit code.
      expect(run!.startedAt).toBeUndefined()
      expect(run!.exitCode).toBeUndefined()
      expect((await log(id, run!.id as string)).body).toContain(
        `task file ${url} not found; the task did not start`,
      )
    }
    expect(await status(keep)).toBe('Running')
    expect(await status(end)).toBe('Terminated(UserCommand)')
    const reasons = (await events(end)).map((e) => e.reason)
    expect(reasons).toContain('TASK_FILE_NOT_FOUND')
    expect(reasons).not.toContain('TASK_STARTED')
  })

  it('resolves a task file in the cluster own project only', async () => {
    await put('queries/q.sql', 'select 1', 'proj-b')
    const id = await create({
      name: 'other-proj',
      userTask: { type: 'hive', terminationPolicy: 'always', fileUrl: `${URL_BASE}/queries/q.sql` },
    })
    await until(id, (x) => x.startsWith('Terminated'))
    expect((await tasks(id)).content[0]).toMatchObject({ reason: 'TASK_FILE_NOT_FOUND' })
    await put('queries/q.sql', 'select 1')
    const ok = await create({
      name: 'own-proj',
      userTask: { type: 'hive', terminationPolicy: 'always', fileUrl: `${URL_BASE}/queries/q.sql` },
    })
    await until(ok, (x) => x.startsWith('Terminated'))
    expect((await tasks(ok)).content[0]).toMatchObject({ status: 'Succeeded', exitCode: 0 })
  })

  it('says an injected task failure was injected, with exit code 1', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/_admin/faults',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { match: { clusterName: 'flaky-*' }, fault: 'taskFailure' },
    })
    expect(res.statusCode).toBe(201)
    const id = await create({
      name: 'flaky-1',
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1' },
    })
    await until(id, (x) => x === 'Running')
    await s.step(30_000)
    const [run] = (await tasks(id)).content
    expect(run).toMatchObject({
      status: 'Failed',
      reason: 'TASK_FAILED',
      exitCode: 1,
      message: 'hive task failed (injected fault)',
    })
  })

  it('ends in Terminated(Error) when the config file or the user script is missing, or the config file is wrong', async () => {
    await put('conf/bad.json', '{"configurations": "nope"}')
    // Over the 1 MiB a config file may have: refused without being read whole.
    await put(
      'conf/huge.json',
      JSON.stringify({ configurations: [], pad: 'x'.repeat(MAX_CONFIG_FILE_BYTES) }),
    )
    const cases = {
      'no-conf': {
        config: { hdfsReplication: 2, hdfsBlockSize: 128, configFileUrl: `${URL_BASE}/conf/missing.json` },
      },
      'bad-conf': {
        config: { hdfsReplication: 2, hdfsBlockSize: 128, configFileUrl: `${URL_BASE}/conf/bad.json` },
      },
      'huge-conf': {
        config: { hdfsReplication: 2, hdfsBlockSize: 128, configFileUrl: `${URL_BASE}/conf/huge.json` },
      },
      'no-script': {
        config: {
          hdfsReplication: 2,
          hdfsBlockSize: 128,
          userScriptFileUrl: `${URL_BASE}/scripts/missing.sh`,
        },
      },
    }
    const ids = Object.fromEntries(
      await Promise.all(
        Object.entries(cases).map(async ([name, over]) => [name, await create({ name, ...over })]),
      ),
    ) as Record<keyof typeof cases, string>
    for (const id of Object.values(ids)) await until(id, (x) => x.startsWith('Terminated'))
    const failure = async (id: string) => (await events(id)).find((e) => e.toStatus === 'Terminating')!
    expect(await failure(ids['no-conf'])).toMatchObject({
      reason: 'CONFIG_FILE_NOT_FOUND',
      message: `config file ${URL_BASE}/conf/missing.json not found`,
    })
    expect((await failure(ids['bad-conf'])).reason).toBe('CONFIG_FILE_INVALID')
    expect(await failure(ids['huge-conf'])).toMatchObject({
      reason: 'CONFIG_FILE_INVALID',
      message: `config file ${URL_BASE}/conf/huge.json is not a configurations document: it is larger than ${MAX_CONFIG_FILE_BYTES} bytes`,
    })
    expect((await failure(ids['bad-conf'])).message).toMatch(
      /^config file .*bad\.json is not a configurations document: /,
    )
    expect(await failure(ids['no-script'])).toMatchObject({
      reason: 'USER_SCRIPT_NOT_FOUND',
      message: `user script ${URL_BASE}/scripts/missing.sh not found`,
    })
    for (const id of Object.values(ids)) expect(await status(id)).toBe('Terminated(Error)')
  })

  it("installs with the seed's files once they are uploaded", async () => {
    await put(
      'conf/config.json',
      JSON.stringify({ configurations: [{ classification: 'core-site', properties: { a: 'b' } }] }),
    )
    await put('scripts/user-script.sh', '#!/bin/sh\necho hi\n')
    const id = await create({
      name: 'with-files',
      config: {
        hdfsReplication: 2,
        hdfsBlockSize: 128,
        configFileUrl: `${URL_BASE}/conf/config.json`,
        userScriptFileUrl: `${URL_BASE}/scripts/user-script.sh`,
      },
      adminInfo: { userId: 'admin', userPw: b64('pw-12345') },
    })
    await until(id, (x) => x === 'Running' || x.startsWith('Terminated'))
    expect(await status(id)).toBe('Running')
  })
})
