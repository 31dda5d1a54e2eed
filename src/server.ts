import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import pino, { type Logger } from 'pino'
import { buildApp } from './api/app.js'
import { systemClock, type Clock } from './clock.js'
import { configWith, type Config } from './config.js'
import { createObjectStore, type ObjectStore } from './objects/index.js'
import type { KubeConfig } from '@kubernetes/client-node'
import type { ClusterType, ClusterVersion } from './domain/catalog.js'
import { AppError } from './domain/errors.js'
import type { Provider, ProviderDeps } from './providers/provider.js'
import { createTaskService } from './services/tasks.js'
import { createJobClusterService } from './services/job-clusters.js'
import { createSimulatorProvider, type SimulatorProvider } from './providers/simulator/simulator.js'
import { createReconciler, type Reconciler } from './reconciler/reconciler.js'
import { createAdminService } from './services/admin.js'
import { createClusterService, sealPasswords } from './services/clusters.js'
import { createConfigService, readConfigFileFrom } from './services/configs.js'
import { createConsoleSessionService } from './services/console-sessions.js'
import {
  createCredentialService,
  parseCredentialList,
  type CredentialService,
} from './services/credentials.js'
import { createFaultService } from './services/faults.js'
import { createObjectService } from './services/objects.js'
import { createIdempotencyService } from './services/idempotency.js'
import { createSecretBox, SEALED_PREFIX, type SecretBox } from './services/secret-box.js'
import { loadSecretKey } from './secret-key.js'
import { createStore, isDatabaseUnavailable, openDatabase, type Store } from './store/index.js'
import { createAbuseLimits } from './api/plugins/rate-limit.js'
import { createMetrics } from './api/plugins/metrics.js'

/** How far before the last start's mark a start looks again for specs in clear (see below). */
const RESEAL_MARGIN = 10_000

/**
 * Binds the database to the server's key on first start (answers whether this start did);
 * refuses to start with a key other than the one the database was bound to, which would leave
 * every stored password unreadable.
 */
const claimSecretKey = async (store: Store, box: SecretBox): Promise<boolean> => {
  const { keyId, claimed } = await store.secrets.claimKeyId(box.keyId)
  if (keyId !== box.keyId)
    throw new Error(
      `this database's passwords are sealed with key ${keyId}, but this server's key is ${box.keyId}: ` +
        'start it with the same HADOOP_ECO_SECRET_KEY (or data directory secret.key) as the first server',
    )
  return claimed
}

/**
 * Seals any password still in clear. Every start, not only the first: a crash after the claim,
 * or an older replica writing during a rolling upgrade, may have left passwords in clear.
 * Sealed specs are skipped in SQL, and after the first full pass a start reads only the
 * clusters made since the last one, less a margin: seqs are taken before their commits, so a
 * late commit may hold a lower one.
 */
const sealStoredPasswords = async (
  store: Store,
  box: SecretBox,
  claimed: boolean,
  stop: () => boolean,
): Promise<boolean> => {
  const mark = claimed ? 0 : await store.secrets.sealedThrough()
  const { lastSeq, complete } = await store.secrets.resealSpecs(
    (text) => {
      const sealed = JSON.stringify(sealPasswords(JSON.parse(text) as object, box))
      return sealed === text ? undefined : sealed
    },
    Math.max(0, mark - RESEAL_MARGIN),
    undefined,
    stop,
  )
  // A pass stopped by a shutdown leaves the mark: the next start reads from it again.
  if (complete && lastSeq !== mark) await store.secrets.setSealedThrough(lastSeq)
  return complete
}

/**
 * Binds the database to the provider its clusters are made by (store/provider-binding.ts):
 * another provider may take over only once no cluster is live. A database from before the
 * binding was recorded had only the simulator.
 */
const bindProvider = async (store: Store, provider: Config['provider']) => {
  const recorded = await store.providerBinding.bound()
  if (recorded === provider) return
  const bound = recorded ?? 'simulator'
  if (bound !== provider) {
    const live = await store.providerBinding.liveClusters()
    if (live > 0)
      throw new Error(
        `this database has ${live} live cluster(s) made by the ${bound} provider: start with HADOOP_ECO_PROVIDER=${bound}, ` +
          `or delete them (and wait until they are Terminated) before switching to ${provider}`,
      )
  }
  await store.providerBinding.bind(provider)
}

