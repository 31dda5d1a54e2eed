import type { Selectable } from 'kysely'
import type { Database } from './db.js'
import type { CredentialsTable } from './tables.js'
import { hasNul } from './text.js'

export type CredentialRow = Selectable<CredentialsTable>

export const createCredentialStore = (database: Database) => {
  const { db } = database
  const byId = database.prepared<CredentialRow>(
    db.selectFrom('credentials').selectAll().where('id', '=', '?').where('revoked_at', 'is', null).compile(),
  )
  return {
    async getActive(id: string): Promise<CredentialRow | undefined> {
      if (hasNul(id)) return undefined
      const [row] = await byId([id])
      return row
    },
    async insert(row: CredentialRow): Promise<boolean> {
      const res = await db
        .insertInto('credentials')
        .values(row)
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst()
      return Number(res.numInsertedOrUpdatedRows ?? 0) === 1
    },
    async get(id: string): Promise<CredentialRow | undefined> {
      if (hasNul(id)) return undefined
      return db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst()
    },
    async list(): Promise<CredentialRow[]> {
      return db
        .selectFrom('credentials')
        .selectAll()
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .execute()
    },
    async countActive(): Promise<number> {
      const { n } = await db
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow()
      return Number(n)
    },
    async revoke(id: string, now: number): Promise<boolean> {
      if (hasNul(id)) return false
      const res = await db
        .updateTable('credentials')
        .set({ revoked_at: now })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },
  }
}

export type CredentialStore = ReturnType<typeof createCredentialStore>
