import type { Selectable } from 'kysely'
import type { Database } from './db.js'
import type { FaultsTable } from './tables.js'
import { kx, type Tx } from './tx.js'
import { hasNul } from './text.js'

export type FaultRow = Selectable<FaultsTable>

export const createFaultStore = ({ db }: Database) => ({
  async insert(row: FaultRow): Promise<void> {
    await db.insertInto('faults').values(row).execute()
  },
  async list(): Promise<FaultRow[]> {
    return db.selectFrom('faults').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute()
  },
  async remove(id: string): Promise<boolean> {
    if (hasNul(id)) return false
    const res = await db.deleteFrom('faults').where('id', '=', id).executeTakeFirst()
    return Number(res.numDeletedRows) === 1
  },
  /** Uses up one hit of a limited fault; false if another caller took the last one. */
  async consume(id: string): Promise<boolean> {
    const row = await db.selectFrom('faults').select('times_left').where('id', '=', id).executeTakeFirst()
    if (!row) return false
    if (row.times_left === null) return true
    const res = await db
      .updateTable('faults')
      .set({ times_left: row.times_left - 1 })
      .where('id', '=', id)
      .where('times_left', '=', row.times_left)
      .where('times_left', '>', 0)
      .executeTakeFirst()
    return Number(res.numUpdatedRows) === 1
  },
  async deleteAll(tx: Tx): Promise<void> {
    await kx(tx).deleteFrom('faults').execute()
  },
})

export type FaultStore = ReturnType<typeof createFaultStore>
