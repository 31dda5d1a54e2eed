/**
 * What every fuzzed response must satisfy, and the database digest that proves a rejected
 * request changed nothing.
 */
import { Kind, Type, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { sql, type Kysely } from 'kysely'
import { expect } from 'vitest'
import { ERRORS, REASON_PHRASES } from '../../src/domain/errors.js'
import type { Tables } from '../../src/store/tables.js'
import {
  ClusterPageSchema,
  ClusterRefSchema,
  ClusterSchema,
  ErrorBodySchema,
  EventPageSchema,
  VmPageSchema,
} from '../../src/wire/schemas.js'

/** A response, from app.inject or parsed off a socket. Header names lower-cased. */
export interface Resp {
  status: number
  headers: Record<string, string | undefined>
  body: string
}

/** The same schema with `additionalProperties: false` on every object: no undocumented keys. */
export const strict = <T extends TSchema>(schema: T): T => {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk)
    if (typeof v !== 'object' || v === null) return v
    const src = v as Record<string | symbol, unknown>
    const out: Record<string | symbol, unknown> = {}
    for (const key of Reflect.ownKeys(src)) out[key] = walk(src[key])
    if (src[Kind] === 'Object') out.additionalProperties = false
    return out
  }
  return walk(schema) as T
}

const Str = Type.String()
const Int = Type.Integer()
const Fault = Type.Object({
  id: Str,
  match: Type.Object({ clusterName: Type.Optional(Str), path: Type.Optional(Str) }),
  fault: Type.Union(
    ['provisionFailure', 'installFailure', 'taskFailure', 'apiError'].map((f) => Type.Literal(f)),
  ),
  status: Type.Optional(Int),
  times: Type.Optional(Int),
  createdAt: Int,
})
export const SHAPES = {
  clusterRef: strict(ClusterRefSchema),
  cluster: strict(ClusterSchema),
  clusterPage: strict(ClusterPageSchema),
  vmPage: strict(VmPageSchema),
  eventPage: strict(EventPageSchema),
  error: strict(ErrorBodySchema),
  newCredential: strict(Type.Object({ id: Str, secret: Str, project: Str, owner: Str })),
  credentials: strict(
    Type.Array(
      Type.Object({ id: Str, project: Str, owner: Str, createdAt: Int, revokedAt: Type.Optional(Int) }),
    ),
  ),
  fault: strict(Fault),
  faults: strict(Type.Array(Fault)),
}

export const ENVELOPE_KEYS = ['code', 'error', 'errors', 'message', 'path', 'status', 'timestamp']

/** A short description of an exchange for assertion messages. */
export const describeExchange = (req: { method: string; url: string }, r: Resp): string =>
  `${req.method} ${req.url.slice(0, 300)} -> ${r.status} ${JSON.stringify(r.headers).slice(0, 400)} ${r.body.slice(0, 600)}`

const parseJson = (text: string, ctx: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new Error(`body is not JSON: ${ctx}`)
  }
}

/** A 2xx body: JSON matching `schema` exactly. Returns the parsed body. */
export const expectShape = (schema: TSchema, r: Resp, ctx: string): unknown => {
  expect(r.headers['content-type'], ctx).toMatch(/^application\/json/)
  const body = parseJson(r.body, ctx)
  if (!Value.Check(schema, body)) {
    const first = [...Value.Errors(schema, body)].slice(0, 3).map((e) => `${e.path}: ${e.message}`)
    throw new Error(`2xx body does not match its wire schema (${first.join('; ')}): ${ctx}`)
  }
  return body
}

/**
 * The error envelope of DESIGN section 2: exactly its seven keys, `status` equal to the HTTP
 * status, the reason phrase, an ISO timestamp, a catalogued code, the request's path, and the
 * X-Request-Id header.
 */
