import { CompiledQuery, type Selectable } from 'kysely'
import { batchedByKey, batchedGroups, batchedReads } from './batched-reads.js'
import type { Database } from './db.js'
import type { SimOpsTable } from './tables.js'
import { order } from './text.js'

/** One record of the simulator provider; it owns their meaning (providers/simulator/records.ts). */
export interface SimRecord {
  key: string
  clusterId: string
  kind: string
  startedAt: number
  readyAt: number
  outcome: string
  detail: string
}

export const toSimRecord = (r: Selectable<SimOpsTable>): SimRecord => ({
  key: r.key,
  clusterId: r.cluster_id,
  kind: r.kind,
  startedAt: r.started_at,
  readyAt: r.ready_at,
  outcome: r.outcome,
  detail: r.result,
})
const toRow = (r: SimRecord): SimOpsRow => ({
  key: r.key,
  cluster_id: r.clusterId,
  kind: r.kind,
  started_at: r.startedAt,
  ready_at: r.readyAt,
  outcome: r.outcome,
  result: r.detail,
})

type SimOpsRow = Selectable<SimOpsTable>

/**
 * The simulator provider's durable records, keyed by keys it chooses.
 *
 * PostgreSQL: the reconciler runs many passes at once and each asks the simulator for a VM or an
 * installation with a read and an insert; 1,000 clusters made 23,000 such statements, 40 % of
 * all. The reads, lists and inserts of one turn of the event loop each go as one statement
 * (batched-reads.ts) instead. SQLite answers a statement in microseconds in-process: direct.
 */
export const createSimRecordStore = (database: Database) => {
  const { db, write } = database
  const pg = database.dialect === 'postgres'

  const byKeys = pg
    ? database.prepared<SimOpsRow>(CompiledQuery.raw('select * from sim_ops where key = any($1::text[])'), {
        planEachCall: true,
      })
    : undefined
  const getBatched =
    byKeys &&
    batchedReads(async (keys) => new Map((await byKeys([keys])).map((r) => [r.key, toSimRecord(r)])))

  const byClusters = pg
    ? database.prepared<SimOpsRow>(
        CompiledQuery.raw('select * from sim_ops where cluster_id = any($1::text[]) order by key'),
        { planEachCall: true },
      )
    : undefined
  const listBatched =
    byClusters &&
    batchedGroups(
      (ids) => byClusters([ids]),
      (r) => r.cluster_id,
      toSimRecord,
    )

  // First writer wins, also inside a batch: a second ensure of a key in the same turn shares the
  // first one's slot and answer. Inserted in key order, so two replicas' batches that meet on
  // some keys wait for each other in one order (never a deadlock). A skipped row is read back in
  // a statement of its own, which sees the winner's row once the insert has waited for its commit.
  const insertMany = pg
    ? database.prepared<SimOpsRow>(
        CompiledQuery.raw(
          `insert into sim_ops (key, cluster_id, kind, started_at, ready_at, outcome, result)
           select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])
           on conflict (key) do nothing returning *`,
        ),
      )
    : undefined
  const ensureBatched =
    insertMany &&
    byKeys &&
    batchedByKey(
      (r: SimRecord) => r.key,
      async (batch) => {
        const rows = [...batch].sort((a, b) => order(a.key, b.key)).map(toRow)
        const col = <K extends keyof SimOpsRow>(k: K) => rows.map((r) => r[k])
        const inserted = await insertMany([
          col('key'),
          col('cluster_id'),
          col('kind'),
          col('started_at'),
          col('ready_at'),
          col('outcome'),
          col('result'),
        ])
        const out = new Map(inserted.map((r) => [r.key, toSimRecord(r)]))
        const skipped = rows.filter((r) => !out.has(r.key)).map((r) => r.key)
        if (skipped.length > 0) for (const r of await byKeys([skipped])) out.set(r.key, toSimRecord(r))
        return out
      },
    )

  const get = async (key: string): Promise<SimRecord | undefined> => {
    if (getBatched) return getBatched(key)
    const row = await db.selectFrom('sim_ops').selectAll().where('key', '=', key).executeTakeFirst()
    return row && toSimRecord(row)
  }

  return {
    get,
    async getMany(keys: readonly string[]): Promise<Map<string, SimRecord>> {
      if (getBatched) {
        const found = await Promise.all(keys.map(async (k) => [k, await getBatched(k)] as const))
        return new Map(found.flatMap(([k, r]) => (r ? [[k, r] as const] : [])))
      }
      const rows = await db.selectFrom('sim_ops').selectAll().where('key', 'in', keys).execute()
      return new Map(rows.map((r) => [r.key, toSimRecord(r)]))
    },
    async ensure(record: SimRecord): Promise<SimRecord> {
      if (ensureBatched) {
        const stored = await ensureBatched(record)
        if (!stored) throw new Error(`sim record ${record.key} neither inserted nor found`)
        return stored
      }
      // The read-back sees the winner's row.
      return write(async (trx) => {
        const inserted = await trx
          .insertInto('sim_ops')
          .values(toRow(record))
          .onConflict((oc) => oc.column('key').doNothing())
          .returningAll()
          .executeTakeFirst()
        return toSimRecord(
          inserted ??
            (await trx
              .selectFrom('sim_ops')
              .selectAll()
              .where('key', '=', record.key)
              .executeTakeFirstOrThrow()),
        )
      })
    },
    async replace(record: SimRecord): Promise<void> {
      const { key, ...rest } = toRow(record)
      await write((trx) => trx.updateTable('sim_ops').set(rest).where('key', '=', key).execute())
    },
    async list(clusterId: string): Promise<SimRecord[]> {
      if (listBatched) return listBatched(clusterId)
      const rows = await db.selectFrom('sim_ops').selectAll().where('cluster_id', '=', clusterId).execute()
      return rows.map(toSimRecord)
    },
    async deleteAll(): Promise<void> {
      await write((trx) => trx.deleteFrom('sim_ops').execute())
    },
  }
}
