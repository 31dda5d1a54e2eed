import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { Worker } from 'node:worker_threads'
import SQLite from 'better-sqlite3'
import {
  sql,
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type MigrationProvider,
} from 'kysely'
import { migrations } from './migrations/index.js'
import type { Tables } from './tables.js'

export type Dialect = 'sqlite' | 'postgres'

export interface Database {
  readonly dialect: Dialect
  readonly db: Kysely<Tables>
  /**
   * SQLite only: a counter bumped by every write to the clusters table and after the commit of
   * each transaction that made one. The server is the file's only writer, so an unchanged
   * counter proves no cluster changed, without a query. Undefined on PostgreSQL, where other
   * replicas write too.
   */
  writeGeneration?: () => number
  /**
   * Runs a query compiled once at start-up. On SQLite it goes straight to a cached prepared
   * statement: the hot paths (auth, GET one cluster) cannot afford the query builder's
   * per-call cost. `params` must follow the placeholders' order.
   *
   * `planEachCall`: PostgreSQL plans the statement for each call's own parameters instead of
   * keeping one plan per connection. A kept plan is chosen once, against the tables as they
   * were (a seq scan suits an empty table), and PostgreSQL replans only when their statistics
   * change, which takes autovacuum (off on some servers). For batched reads by a list of keys
   * into tables that grow fast: their batches pay the planning once.
   */
  prepared<R>(
    query: CompiledQuery,
    options?: { planEachCall?: boolean },
  ): (params: readonly unknown[]) => Promise<R[]>
  /**
   * Runs `fn` in one transaction: all of its writes or none. On SQLite several callers may share
   * one commit (group commit), each in its own savepoint: each still succeeds or fails on its own.
   */
  transaction<T>(fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T>
  /**
   * Runs writes that are each complete alone (one statement, or an idempotent insert and a
   * read-back). SQLite: one transaction, so they join a group commit. PostgreSQL: each statement
   * commits by itself, without the begin and commit round trips a transaction costs.
   */
  write<T>(fn: (db: Kysely<Tables>) => Promise<T>): Promise<T>
  migrate(): Promise<void>
  close(): Promise<void>
}

export const parseDatabaseUrl = (url: string): { dialect: Dialect; target: string } => {
  if (url.startsWith('sqlite:'))
    return { dialect: 'sqlite', target: url.slice('sqlite:'.length) || ':memory:' }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://'))
    return { dialect: 'postgres', target: url }
  throw new Error(`unsupported database URL "${url}": use sqlite:<path>, sqlite::memory: or postgres://...`)
}

export interface OpenOptions {
  /** SQLite only: `full` fsyncs every commit (power-loss durable); `normal` (default) survives process crashes. */
  synchronous?: 'normal' | 'full'
}

export const openDatabase = async (url: string, opts: OpenOptions = {}): Promise<Database> => {
  const { dialect, target } = parseDatabaseUrl(url)
  return dialect === 'sqlite' ? openSqlite(target, opts) : openPostgres(target)
}

const provider = (dialect: Dialect): MigrationProvider => ({ getMigrations: async () => migrations(dialect) })

const runMigrations = async (db: Kysely<Tables>, dialect: Dialect) => {
  const { error, results } = await new Migrator({ db, provider: provider(dialect) }).migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')
    throw new Error(
      `migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`,
    )
  }
}

