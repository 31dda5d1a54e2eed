import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { kakaoObjectStorageEndpoint } from './objects/url.js'
import { DEFAULT_IMAGES } from './providers/kubernetes/manifests.js'

/**
 * The only reader of process.env. Parsed once, checked as a whole (one error lists every bad
 * key), frozen, and passed down.
 */
export interface Config {
  host: string
  port: number
  databaseUrl: string
  credentials: string | undefined
  timeScale: number
  adminToken: string | undefined
  logLevel: string
  migrate: boolean
  /** How long a reconciler lease lasts before another replica may take the cluster over. */
  leaseMs: number
  /** How often an idle reconciler looks for work written by other replicas. */
  pollMs: number
  reconcilerConcurrency: number
  /** A provider call that has not answered within this is abandoned and retried later. */
  providerTimeoutMs: number
  /** Failed provider calls in a row after which a cluster ends Terminated(Error). */
  providerMaxAttempts: number
  /** How often a Running cluster is compared again with what the provider has. */
  observeMs: number
  sqliteSynchronous: 'normal' | 'full'
  /** Requests per credential per minute; 0 disables. */
  rateLimit: number
  /** Failed authentications per client address per minute; 0 disables. */
  authFailureLimit: number
  /** Encrypts stored passwords; undefined: a key kept in `dataDir` (generated on first start). */
  secretKey: string | undefined
  /** Where the generated secret key lives: the SQLite file's folder unless set. */
  dataDir: string
  /** Fastify's trustProxy: whose X-Forwarded-For names the client address (rate limits, logs). */
  trustProxy: boolean | number | string
  /** Slow clients: all headers within this, the whole request within requestTimeoutMs. */
  headersTimeoutMs: number
  requestTimeoutMs: number
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number
  /**
   * Where objects live (DESIGN section 8): `file:<dir>` (`<dir>/<project>/<bucket>/<key>`) or an
   * S3-compatible service, whose credentials come from the AWS SDK's standard chain.
   */
  objectStore: { kind: 'file'; dir: string } | { kind: 's3'; endpoint: string; region: string }
  /** The largest object an upload may store. */
  objectMaxBytes: number
  /**
   * HADOOP_ECO_SESSION_IDLE_MS: a web console session (DESIGN section 13) ends after this long
   * without a request; every request moves its end. Default 8 hours.
   */
  sessionIdleMs: number
  /**
   * HADOOP_ECO_CONSOLE_DIR: the built web console served at `/console/` (`npm run build` writes
   * it to `dist/web` in the package, the default).
   */
  consoleDir: string
  /**
   * HADOOP_ECO_RETENTION_DAYS: the events and VM rows of a cluster terminated longer ago than
   * this are deleted (the cluster itself stays listed). 0 keeps them forever. Default 90.
   */
  retentionDays: number
  /**
   * HADOOP_ECO_PROVIDER (DESIGN section 12): `simulator` (default) or `kubernetes`, whose
   * settings are `kubernetes` (its kubeconfig comes from KUBECONFIG, ~/.kube/config or the
   * in-cluster service account, as kubectl finds it).
   */
  provider: 'simulator' | 'kubernetes'
  kubernetes: KubernetesConfig
}

export interface KubernetesConfig {
  /** HADOOP_ECO_K8S_NAMESPACE: the one namespace every object goes in. Default `hadoop-eco`. */
  namespace: string
  /** HADOOP_ECO_K8S_RESOURCE_SCALE: Pod requests are the flavor times this. Default 1. */
  resourceScale: number
  /** HADOOP_ECO_K8S_POLL_MS: how often something under way is looked at again. Default 2000. */
  pollMs: number
  /** HADOOP_ECO_K8S_STORAGE_CLASS: the volumes' class; unset, the cluster's default. */
  storageClassName: string | undefined
  /** HADOOP_ECO_K8S_CLUSTER_DOMAIN: the cluster's DNS domain. Default `cluster.local`. */
  clusterDomain: string
  /** HADOOP_ECO_K8S_IMAGE_HADOOP, _HIVE, _SPARK, _ZOOKEEPER. */
  images: { hadoop: string; hive: string; spark: string; zookeeper: string }
}

/**
 * `dist/web` of the package: this file is `src/config.ts` when run from the sources and
 * `dist/config.js` when built, one level below the package root either way.
 */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../dist/web', import.meta.url))

/** `false`, `true`, a hop count, or addresses/CIDRs separated by commas (Fastify's trustProxy). */
const parseTrustProxy = (raw: string): boolean | number | string => {
  const v = raw.trim()
  if (v === '' || v === 'false') return false
  if (v === 'true') return true
  if (/^\d+$/.test(v)) return Number(v)
  return v
}

/** 32 key bytes from 64 hex characters or base64 (standard or URL alphabet); undefined otherwise. */
export const parseSecretKey = (text: string): Buffer | undefined => {
  const t = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex')
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
    if (b.length === 32) return b
  }
  return undefined
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** S3's own limit on one object. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4

