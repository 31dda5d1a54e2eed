import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll } from 'vitest'
import { ManualClock } from '../src/clock.js'
import type { NewCluster } from '../src/domain/cluster.js'
import { parseCreateCluster } from '../src/domain/cluster-spec.js'
import type { ClusterStatus } from '../src/domain/statuses.js'
import { validBody } from './fixtures/valid-body.js'
import { loadConfig, type Config } from '../src/config.js'
import { createServer, type Server, type ServerOptions } from '../src/server.js'
import { spyOn } from './provider-spy.js'
import { createStore, openDatabase, type Store } from '../src/store/index.js'

export const FIXTURES = new URL('./fixtures/', import.meta.url)

export interface TestServer extends Server {
  clock: ManualClock
  /** Every call the reconciler made to the provider. */
  providerCalls: ReturnType<typeof spyOn>
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

/** The backend this test run targets: vitest.config.ts runs the suites once per backend. */
export const TEST_BACKEND = process.env.HADOOP_ECO_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'

/**
 * A fresh database for one test: a SQLite file in `dir`, or a new PostgreSQL database created
 * through HADOOP_ECO_TEST_DATABASE_URL and dropped afterwards.
 */
export const freshDatabase = async (dir: string): Promise<{ url: string; drop: () => Promise<void> }> => {
  if (TEST_BACKEND === 'sqlite') return { url: `sqlite:${join(dir, 'test.db')}`, drop: async () => undefined }
  const admin = process.env.HADOOP_ECO_TEST_DATABASE_URL
  if (!admin) throw new Error('HADOOP_ECO_TEST_BACKEND=postgres needs HADOOP_ECO_TEST_DATABASE_URL')
  const pg = (await import('pg')).default
  const name = `hadoop_eco_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const client = new pg.Client({ connectionString: admin })
  await client.connect()
  await client.query(`create database ${name}`)
  await client.end()
  const url = new URL(admin)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

/**
 * A real server on a real database (see freshDatabase), with a manual clock and the
 * reconciler driven by the test instead of a timer.
 */
export const startTestServer = async (
  over: Partial<Config> = {},
  opts: {
    logStream?: NodeJS.WritableStream
    logLevel?: string
    rateClock?: () => number
    /** The test's clock (the server's otherwise starts at 2026-01-01 09:00 UTC). */
    clock?: ManualClock
    kubeConfig?: ServerOptions['kubeConfig']
  } = {},
): Promise<TestServer> => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-test-'))
  const database = await freshDatabase(dir)
  const config = {
    ...loadConfig({
      HADOOP_ECO_DATABASE_URL: database.url,
      HADOOP_ECO_CREDENTIALS: 'test-id:test-secret-1234@proj-a,other-id:other-secret-1234@proj-b',
      HADOOP_ECO_ADMIN_TOKEN: ADMIN_TOKEN,
      HADOOP_ECO_TIME_SCALE: '1',
      // the generated secret key goes beside the test's database, never into the repository
      HADOOP_ECO_DATA_DIR: dir,
    }),
    ...over,
  }
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 0, 1, 9))
  const logger = pino(
    { level: opts.logStream ? (opts.logLevel ?? 'info') : 'silent' },
    opts.logStream ?? undefined,
  )
  let spy: ReturnType<typeof spyOn> | undefined
  const server = await createServer(config, {
    clock,
    logger,
    startReconciler: false,
    rateClock: opts.rateClock,
    ...(opts.kubeConfig ? { kubeConfig: opts.kubeConfig } : {}),
    wrapProvider: (p) => (spy = spyOn(p)).provider,
  })
  const step = async (ms = 0) => {
    clock.advance(ms)
    await server.reconciler.drain()
  }
  return {
    ...server,
    clock,
    providerCalls: spy!,
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
      await database.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const fixture = async (name: string): Promise<Record<string, unknown>> => {
  const { readFile } = await import('node:fs/promises')
  return JSON.parse(await readFile(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>
}

export { validBody } from './fixtures/valid-body.js'

/**
 * A migrated store over a fresh database for the enclosing describe block (its beforeAll and
 * afterAll): read `.store` from a hook or a test, after this one's beforeAll ran.
 */
export const useFreshStore = (): { readonly store: Store; readonly url: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-store-'))
  let store: Store | undefined
  let url = ''
  let drop = async () => undefined as void
  beforeAll(async () => {
    const fresh = await freshDatabase(dir)
    url = fresh.url
    drop = fresh.drop
    const database = await openDatabase(fresh.url)
    await database.migrate()
    store = createStore(database)
  })
  afterAll(async () => {
    await store?.database.close()
    await drop()
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    get store() {
      if (!store) throw new Error('useFreshStore: read .store from a hook or a test')
      return store
    },
    get url() {
      return url
    },
  }
}

/**
 * A cluster row for store tests: the n-th (its id and createdAt follow n), named `name` in
 * `project`, from the fixture body.
 */
export const storeCluster = (n: number, project: string, name: string, status: ClusterStatus): NewCluster => {
  const spec = parseCreateCluster(validBody({ name }))
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    project,
    name,
    owner: 'o',
    status,
    clusterType: spec.clusterType,
    clusterVersion: spec.clusterVersion,
    apiKeyStatus: 'impossible',
    masterCnt: 1,
    workerCnt: spec.workerCnt,
    createdAt: 1_000 + n,
    spec,
    info: { securityGroupIds: ['sg'] },
  }
}
