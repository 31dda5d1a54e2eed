import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HadoopEcoClient } from '../../src/sdk/index.js'
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

/** DESIGN section 10 through the SDK and the CLI (a child process) against a real server. */
describe('task runs and their logs through the SDK and the CLI', () => {
  let s: E2EServer
  let home: string
  let env: Record<string, string>
  let client: HadoopEcoClient
  beforeAll(async () => {
    await buildCli()
    s = await startE2EServer()
    home = tempHome()
    env = cliEnv(s.url)
    client = sdkClient(s.url)
  }, 180_000)
  afterAll(() => s?.close())
  const cli = (args: string[]) => runCli(args, { home, env })

  const jobCluster = async (name: string, terminationPolicy = 'never') => {
    const { id } = await client.clusters.create(
      minimalSpec(name, {
        userTask: { type: 'hive', terminationPolicy, hiveQuery: 'select count(*) from logs' },
      }) as never,
    )
    await client.waitFor(id, (c) => c.status === 'Running' || c.status.startsWith('Terminated'), {
      interval: 20,
    })
    return id
  }

  it('lists the runs and prints the log, following it until the run ends', async () => {
    const id = await jobCluster(uniqueName('cli-task'))
    const followed = await cli(['clusters', 'logs', id, '--follow', '--poll-interval', '20ms'])
    expect(followed.code, followed.stderr).toBe(0)
    expect(followed.stdout).toContain('beeline -u jdbc:hive2://')
    expect(followed.stdout).toContain("-e 'select count(*) from logs'")
    expect(followed.stdout).toMatch(/exit code 0\n$/)
    // Each line printed once, however many times the log was read.
    expect(followed.stdout.split('\n').filter((l) => l.includes('beeline'))).toHaveLength(1)

    const listed = await cli(['clusters', 'tasks', id, '-o', 'json'])
    expect(listed.code, listed.stderr).toBe(0)
    const runs = JSON.parse(listed.stdout) as { id: string; status: string; exitCode: number }[]
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({ status: 'Succeeded', exitCode: 0 })
    const table = await cli(['clusters', 'tasks', id])
    expect(table.stdout).toMatch(/^ID\s+TYPE\s+STATUS\s+STARTED\s+ENDED\s+EXIT/)

    const byId = await cli(['clusters', 'logs', id, '--task', runs[0]!.id])
    expect(byId.stdout).toBe(followed.stdout)
    expect(await client.clusters.taskLog(id, runs[0]!.id)).toBe(followed.stdout)
    const page = await client.clusters.tasks(id)
    expect(page.content.map((r) => r.id)).toEqual([runs[0]!.id])
  })

  it('exits 6 when the followed run fails, 4 for an unknown run', async () => {
    await s.fault({ match: { clusterName: 'cli-fail-*' }, fault: 'taskFailure' })
    const id = await jobCluster(uniqueName('cli-fail'))
    const followed = await cli(['clusters', 'logs', id, '--follow', '--poll-interval', '20ms'])
    expect(followed.code).toBe(6)
    expect(followed.stdout).toContain('hive task failed (injected fault)')
    const unknown = await cli(['clusters', 'logs', id, '--task', 'nope'])
    expect(unknown.code).toBe(4)
    expect(unknown.stderr).toContain('TASK_RUN_NOT_FOUND')
    await s.clearFaults()
  })

  it('has help for both commands', async () => {
    for (const cmd of ['tasks', 'logs']) {
      const r = await cli(['clusters', cmd, '--help'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`Usage: hadoop-eco clusters ${cmd}`)
    }
  })
})