export const loadConfig = (
  env: NodeJS.ProcessEnv = process.env,
  flags: Record<string, string | boolean> = {},
): Readonly<Config> => {
  const problems: string[] = []
  const str = (flag: string, key: string, def: string): string => {
    const f = flags[flag]
    if (typeof f === 'string') return f
    return env[key] ?? def
  }
  const num = (flag: string, key: string, def: number, min: number, max: number, int = true): number => {
    const raw = str(flag, key, String(def))
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
      problems.push(
        `${key}${flag ? ` (--${flag})` : ''}="${raw}": expected ${int ? 'an integer' : 'a number'} in ${min}..${max}`,
      )
      return def
    }
    return n
  }
  const logLevel = str('log-level', 'HADOOP_ECO_LOG_LEVEL', 'info')
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`HADOOP_ECO_LOG_LEVEL="${logLevel}": expected one of ${LOG_LEVELS.join(', ')}`)
  const databaseUrl = str('database-url', 'HADOOP_ECO_DATABASE_URL', 'sqlite:./data/hadoop-eco.db')
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl))
    problems.push(
      `HADOOP_ECO_DATABASE_URL="${databaseUrl}": expected sqlite:<path>, sqlite::memory: or postgres://...`,
    )
  const adminToken = str('admin-token', 'HADOOP_ECO_ADMIN_TOKEN', '') || undefined
  if (adminToken !== undefined && adminToken.length < 8)
    problems.push('HADOOP_ECO_ADMIN_TOKEN: use at least 8 characters')
  const secretKey = str('', 'HADOOP_ECO_SECRET_KEY', '') || undefined
  if (secretKey !== undefined && !parseSecretKey(secretKey))
    problems.push(
      'HADOOP_ECO_SECRET_KEY: expected 32 bytes as 64 hex characters or base64 (openssl rand -base64 32)',
    )
  const sqlitePath = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : ''
  const dataDir =
    str('data-dir', 'HADOOP_ECO_DATA_DIR', '') ||
    (sqlitePath && sqlitePath !== ':memory:' ? dirname(sqlitePath) : './data')
  const objectStore = parseObjectStore(
    str('', 'HADOOP_ECO_OBJECT_STORE', `file:${join(dataDir, 'objects')}`),
    str('', 'HADOOP_ECO_S3_ENDPOINT', ''),
    str('', 'HADOOP_ECO_S3_REGION', 'kr-central-2'),
    problems,
  )
  const config: Config = {
    host: str('host', 'HADOOP_ECO_HOST', '127.0.0.1'),
    port: num('port', 'HADOOP_ECO_PORT', 8080, 0, 65535),
    databaseUrl,
    credentials: str('credentials', 'HADOOP_ECO_CREDENTIALS', '') || undefined,
    timeScale: num('time-scale', 'HADOOP_ECO_TIME_SCALE', 0.02, 0, 1000, false),
    adminToken,
    logLevel,
    migrate: flags['no-migrate'] !== true,
    leaseMs: num('', 'HADOOP_ECO_LEASE_MS', 15_000, 100, 3_600_000),
    pollMs: num('', 'HADOOP_ECO_POLL_MS', 500, 5, 60_000),
    reconcilerConcurrency: num('', 'HADOOP_ECO_RECONCILER_CONCURRENCY', 16, 1, 256),
    providerTimeoutMs: num('', 'HADOOP_ECO_PROVIDER_TIMEOUT_MS', 30_000, 10, 3_600_000),
    providerMaxAttempts: num('', 'HADOOP_ECO_PROVIDER_MAX_ATTEMPTS', 8, 1, 1000),
    observeMs: num('', 'HADOOP_ECO_OBSERVE_MS', 30_000, 10, 86_400_000),
    sqliteSynchronous: 'normal',
    rateLimit: num('', 'HADOOP_ECO_RATE_LIMIT', 600_000, 0, 1_000_000_000),
    authFailureLimit: num('', 'HADOOP_ECO_AUTH_FAILURE_LIMIT', 300, 0, 1_000_000_000),
    secretKey,
    dataDir,
    trustProxy: parseTrustProxy(str('', 'HADOOP_ECO_TRUST_PROXY', 'false')),
    headersTimeoutMs: num('', 'HADOOP_ECO_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    requestTimeoutMs: num('', 'HADOOP_ECO_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    keepAliveTimeoutMs: num('', 'HADOOP_ECO_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
    objectStore,
    objectMaxBytes: num('', 'HADOOP_ECO_OBJECT_MAX_BYTES', 5 * 1024 ** 3, 1, MAX_OBJECT_BYTES),
    // At least a second: the session cookie's Max-Age counts whole seconds. At most 30 days.
    sessionIdleMs: num('', 'HADOOP_ECO_SESSION_IDLE_MS', 8 * 3_600_000, 1000, 30 * 86_400_000),
    consoleDir: str('', 'HADOOP_ECO_CONSOLE_DIR', '') || DEFAULT_CONSOLE_DIR,
    retentionDays: num('', 'HADOOP_ECO_RETENTION_DAYS', 90, 0, 36_500, false),
    provider: str('provider', 'HADOOP_ECO_PROVIDER', 'simulator') as Config['provider'],
    kubernetes: {
      namespace: str('', 'HADOOP_ECO_K8S_NAMESPACE', 'hadoop-eco'),
      resourceScale: num('', 'HADOOP_ECO_K8S_RESOURCE_SCALE', 1, 0.001, 1000, false),
      pollMs: num('', 'HADOOP_ECO_K8S_POLL_MS', 2000, 10, 600_000),
      storageClassName: str('', 'HADOOP_ECO_K8S_STORAGE_CLASS', '') || undefined,
      clusterDomain: str('', 'HADOOP_ECO_K8S_CLUSTER_DOMAIN', 'cluster.local'),
      images: {
        hadoop: str('', 'HADOOP_ECO_K8S_IMAGE_HADOOP', DEFAULT_IMAGES.hadoop),
        hive: str('', 'HADOOP_ECO_K8S_IMAGE_HIVE', DEFAULT_IMAGES.hive),
        spark: str('', 'HADOOP_ECO_K8S_IMAGE_SPARK', DEFAULT_IMAGES.spark),
        zookeeper: str('', 'HADOOP_ECO_K8S_IMAGE_ZOOKEEPER', DEFAULT_IMAGES.zookeeper),
      },
    },
  }
  if (config.provider !== 'simulator' && config.provider !== 'kubernetes')
    problems.push(`HADOOP_ECO_PROVIDER="${config.provider as string}": expected simulator or kubernetes`)
  const k = config.kubernetes
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(k.namespace))
    problems.push(`HADOOP_ECO_K8S_NAMESPACE="${k.namespace}": expected a namespace name (a DNS label)`)
  if (k.storageClassName !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(k.storageClassName))
    problems.push(`HADOOP_ECO_K8S_STORAGE_CLASS="${k.storageClassName}": expected a StorageClass name`)
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(k.clusterDomain))
    problems.push(
      `HADOOP_ECO_K8S_CLUSTER_DOMAIN="${k.clusterDomain}": expected a DNS domain such as cluster.local`,
    )
  for (const [name, image] of Object.entries(k.images))
    if (!/^[^\s]+$/.test(image))
      problems.push(`HADOOP_ECO_K8S_IMAGE_${name.toUpperCase()}="${image}": expected an image reference`)
  if (config.requestTimeoutMs < config.headersTimeoutMs)
    problems.push('HADOOP_ECO_REQUEST_TIMEOUT_MS must be at least HADOOP_ECO_HEADERS_TIMEOUT_MS')
  const sync = str('', 'HADOOP_ECO_SQLITE_SYNCHRONOUS', 'normal')
  if (sync !== 'normal' && sync !== 'full')
    problems.push(`HADOOP_ECO_SQLITE_SYNCHRONOUS="${sync}": expected normal or full`)
  config.sqliteSynchronous = sync === 'full' ? 'full' : 'normal'
  if (problems.length > 0) throw new Error(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
  return Object.freeze(config)
}