export const expectEnvelope = (r: Resp, requestPath: string, ctx: string, rawSocket = false) => {
  expect(r.headers['x-request-id'], `X-Request-Id missing: ${ctx}`).toBeTruthy()
  expect(r.headers['content-type'], ctx).toMatch(/^application\/json/)
  const body = parseJson(r.body, ctx) as Record<string, unknown>
  expect(typeof body === 'object' && body !== null && !Array.isArray(body), ctx).toBe(true)
  expect(Object.keys(body).sort(), ctx).toEqual(ENVELOPE_KEYS)
  expect(Value.Check(SHAPES.error, body), ctx).toBe(true)
  expect(body.status, ctx).toBe(r.status)
  expect(body.error, ctx).toBe(REASON_PHRASES[r.status])
  expect(new Date(body.timestamp as string).toISOString(), ctx).toBe(body.timestamp)
  expect(ERRORS[body.code as keyof typeof ERRORS], `code ${String(body.code)} not catalogued: ${ctx}`).toBe(
    r.status,
  )
  for (const e of body.errors as { code: string }[])
    expect(Object.hasOwn(ERRORS, e.code), `field code ${e.code} not catalogued: ${ctx}`).toBe(true)
  // Requests Node's own parser refuses never reach the router: the server's clientErrorHandler
  // answers them with an empty path (it may not have a request line to take one from).
  if (rawSocket && PARSER_CODES.includes(body.code as string) && body.path === '') return
  expect(body.path, ctx).toBe(requestPath)
}

/** Codes of the answers the server's clientErrorHandler writes for Node's parser errors. */
export const PARSER_CODES = ['MALFORMED_REQUEST', 'HEADERS_TOO_LARGE', 'REQUEST_TIMEOUT']

/**
 * Counts every row written to any table that holds state, so "a rejected request changed
 * nothing" is one comparison per request. Test-only row-level triggers (SQLite and PostgreSQL)
 * bump a counter on each INSERT, UPDATE or DELETE. This is stricter than comparing a digest of
 * the rows before and after (it also sees a write that puts back the same values, or that is
 * undone by a later one), and at about 0.1 ms instead of ~10 ms a request (a `select *` of every
 * table, hashed, once the fuzz has made a few hundred clusters) it lets the fuzz run thousands
 * of cases. The app never uses TRUNCATE or DDL at run time, which row triggers would not see.
 *
 * Left out: `idempotency_keys`, because a rejected POST or DELETE that carried an
 * Idempotency-Key legitimately records its 4xx answer for replay (DESIGN section 6: the same key
 * and body return the first response); and Kysely's migration bookkeeping.
 */
export const createWriteCounter = async ({
  dialect,
  db,
}: {
  dialect: 'sqlite' | 'postgres'
  db: Kysely<Tables>
}) => {
  const tables = (await db.introspection.getTables())
    .map((t) => t.name)
    // SQLite's trigram index on names (a virtual table and its shadow tables) is written only by
    // the triggers of `clusters`, whose writes are counted.
    .filter(
      (name) =>
        name !== 'idempotency_keys' &&
        !name.startsWith('kysely_') &&
        !name.startsWith('clusters_name_trigram'),
    )
    .sort()
  expect(tables).toEqual(
    expect.arrayContaining(['clusters', 'vms', 'events', 'credentials', 'faults', 'work', 'sim_ops']),
  )
  // One row per write, never one shared counter: a hot counter row makes the engine's concurrent
  // transactions deadlock on PostgreSQL through the trigger itself.
  await sql`create table fz_writes (at integer)`.execute(db)
  if (dialect === 'sqlite') {
    for (const table of tables)
      for (const op of ['insert', 'update', 'delete'])
        await sql
          .raw(
            `create trigger fz_${op}_${table} after ${op} on "${table}" begin insert into fz_writes (at) values (1); end`,
          )
          .execute(db)
  } else {
    await sql
      .raw(
        'create function fz_count_write() returns trigger language plpgsql as ' +
          '$$ begin insert into fz_writes (at) values (1); return null; end $$',
      )
      .execute(db)
    for (const table of tables)
      await sql
        .raw(
          `create trigger fz_count_write after insert or update or delete on "${table}" ` +
            'for each row execute function fz_count_write()',
        )
        .execute(db)
  }
  return {
    tables,
    async writes(): Promise<number> {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from fz_writes`.execute(db)
      return Number(rows[0]!.n)
    },
  }
}
