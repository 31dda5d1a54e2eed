import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ConflictError,
  ForbiddenError,
  type HadoopEcoClient,
  NotFoundError,
  UnauthorizedError,
  type JobRequest,
} from '../../src/sdk/index.js'
import { buildCli } from './build.js'
import {
  cliEnv,
  type E2EServer,
  minimalSpec,
  runCli,
  sdkClient,
  startE2EServer,
  tempHome,
  uniqueName,
} from './harness.js'

/** DESIGN section 11 through the CLI (a child process) and the SDK against a real server. */
describe('job-cluster keys and re-runs through the CLI and the SDK', () => {
  let s: E2EServer
  let home: string
  let env: Record<string, string>
  let client: HadoopEcoClient
  beforeAll(async () => {
    await buildCli()
    s = await startE2EServer()
    home = tempHome()
    env = cliEnv(s.url)
    client = sdkClient(s.url, { pollIntervalMs: 20 })
  }, 180_000)
  afterAll(() => s?.close())
  afterEach(() => s?.clearFaults())
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, { home, env: { ...env, ...extra } })

  /**
   * A job cluster with two workers (so a re-run's three is an override that shows), run once
   * to Terminated(UserCommand).
   */
  const jobCluster = async (name: string) => {
    const { id } = await client.clusters.create(
      minimalSpec(name, {
        workerCnt: 2,
        config: { hdfsReplication: 2, hdfsBlockSize: 128 },
        userTask: { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'select count(*) from logs' },
      }) as never,
    )
    await client.waitFor(id, 'Terminated(UserCommand)', { interval: 20, timeout: 20_000 })
    return id
  }

  it('issues a key, re-runs with --wait, lists the requests and shows one verbosely', async () => {
    const id = await jobCluster(uniqueName('rr-cli'))
    const issued = await cli(['clusters', 'api-key', 'issue', id])
    expect(issued.code, issued.stderr).toBe(0)
    // The key alone on stdout, so $(...) captures it; the reminder goes to stderr.
    const key = issued.stdout.trim()
    expect(issued.stdout).toBe(`${key}\n`)
    expect(key).toMatch(/^\S{16,}$/)
    expect(issued.stderr).toContain('only time')
    expect(issued.stderr).not.toContain(key)

    // The key from the environment, as a nightly job passes it.
    const rerun = await cli(
      ['clusters', 'rerun', id, '--worker-count', '3', '--wait', '--poll-interval', '20ms', '-o', 'json'],
      { HADOOP_ECO_API_KEY: key },
    )
    expect(rerun.code, rerun.stderr).toBe(0)
    const final = JSON.parse(rerun.stdout) as JobRequest
    expect(final).toMatchObject({ clusterId: id, requestStatus: 'Success' })
    expect(final.requestResult).not.toBe('')
    expect(rerun.stderr).toContain(`request ${final.requestId}`)
    expect(rerun.stderr).toMatch(/Success/)
    expect(rerun.stdout + rerun.stderr).not.toContain(key)
    // The run ends by its terminationPolicy, as the create's did.
    await client.waitFor(id, 'Terminated(UserCommand)', { interval: 20, timeout: 20_000 })

    const listed = await cli(['clusters', 'requests', id, '-o', 'json'], { HADOOP_ECO_API_KEY: key })
    expect(listed.code, listed.stderr).toBe(0)
    const requests = JSON.parse(listed.stdout) as JobRequest[]
    expect(requests.map((r) => r.requestId)).toEqual([final.requestId])
    expect(requests[0]).toMatchObject({ requestStatus: 'Success' })
    expect(requests[0]).not.toHaveProperty('clusterMeta')
    const table = await cli(['clusters', 'requests', id, '--api-key', key])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^REQUEST ID\s+STATUS\s+RESULT\n/)
    expect(table.stdout).toContain(final.requestId)

    const verbose = await cli(['clusters', 'requests', id, final.requestId, '--verbose', '-o', 'json'], {
      HADOOP_ECO_API_KEY: key,
    })
    expect(verbose.code, verbose.stderr).toBe(0)
    const shown = JSON.parse(verbose.stdout) as JobRequest
    expect(shown).toMatchObject({ requestId: final.requestId, requestStatus: 'Success' })
    // Terminated clusters show workerCnt 0: what the run ran with is in its clusterMeta.
    expect(shown.clusterMeta?.worker_vm.count).toBe(3)
    expect(shown.clusterMeta?.user_cluster_exec_command).toMatchObject({
      type: 'hive',
      termination_policy: 'onSuccess',
      hive_query: 'select count(*) from logs',
    })
    const details = await cli(['clusters', 'requests', id, final.requestId, '--verbose', '--api-key', key])
    expect(details.stdout).toMatch(/clusterMeta\.worker_vm\.count\s+3\n/)
    const plain = await cli(['clusters', 'requests', id, final.requestId, '--api-key', key, '-o', 'json'])
    expect(JSON.parse(plain.stdout)).not.toHaveProperty('clusterMeta')
  })

  it('refuses a wrong or revoked key (exit 3), a missing one (usage, exit 2) and a value out of range (exit 7)', async () => {
    const id = await jobCluster(uniqueName('rr-key'))
    const key = (await cli(['clusters', 'api-key', 'issue', id, '-o', 'json'])).stdout
    const { apiKey } = JSON.parse(key) as { clusterId: string; apiKey: string }

    const wrong = 'hek_this-is-not-the-key-of-this-cluster-000000'
    const denied = await cli(['clusters', 'rerun', id, '--api-key', wrong])
    expect(denied.code).toBe(3)
    expect(denied.stderr).toContain('API_KEY_INVALID')
    expect(denied.stderr).not.toContain(wrong)
    const deniedList = await cli(['clusters', 'requests', id], { HADOOP_ECO_API_KEY: wrong })
    expect(deniedList.code).toBe(3)

    // No key at all: a usage error, found before any request is made.
    const missing = await cli(['clusters', 'rerun', id, '--worker-count', '3'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('HADOOP_ECO_API_KEY')
    expect((await cli(['clusters', 'requests', id])).code).toBe(2)
    const notInt = await cli(['clusters', 'rerun', id, '--api-key', apiKey, '--worker-count', 'three'])
    expect(notInt.code).toBe(2)
    expect(notInt.stderr).toContain('--worker-count must be an integer')
    // Ranges are the server's to check: a 400 with its field list.
    const outOfRange = await cli(['clusters', 'rerun', id, '--api-key', apiKey, '--worker-count=0'])
    expect(outOfRange.code, outOfRange.stderr).toBe(7)
    expect(outOfRange.stderr).toContain('workerCnt')

    const revoked = await cli(['clusters', 'api-key', 'revoke', id])
    expect(revoked.code, revoked.stderr).toBe(0)
    expect((await cli(['clusters', 'api-key', 'revoke', id, '-o', 'json'])).code).toBe(0)
    const afterRevoke = await cli(['clusters', 'rerun', id], { HADOOP_ECO_API_KEY: apiKey })
    expect(afterRevoke.code).toBe(3)
    expect(afterRevoke.stderr).toContain('API_KEY_INVALID')
    // A new key can be issued once the old one is revoked.
    expect((await cli(['clusters', 'api-key', 'issue', id])).code).toBe(0)
    const again = await cli(['clusters', 'api-key', 'issue', id])
    expect(again.code).toBe(5)
    expect(again.stderr).toContain('API_KEY_NOT_POSSIBLE')
  })

  it('exits 6 when the re-run fails; a cluster left Running is busy (exit 5, ConflictError)', async () => {
    const id = await jobCluster(uniqueName('rr-fail'))
    const apiKey = (await cli(['clusters', 'api-key', 'issue', id])).stdout.trim()
    await s.fault({ match: { clusterName: 'rr-fail-*' }, fault: 'taskFailure' })
    const rerun = await cli(['clusters', 'rerun', id, '--wait', '--poll-interval', '20ms', '-o', 'json'], {
      HADOOP_ECO_API_KEY: apiKey,
    })
    expect(rerun.code, rerun.stderr).toBe(6)
    const final = JSON.parse(rerun.stdout) as JobRequest
    expect(final.requestStatus).toBe('Fail')
    expect(rerun.stderr).toContain('Fail')

    // terminationPolicy onSuccess keeps the cluster of a failed run Running: it cannot run again.
    await client.waitFor(id, 'Running', { interval: 20, timeout: 20_000 })
    const busy = await cli(['clusters', 'rerun', id], { HADOOP_ECO_API_KEY: apiKey })
    expect(busy.code, busy.stderr).toBe(5)
    expect(busy.stderr).toContain('CLUSTER_BUSY')
    const sdkBusy = await client.clusters.rerun(id, { apiKey }).catch((e: unknown) => e)
    expect(sdkBusy).toBeInstanceOf(ConflictError)
    expect((sdkBusy as ConflictError).code).toBe('CLUSTER_BUSY')
  })

  it('SDK: issue, rerun with overrides and an idempotency key, waitFor Success; typed errors', async () => {
    const id = await jobCluster(uniqueName('rr-sdk'))
    const { clusterId, apiKey } = await client.clusters.apiKey.issue(id)
    expect(clusterId).toBe(id)
    expect((await client.clusters.get(id)).apiKeyStatus).toBe('applied')

    const idempotencyKey = randomUUID()
    const res = await client.clusters.rerun(id, { apiKey, workerCnt: 4 }, { idempotencyKey })
    expect(res).toMatchObject({ clusterId: id, requestId: expect.any(String) })
    expect(res.clusterMainSettingValues).toMatchObject({
      workerCnt: 4,
      workerVolumeSize: 100,
      configHdfsReplication: 2,
      configHdfsBlockSize: 128,
      jobType: 'hive',
    })
    // The same key is answered with the first answer, not a second run.
    const replay = await client.clusters.rerun(id, { apiKey, workerCnt: 4 }, { idempotencyKey })
    expect(replay.requestId).toBe(res.requestId)

    const seen: string[] = []
    const done = await client.clusters.requests.waitFor(id, res.requestId, {
      apiKey,
      interval: 20,
      timeout: 20_000,
      onChange: (r) => void seen.push(r.requestStatus),
    })
    expect(done).toMatchObject({ clusterId: id, requestId: res.requestId, requestStatus: 'Success' })
    expect(seen.at(-1)).toBe('Success')
    const verbose = await client.clusters.requests.get(id, res.requestId, { apiKey, verbose: true })
    expect(verbose.clusterMeta?.worker_vm.count).toBe(4)
    const page = await client.clusters.requests.list(id, { apiKey, size: 5 })
    expect(page.content.map((r) => r.requestId)).toEqual([res.requestId])
    expect(page).toMatchObject({ totalElements: 1, number: 0, size: 5 })

    const wrong = 'hek_not-the-key'
    const forbidden = await client.clusters.rerun(id, { apiKey: wrong }).catch((e: unknown) => e)
    expect(forbidden).toBeInstanceOf(ForbiddenError)
    expect((forbidden as ForbiddenError).code).toBe('API_KEY_INVALID')
    expect((forbidden as Error).message).not.toContain(wrong)
    const missing = await client.clusters.requests.list(id, { apiKey: '' }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(UnauthorizedError)
    expect((missing as UnauthorizedError).code).toBe('API_KEY_REQUIRED')
    const unknown = await client.clusters.requests.get(id, randomUUID(), { apiKey }).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(NotFoundError)
    expect((unknown as NotFoundError).code).toBe('REQUEST_NOT_FOUND')

    await client.waitFor(id, 'Terminated(UserCommand)', { interval: 20, timeout: 20_000 })
    await client.clusters.apiKey.revoke(id)
    expect((await client.clusters.get(id)).apiKeyStatus).toBe('possible')
  })

  it('has help for the new commands, listed by "clusters --help"', async () => {
    const all = await cli(['clusters', '--help'])
    for (const cmd of ['api-key', 'rerun', 'requests']) {
      expect(all.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'))
      const r = await cli(['clusters', cmd, '--help'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`Usage: hadoop-eco clusters ${cmd}`)
    }
  })
})
