import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { ManualClock } from '../src/clock.js'
import { loadConfig, type Config } from '../src/config.js'
import { createServer, type Server } from '../src/server.js'

export const FIXTURES = new URL('./fixtures/', import.meta.url)

export interface TestServer extends Server {
  clock: ManualClock
  headers: Record<string, string>
  /** A second credential in another project, for isolation tests. */
  otherHeaders: Record<string, string>
  /** Steps the manual clock and runs the reconciler until nothing is due. */
  step(ms?: number): Promise<void>
  /** Advances time in `tick` steps, reconciling after each, until `done()` or `maxMs`. */
  runUntil(done: () => Promise<boolean>, opts?: { tick?: number; maxMs?: number }): Promise<void>
  dir: string
  cleanup(): Promise<void>
}

export const ADMIN_TOKEN = 'test-admin-token'

/**
 * A real server on a real SQLite file (or HADOOP_ECO_TEST_DATABASE_URL), with a manual clock
 * and the reconciler driven by the test instead of a timer.
 */
export const startTestServer = async (
  over: Partial<Config> = {},
  opts: { logStream?: NodeJS.WritableStream } = {},
): Promise<TestServer> => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-test-'))
  const config = {
    ...loadConfig({
      HADOOP_ECO_DATABASE_URL: `sqlite:${join(dir, 'test.db')}`,
      HADOOP_ECO_CREDENTIALS: 'test-id:test-secret-1234@proj-a,other-id:other-secret-1234@proj-b',
      HADOOP_ECO_ADMIN_TOKEN: ADMIN_TOKEN,
      HADOOP_ECO_TIME_SCALE: '1',
    }),
    ...over,
  }
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 9))
  const logger = pino({ level: opts.logStream ? 'info' : 'silent' }, opts.logStream ?? undefined)
  const server = await createServer(config, { clock, logger, startReconciler: false })
  const step = async (ms = 0) => {
    clock.advance(ms)
    await server.reconciler.drain()
  }
  return {
    ...server,
    clock,
    dir,
    headers: { 'credential-id': 'test-id', 'credential-secret': 'test-secret-1234' },
    otherHeaders: { 'credential-id': 'other-id', 'credential-secret': 'other-secret-1234' },
    step,
    async runUntil(done, { tick = 1000, maxMs = 3_600_000 } = {}) {
      for (let t = 0; t <= maxMs; t += tick) {
        await step(t === 0 ? 0 : tick)
        if (await done()) return
      }
      throw new Error(`condition not reached within ${maxMs} ms of simulated time`)
    },
    async cleanup() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const fixture = async (name: string): Promise<Record<string, unknown>> => {
  const { readFile } = await import('node:fs/promises')
  return JSON.parse(await readFile(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>
}

/** A minimal valid create body; override any field. */
export const validBody = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'test-cluster',
  clusterType: 'hadoop',
  clusterVersion: 'hde-2.0.1',
  isHa: false,
  keypairName: 'kp',
  masterFlavorName: 'm2a.xlarge',
  masterVolumeSize: 50,
  workerCnt: 3,
  workerFlavorName: 'm2a.xlarge',
  workerVolumeSize: 100,
  monitoring: true,
  securityGroupName: 'sg',
  vpcId: 'vpc-1',
  subnetId: 'subnet-1',
  config: { hdfsReplication: 3, hdfsBlockSize: 128 },
  ...over,
})
