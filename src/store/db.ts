import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import {
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
   * Runs a query compiled once at start-up. On SQLite it goes straight to a cached prepared
   * statement: the hot paths (auth, GET one cluster) cannot afford the query builder's
   * per-call cost. `params` must follow the placeholders' order.
   */
  prepared<R>(query: CompiledQuery): (params: readonly unknown[]) => Promise<R[]>
  /** Runs `fn` in one transaction (BEGIN IMMEDIATE on SQLite, so writers queue instead of failing). */
  transaction<T>(fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T>
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

export const openDatabase = async (url: string): Promise<Database> => {
  const { dialect, target } = parseDatabaseUrl(url)
  return dialect === 'sqlite' ? openSqlite(target) : openPostgres(target)
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

const openSqlite = (path: string): Database => {
  const memory = path === ':memory:'
  if (!memory) mkdirSync(dirname(path), { recursive: true })
  const raw = new SQLite(path)
  raw.pragma('journal_mode = WAL')
  // NORMAL with WAL is durable against process crashes (kill -9); only an OS crash may lose the
  // last transactions. The busy timeout lets two processes share the file.
  raw.pragma('synchronous = NORMAL')
  raw.pragma('busy_timeout = 5000')
  raw.pragma('foreign_keys = ON')
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) })
  const statements = new Map<string, SQLite.Statement>()
  // Kysely's SQLite driver serializes its own queries and transactions on the one connection;
  // prepared statements bypass it, so they wait while a transaction is open rather than read
  // (or write into) its uncommitted state.
  let openTx: Promise<unknown> | undefined
  return {
    dialect: 'sqlite',
    db,
    prepared<R>(query: CompiledQuery) {
      let stmt = statements.get(query.sql)
      if (!stmt) {
        stmt = raw.prepare(query.sql)
        statements.set(query.sql, stmt)
      }
      const s = stmt
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
    transaction<T>(fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
      const p = db.transaction().execute(fn)
      const tracked = p.finally(() => {
        if (openTx === tracked) openTx = undefined
      })
      openTx = tracked
      return p
    },
    migrate: () => runMigrations(db, 'sqlite'),
    async close() {
      while (openTx) await openTx.catch(() => undefined)
      await db.destroy()
    },
  }
}

const openPostgres = async (url: string): Promise<Database> => {
  const pg = await import('pg')
  // int8 columns hold epoch milliseconds, well inside Number's exact range.
  pg.default.types.setTypeParser(20, (v: string) => Number(v))
  const pool = new pg.default.Pool({ connectionString: url, max: 10 })
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) })
  return {
    dialect: 'postgres',
    db,
    prepared<R>(query: CompiledQuery) {
      return async (params) =>
        (await db.executeQuery<R>(CompiledQuery.raw(query.sql, params as unknown[]))).rows
    },
    transaction: (fn) => db.transaction().execute(fn),
    migrate: async () => {
      // Several replicas may start at once: one migrates, the others wait on the lock.
      await sql_lock(db, async () => runMigrations(db, 'postgres'))
    },
    close: () => db.destroy(),
  }
}

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
