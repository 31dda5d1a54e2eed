import type { Selectable } from 'kysely'
import type { Database } from './db.js'
import type { SimOpsTable } from './tables.js'

export type SimOpRow = Selectable<SimOpsTable>

/** The simulator provider's durable state: one row per operation, keyed by the caller's deterministic key. */
export const createSimOpStore = ({ db, transaction }: Database) => ({
  async get(key: string): Promise<SimOpRow | undefined> {
    return db.selectFrom('sim_ops').selectAll().where('key', '=', key).executeTakeFirst()
  },
  /** Inserts unless the key exists; returns the row that is stored either way. */
  async ensure(row: SimOpRow): Promise<SimOpRow> {
    // In a transaction so that, on SQLite, the write joins a group commit.
    return transaction(async (trx) => {
      const inserted = await trx
        .insertInto('sim_ops')
        .values(row)
        .onConflict((oc) => oc.column('key').doNothing())
        .returningAll()
        .executeTakeFirst()
      return (
        inserted ?? trx.selectFrom('sim_ops').selectAll().where('key', '=', row.key).executeTakeFirstOrThrow()
      )
    })
  },
  async deleteAll(): Promise<void> {
    await transaction((trx) => trx.deleteFrom('sim_ops').execute())
  },
})

export type SimOpStore = ReturnType<typeof createSimOpStore>
