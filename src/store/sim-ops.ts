import type { Selectable } from 'kysely'
import type { Database } from './db.js'
import type { SimOpsTable } from './tables.js'

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
const toRow = (r: SimRecord): Selectable<SimOpsTable> => ({
  key: r.key,
  cluster_id: r.clusterId,
  kind: r.kind,
  started_at: r.startedAt,
  ready_at: r.readyAt,
  outcome: r.outcome,
  result: r.detail,
})

/** The simulator provider's durable records, keyed by keys it chooses. */
export const createSimRecordStore = ({ db, write }: Database) => ({
  async get(key: string): Promise<SimRecord | undefined> {
    const row = await db.selectFrom('sim_ops').selectAll().where('key', '=', key).executeTakeFirst()
    return row && toSimRecord(row)
  },
  async getMany(keys: readonly string[]): Promise<Map<string, SimRecord>> {
    const rows = await db.selectFrom('sim_ops').selectAll().where('key', 'in', keys).execute()
    return new Map(rows.map((r) => [r.key, toSimRecord(r)]))
  },
  async ensure(record: SimRecord): Promise<SimRecord> {
    // The read-back sees the winner's row: on PostgreSQL it is its own statement, after the
    // insert waited for the conflicting one to commit.
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
    const rows = await db.selectFrom('sim_ops').selectAll().where('cluster_id', '=', clusterId).execute()
    return rows.map(toSimRecord)
  },
  async deleteAll(): Promise<void> {
    await write((trx) => trx.deleteFrom('sim_ops').execute())
  },
})