export interface Server {
  app: FastifyInstance
  store: Store
  reconciler: Reconciler
  /**
   * The simulator (tests make its VMs vanish). The reconciler's provider unless
   * HADOOP_ECO_PROVIDER=kubernetes, when it is idle.
   */
  simulator: SimulatorProvider
  /** Object Storage (DESIGN section 8). */
  objects: ObjectStore
  credentials: CredentialService
  /** Set when this start generated the first credential: shown once, never stored in clear. */
  generatedCredential?: { id: string; secret: string; project: string }
  /**
   * Settles once the start's pass over passwords stored in clear is done (or the server
   * closed first); the reconciler starts then. Answers the error of a pass that failed for
   * good (not for the database being away, which is retried): the server cannot run clusters.
   */
  sealed: Promise<Error | undefined>
  close(): Promise<void>
}

export interface ServerOptions {
  clock?: Clock
  logger?: Logger
  /** Tests drive the reconciler by hand; the server starts it otherwise. */
  startReconciler?: boolean
  version?: string
  /** The rate limits' clock (wall time by default): tests move it to end a limit's window. */
  rateClock?: () => number
  /** Tests put a wrapper around the provider (to count calls, slow them down, make them fail). */
  wrapProvider?: (provider: Provider) => Provider
  /**
   * With `provider: 'kubernetes'`: the API server to talk to, instead of the kubeconfig found as
   * kubectl finds it (KUBECONFIG, ~/.kube/config, the in-cluster service account).
   */
  kubeConfig?: KubeConfig
}

/**
 * The Kubernetes provider (DESIGN section 12), loaded only when chosen: its client library is
 * large and the simulator never needs it.
 */
const kubernetesProvider = async (
  config: Config,
  deps: { clock: Clock; objects: ObjectStore; openSecret: ProviderDeps['openSecret'] },
  kubeConfig: KubeConfig | undefined,
): Promise<Provider> => {
  const [{ createKubeApi, loadKubeConfig }, { createKubernetesProvider }, { manifestSettings }] =
    await Promise.all([
      import('./providers/kubernetes/kube-api.js'),
      import('./providers/kubernetes/provider.js'),
      import('./providers/kubernetes/manifests.js'),
    ])
  const k = config.kubernetes
  return createKubernetesProvider({
    kube: createKubeApi(kubeConfig ?? loadKubeConfig(), k.namespace),
    settings: manifestSettings({
      namespace: k.namespace,
      resourceScale: k.resourceScale,
      clusterDomain: k.clusterDomain,
      images: k.images,
      ...(k.storageClassName !== undefined ? { storageClassName: k.storageClassName } : {}),
    }),
    objects: deps.objects,
    clock: deps.clock,
    pollMs: k.pollMs,
    openSecret: deps.openSecret,
  })
}

/** What the active provider refuses at create (DESIGN section 12): the simulator runs everything. */
const unsupportedBy = async (config: Config) => {
  if (config.provider !== 'kubernetes') return undefined
  const { supportProblem } = await import('./providers/kubernetes/manifests.js')
  return (type: ClusterType, version: ClusterVersion) => {
    const p = supportProblem(type, version)
    return p && new AppError(p.code, p.message, [{ field: p.field, code: p.code, message: p.message }])
  }
}