const openSqlite = (path: string, opts: OpenOptions): Database => {
  const memory = path === ':memory:'
  // Created private: it holds the database and, by default, the key that seals its passwords.
  if (!memory) mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  const raw = new SQLite(path)
  raw.pragma('journal_mode = WAL')
  // NORMAL: a commit is in the WAL before its request is answered, which survives a process
  // crash (kill -9); FULL (HADOOP_ECO_SQLITE_SYNCHRONOUS=full) also fsyncs, for power loss.
  raw.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  raw.pragma('busy_timeout = 5000')
  raw.pragma('foreign_keys = ON')
  // Statement journals (savepoints, conflict clauses) in memory, not in temp files.
  raw.pragma('temp_store = MEMORY')
  raw.pragma('cache_size = -65536')
  // Checkpoints run on a worker thread (below), never inside a request's commit.
  raw.pragma('wal_autocheckpoint = 0')
  const checkpointer = memory ? undefined : startCheckpointer(path)

  // Kysely's driver prepares every query anew; a bounded cache of prepared statements saves
  // that work on the queries that repeat (nearly all of them).
  const statements = new Map<string, SQLite.Statement>()
  const prepare = (sql: string): SQLite.Statement => {
    let stmt = statements.get(sql)
    if (stmt) {
      statements.delete(sql)
      statements.set(sql, stmt)
      return stmt
    }
    stmt = raw.prepare(sql)
    statements.set(sql, stmt)
    if (statements.size > 500) statements.delete(statements.keys().next().value as string)
    return stmt
  }
  const db = new Kysely<Tables>({
    dialect: new SqliteDialect({
      database: { prepare, close: () => raw.close() } as unknown as SQLite.Database,
    }),
  })

  // Kysely serializes its queries and transactions on the one connection; prepared statements
  // bypass it, so they wait while a transaction is open instead of reading its uncommitted state.
  let openTx: Promise<unknown> | undefined
  // The generation moves only when clusters rows change: the caches it stamps hold nothing else
  // (clusters.ts), and the reconciler's commits to work, events, sim_ops and vms would empty
  // them for nothing. A trigger counts at the write (an autocommit statement is committed when
  // it returns) and the commit counts again, so a result stamped in between is never served
  // after the commit. Temp triggers: this connection's own, nothing in the file for other
  // tools to trip on.
  let generation = 0
  let clustersWritten = false
  raw.function('he_clusters_written', () => {
    generation++
    clustersWritten = true
    return null
  })
  const CHANGES = ['insert', 'update', 'delete']
  const watchClusters = (on: boolean) => {
    for (const when of CHANGES) raw.exec(`drop trigger if exists temp.he_clusters_${when}`)
    const table = raw.prepare(`select 1 from sqlite_master where type = 'table' and name = 'clusters'`).get()
    if (on && table)
      for (const when of CHANGES)
        raw.exec(
          `create temp trigger he_clusters_${when} after ${when} on main.clusters begin select he_clusters_written(); end`,
        )
  }
  watchClusters(true)
  const batcher = createGroupCommit(db, {
    onOpen: (p) => {
      openTx = p
      void p.finally(() => {
        if (openTx === p) openTx = undefined
      })
    },
    onCommit: () => {
      if (!clustersWritten) return
      clustersWritten = false
      generation++
    },
    inTransaction: () => raw.inTransaction,
  })
  return {
    dialect: 'sqlite',
    db,
    writeGeneration: () => generation,
    prepared<R>(query: CompiledQuery) {
      const s = prepare(query.sql)
      const run = (params: readonly unknown[]): R[] => {
        if (s.reader) return s.all(...(params as unknown[])) as R[]
        s.run(...(params as unknown[]))
        return []
      }
      return async (params) => {
        while (openTx) await openTx.catch(() => undefined)
        return run(params)
      }
    },
    transaction: batcher,
    write: batcher,
    migrate: async () => {
      // A migration may rebuild the table: the triggers go first and come back on the new one.
      watchClusters(false)
      try {
        await runMigrations(db, 'sqlite')
      } finally {
        watchClusters(true)
        // Rows a migration changed were not counted: nothing cached before it stays valid.
        generation++
      }
    },
    async close() {
      while (openTx) await openTx.catch(() => undefined)
      await checkpointer?.terminate()
      if (!memory) raw.pragma('wal_checkpoint(TRUNCATE)')
      await db.destroy()
    },
  }
}

/**
 * Copies the WAL back into the database file from a second connection on a worker thread, so
 * the checkpoint's I/O never blocks the event loop. PASSIVE never waits for, nor blocks, writers.
 */
const startCheckpointer = (path: string): Worker => {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(
    `
    const { workerData } = require('node:worker_threads')
    const SQLite = require(workerData.driver)
    const db = new SQLite(workerData.path)
    db.pragma('busy_timeout = 1000')
    setInterval(() => {
      try { db.pragma('wal_checkpoint(PASSIVE)') } catch {}
    }, 1000)
    `,
    { eval: true, workerData: { driver, path } },
  )
  worker.unref()
  worker.on('error', () => undefined)
  return worker
}

interface Pending {
  fn: (trx: Kysely<Tables>) => Promise<unknown>
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

interface GroupCommitOptions {
  onOpen?: (p: Promise<unknown>) => void
  onCommit?: () => void
  /**
   * After a unit failed: is the transaction still open? SQLite may have rolled all of it back
   * (SQLITE_FULL, IOERR, BUSY, NOMEM); on PostgreSQL a failed `rollback to` says the same.
   */
  inTransaction?: () => boolean
}

/**
 * Group commit: transactions that arrive in the same turn of the event loop run inside one
 * database transaction, each in its own savepoint (a failing one rolls back alone), and share
 * one commit and one fsync (SQLite; PostgreSQL runs a transaction per caller, db.ts's openPostgres).
 * Each caller is answered only after that commit.
 */
const createGroupCommit = (db: Kysely<Tables>, opts: GroupCommitOptions = {}) => {
  const { onOpen, onCommit, inTransaction = () => true } = opts
  const queue: Pending[] = []
  let scheduled = false
  const MAX_BATCH = 256

  const runBatch = (batch: Pending[]) =>
    // BEGIN/COMMIT by hand rather than db.transaction(): after an automatic rollback Kysely's
    // own ROLLBACK would fail and hide the error that caused it.
    db.connection().execute(async (conn) => {
      const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = []
      await sql`begin`.execute(conn)
      try {
        for (const item of batch) {
          await sql`savepoint unit`.execute(conn)
          try {
            const value = await item.fn(conn)
            await sql`release unit`.execute(conn)
            outcomes.push({ ok: true, value })
          } catch (error) {
            // When the whole transaction is gone, the units before this one are lost too, and
            // none may be answered as done.
            if (!inTransaction()) throw error
            try {
              await sql`rollback to unit`.execute(conn)
              await sql`release unit`.execute(conn)
            } catch {
              throw error
            }
            outcomes.push({ ok: false, error })
          }
        }
        await sql`commit`.execute(conn)
      } catch (error) {
        if (inTransaction()) await sql`rollback`.execute(conn).catch(() => undefined)
        throw error
      }
      return outcomes
    })

  const flush = () => {
    scheduled = false
    const batch = queue.splice(0, MAX_BATCH)
    if (queue.length > 0) schedule()
    if (batch.length === 0) return
    const run = runBatch(batch).then(
      (outcomes) => {
        onCommit?.()
        outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error)))
      },
      (commitError: unknown) => batch.forEach((b) => b.reject(commitError)),
    )
    onOpen?.(run)
  }
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    // setImmediate, not a microtask: every request parsed in this I/O phase joins the batch.
    setImmediate(flush)
  }

  return <T>(fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject })
      schedule()
    })
}

