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
  sqliteSynchronous: 'normal' | 'full'
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

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
    sqliteSynchronous: 'normal',
  }
  const sync = str('', 'HADOOP_ECO_SQLITE_SYNCHRONOUS', 'normal')
  if (sync !== 'normal' && sync !== 'full')
    problems.push(`HADOOP_ECO_SQLITE_SYNCHRONOUS="${sync}": expected normal or full`)
  config.sqliteSynchronous = sync === 'full' ? 'full' : 'normal'
  if (problems.length > 0) throw new Error(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
  return Object.freeze(config)
}