/** The composition root: config in, a wired server out. Nothing else constructs dependencies. */
export const createServer = async (
  given: Readonly<Partial<Config>> = {},
  opts: ServerOptions = {},
): Promise<Server> => {
  // A program embedding the server names only what it cares about; the rest are the defaults.
  const config = configWith(given)
  const clock = opts.clock ?? systemClock
  const now = () => clock.now()
  const logger =
    opts.logger ??
    pino(
      {
        level: config.logLevel,
        // Nothing logs credentials or passwords (request lines carry method, url, status, time);
        // these fixed paths blank them should a header ever be logged. Fixed paths, not
        // wildcards: wildcard redaction costs on every line.
        redact: [
          'req.headers["credential-secret"]',
          'req.headers["hadoop-eco-api-key"]',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
      },
      // Buffered: one write(2) per 4 KiB of log lines instead of one per line; flushed on close.
      pino.destination({ dest: 1, sync: false, minLength: 4096 }),
    )
  // Buffered lines reach the terminal within a second even when the server is quiet.
  const logFlush = opts.logger ? undefined : setInterval(() => logger.flush(), 1000)
  logFlush?.unref()
  const database = await openDatabase(config.databaseUrl, { synchronous: config.sqliteSynchronous })
  if (config.migrate) await database.migrate()
  const store = createStore(database)
  // Said once, at start: an operator's setting, but one that makes the tables grow for good.
  const vacuum = await store.retention.unvacuumed().catch(() => ({ serverWide: false, tables: [] }))
  if (vacuum.serverWide || vacuum.tables.length > 0)
    logger.warn(
      { serverWide: vacuum.serverWide, tables: vacuum.tables },
      'PostgreSQL autovacuum is off (serverWide: for every table; else for the tables named): the space of rows the server updates and deletes is never reused; turn it on, or VACUUM on a schedule',
    )
  const secretKey = loadSecretKey(config)
  const box = createSecretBox(secretKey.key)
  const claimedKey = await claimSecretKey(store, box)
  await bindProvider(store, config.provider)
  const DAY_MS = 24 * 60 * 60 * 1000
  const purgeIdempotency = () => store.idempotency.purge(now() - DAY_MS, SEALED_PREFIX)
  await purgeIdempotency()
  // Replays last 24 h; the records would otherwise stay until their key is reused.
  const purgeTimer = setInterval(
    () => void purgeIdempotency().catch((e: unknown) => logger.warn({ err: e }, 'idempotency purge failed')),
    60 * 60 * 1000,
  )
  purgeTimer.unref()
  // The history of clusters that ended long ago (store/retention.ts), hourly and once after
  // start-up, in the background: it never holds up the start.
  let stopping = false
  const stopped = new AbortController()
  let sealingDone = false
  const purgeHistory = () =>
    config.retentionDays > 0
      ? store.retention
          .purge(now() - config.retentionDays * DAY_MS, 500, () => stopping)
          .catch((e: unknown) => {
            logger.warn({ err: e }, 'history purge failed')
            return 0
          })
      : Promise.resolve(0)
  let historyPurge = purgeHistory()
  const historyTimer = setInterval(
    () => {
      historyPurge = historyPurge.then(purgeHistory)
    },
    60 * 60 * 1000,
  )
  historyTimer.unref()
  logger.info(
    { keyId: box.keyId, source: secretKey.source, ...(secretKey.path ? { path: secretKey.path } : {}) },
    'stored passwords are sealed with this key',
  )
  const faults = createFaultService({ store: store.faults })
  const credentials = createCredentialService({ store: store.credentials, now })

  let generatedCredential: Server['generatedCredential']
  if (config.credentials)
    for (const c of parseCredentialList(config.credentials))
      await credentials.create(c.project, undefined, { id: c.id, secret: c.secret })
  else if ((await credentials.countActive()) === 0) {
    const c = await credentials.create('default')
    generatedCredential = { id: c.id, secret: c.secret, project: c.project }
  }

  // DESIGN section 8: the files clusters read and the logs they write.
  const objects = await createObjectStore(config.objectStore)
  const simulator = createSimulatorProvider({
    records: store.simRecords,
    clock,
    timeScale: config.timeScale,
    clusterFault: (kind, clusterName) => faults.clusterFault(kind, clusterName),
    openSecret: (secret) => box.open(secret.sealed),
    objects,
  })
  const active =
    config.provider === 'kubernetes'
      ? await kubernetesProvider(
          config,
          { clock, objects, openSecret: (secret) => box.open(secret.sealed) },
          opts.kubeConfig,
        )
      : simulator
  if (config.provider === 'kubernetes')
    logger.info({ namespace: config.kubernetes.namespace }, 'clusters are real: Kubernetes provider')
  const provider = opts.wrapProvider ? opts.wrapProvider(active) : active
  // Built before the reconciler and the app: both report to it.
  const metrics = createMetrics({
    countByStatus: () => store.clusters.countByStatus(),
    queueDepth: () => store.work.depth(now()),
  })
  const reconciler = createReconciler({
    store,
    provider,
    clock,
    logger: logger.child({ component: 'reconciler' }),
    leaseMs: config.leaseMs,
    pollMs: config.pollMs,
    concurrency: config.reconcilerConcurrency,
    callTimeoutMs: config.providerTimeoutMs,
    maxAttempts: config.providerMaxAttempts,
    observeMs: config.observeMs,
    metrics: metrics.engine,
  })
  const clusters = createClusterService({
    store,
    now,
    wake: () => reconciler.wake(),
    box,
    unsupported: await unsupportedBy(config),
  })

  const app = await buildApp({
    clusters,
    configs: createConfigService({ store, readConfigFile: readConfigFileFrom(objects) }),
    tasks: createTaskService({ store, objects }),
    jobs: createJobClusterService({ store, now, wake: () => reconciler.wake() }),
    credentials,
    sessions: createConsoleSessionService({
      store: store.consoleSessions,
      credentials,
      now,
      idleMs: config.sessionIdleMs,
    }),
    consoleDir: config.consoleDir,
    faults,
    idempotency: createIdempotencyService({ store: store.idempotency, now, digest: box.mac, box }),
    metrics,
    admin: {
      token: config.adminToken,
      service: createAdminService({
        credentials,
        store,
        now,
        resetProvider: () => simulator.reset(),
        onFaultsChanged: () => faults.invalidate(),
      }),
    },
    ready: async () => {
      const checks: Record<string, string> = {}
      try {
        await store.credentials.countActive()
        checks.database = 'ok'
      } catch (e) {
        // The reason goes to the log only: it may name hosts and users.
        logger.warn({ err: e }, 'readiness: database check failed')
        checks.database = 'unavailable'
      }
      checks.reconciler = reconciler.running ? 'ok' : sealingDone ? 'stopped' : 'starting'
      return { ok: checks.database === 'ok' && reconciler.running, checks }
    },
    isUnavailable: isDatabaseUnavailable,
    limits: createAbuseLimits({
      rateLimit: config.rateLimit,
      authFailureLimit: config.authFailureLimit,
      now: opts.rateClock,
    }),
    objects: createObjectService({ store: objects, maxBytes: config.objectMaxBytes }),
    http: {
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      trustProxy: config.trustProxy,
    },
    logger,
    version: opts.version,
  })
  // The pass over stored passwords runs once the server answers: on a first start over a
  // million clusters it reads every spec (about a second). The reconciler, which hands
  // passwords to the provider, starts after it; /readyz says 'starting' until then. A pass
  // that fails because the database is away is tried again; any other failure is for good
  // (`sealed` answers it, and `serve` stops), the reconciler never starting.
  const sealing = (async (): Promise<{ done: boolean; error?: Error }> => {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        return { done: await sealStoredPasswords(store, box, claimedKey, () => stopping) }
      } catch (e) {
        if (stopping) break
        if (!isDatabaseUnavailable(e)) {
          logger.error({ err: e }, 'sealing stored passwords failed; the reconciler stays stopped')
          return { done: false, error: e instanceof Error ? e : new Error(String(e)) }
        }
        logger.warn({ err: e }, 'sealing stored passwords failed; trying again, the reconciler waits')
        await sleep(Math.min(30_000, 500 * 2 ** attempt), undefined, { signal: stopped.signal }).catch(
          () => undefined,
        )
      }
    }
    return { done: false }
  })()
  const sealed = sealing.then(({ done, error }) => {
    sealingDone = true
    if (done && opts.startReconciler !== false && !stopping) reconciler.start()
    return error
  })

  let closing: Promise<void> | undefined
  return {
    app,
    store,
    reconciler,
    simulator,
    objects,
    credentials,
    generatedCredential,
    sealed,
    close: () =>
      (closing ??= (async () => {
        clearInterval(purgeTimer)
        clearInterval(historyTimer)
        stopping = true
        stopped.abort()
        clearInterval(logFlush)
        await app.close()
        await sealed
        await reconciler.stop()
        await objects.close?.()
        await historyPurge
        await database.close()
        logger.flush()
      })()),
  }
}