/**
 * `file:<dir>` or `s3`. The S3 settings are checked whenever they are set, so a typo shows before
 * the day the store is switched over. The endpoint defaults to KakaoCloud's in the region.
 */
const parseObjectStore = (
  raw: string,
  endpoint: string,
  region: string,
  problems: string[],
): Config['objectStore'] => {
  if (!/^[a-z0-9-]{1,64}$/.test(region))
    problems.push(`HADOOP_ECO_S3_REGION="${region}": expected a region name such as kr-central-2`)
  if (endpoint !== '' && !/^https?:\/\/[^/?#]+/i.test(endpoint))
    problems.push(`HADOOP_ECO_S3_ENDPOINT="${endpoint}": expected an http(s) URL`)
  if (raw === 's3') return { kind: 's3', endpoint: endpoint || kakaoObjectStorageEndpoint(region), region }
  if (raw.startsWith('file:') && raw.length > 'file:'.length)
    return { kind: 'file', dir: raw.slice('file:'.length) }
  problems.push(`HADOOP_ECO_OBJECT_STORE="${raw}": expected file:<dir> or s3`)
  return { kind: 'file', dir: './data/objects' }
}

/**
 * A whole configuration from the fields given, the rest at their defaults (as with no
 * environment at all): what a program that embeds the server passes to `createServer`. The data
 * directory and object store follow the given database URL unless given themselves.
 */
export const configWith = (given: Readonly<Partial<Config>> = {}): Readonly<Config> => {
  const defaults = loadConfig({
    ...(given.databaseUrl !== undefined ? { HADOOP_ECO_DATABASE_URL: given.databaseUrl } : {}),
    ...(given.dataDir !== undefined ? { HADOOP_ECO_DATA_DIR: given.dataDir } : {}),
  })
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined))
  return Object.freeze({ ...defaults, ...defined })
}
