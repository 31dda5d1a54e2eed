import type { Database } from './db.js'

/** Which key sealed the stored passwords, and the one-time sealing of passwords stored before. */
export const createSecretsStore = (database: Database) => {
  const { db } = database
  return {
    /**
     * Records `keyId` as the database's key unless one is recorded already; returns the
     * recorded one and whether this call recorded it. Replicas racing here agree on one.
     */
    async claimKeyId(keyId: string): Promise<{ keyId: string; claimed: boolean }> {
      const res = await db
        .insertInto('settings')
        .values({ key: 'secret_key_id', value: keyId })
        .onConflict((oc) => oc.column('key').doNothing())
        .executeTakeFirst()
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', 'secret_key_id')
        .executeTakeFirstOrThrow()
      return { keyId: row.value, claimed: Number(res.numInsertedOrUpdatedRows ?? 0) === 1 }
    },

    /** Rewrites every stored spec through `reseal` (which returns undefined for "unchanged"). */
    async resealSpecs(reseal: (spec: string) => string | undefined): Promise<number> {
      return database.transaction(async (trx) => {
        const rows = await trx
          .selectFrom('clusters')
          .select(['id', 'spec'])
          .where('spec', 'like', '%"userPw":"%')
          // Specs are sealed whole (every password at once): a sealed one needs no second look.
          .where('spec', 'not like', '%"userPw":"enc:v1:%')
          .execute()
        let n = 0
        for (const r of rows) {
          const spec = reseal(r.spec)
          if (spec === undefined) continue
          await trx.updateTable('clusters').set({ spec }).where('id', '=', r.id).execute()
          n++
        }
        return n
      })
    },
  }
}