const openPostgres = async (url: string): Promise<Database> => {
  const pg = await import('pg')
  // int8 columns hold epoch milliseconds, well inside Number's exact range.
  pg.default.types.setTypeParser(20, (v: string) => Number(v))
  // A server that stops answering (a network partition drops packets, no reset) fails a
  // checkout after 5 s and a query after 30 s, as a 503, instead of hanging the request; TCP
  // keep-alive finds dead idle connections.
  const pool = new pg.default.Pool({
    connectionString: url,
    max: PG_POOL,
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
    keepAlive: true,
    // A connection keeps the plans of its named statements, made against the tables as they
    // were; PostgreSQL replans them when statistics change, which takes autovacuum (off on
    // some servers). A connection replaced each minute plans against the tables as they are.
    maxLifetimeSeconds: 60,
  })
  // An idle connection the server drops (restart, admin kill) must not crash the process; the
  // pool replaces it on the next checkout.
  pool.on('error', () => undefined)
  // A connection lost in the middle of a query fails that query (the caller gets the error, the
  // API a 503) and also emits 'error' on its client, which the pool does not listen to while the
  // client is checked out: unheard, that event would crash the process.
  pool.on('connect', (client) => client.on('error', () => undefined))
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) })
  let statementNo = 0
  return {
    dialect: 'postgres',
    db,
    prepared<R>(query: CompiledQuery, options?: { planEachCall?: boolean }) {
      // A named statement: each connection parses and plans it once, then only binds. An
      // unnamed one is parsed and planned on each call, for its own parameters.
      const name = options?.planEachCall ? undefined : `he_${statementNo++}`
      return async (params) =>
        (await pool.query({ name, text: query.sql, values: params as unknown[] })).rows as R[]
    },
    // One transaction per caller. Group commit (as on SQLite) was tried and measured faster
    // for creates, but with several writers the batches hold each other's row locks (the
    // reconciler's claims and leases among them) and steps stalled under load in the lifecycle
    // and replica tests: PostgreSQL's own concurrency does this job safely.
    transaction: (fn) => db.transaction().execute(fn),
    write: (fn) => fn(db),
    migrate: async () => {
      // Several replicas may start at once: one migrates, the others wait on the lock.
      await sql_lock(db, async () => runMigrations(db, 'postgres'))
    },
    close: () => db.destroy(),
  }
}

const PG_POOL = 10
const MIGRATION_LOCK = 7_263_511

const sql_lock = async (db: Kysely<Tables>, fn: () => Promise<void>) => {
  await db.connection().execute(async (conn) => {
    await conn.executeQuery(CompiledQuery.raw('select pg_advisory_lock($1)', [MIGRATION_LOCK]))
    try {
      await fn()
    } finally {
      await conn.executeQuery(CompiledQuery.raw('select pg_advisory_unlock($1)', [MIGRATION_LOCK]))
    }
  })
}

const SQLITE_UNAVAILABLE = /^SQLITE_(READONLY|FULL|IOERR|BUSY|LOCKED|CANTOPEN|NOMEM|PROTOCOL)/
const NET_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/**
 * True for errors that say the database cannot take the request now (read-only, full, busy,
 * unreachable, restarting) rather than that the request or the code is wrong: the API answers
 * those with 503 and Retry-After, and the reconciler retries them.
 */
export const isDatabaseUnavailable = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (SQLITE_UNAVAILABLE.test(code) || NET_UNAVAILABLE.has(code)) return true
    // PostgreSQL SQLSTATEs: connection exceptions (08), insufficient resources (53), operator
    // intervention (57P01-57P03: shutdown, crash, starting), read-only transaction (25006),
    // serialization failure and deadlock (40001, 40P01).
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true
    if (code === '25006' || code === '40001' || code === '40P01') return true
  }
  const message = (error as { message?: unknown }).message
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connection is closed/i.test(
      message,
    )
  )
}
