import type { Database } from './db.js'

const SEALED_THROUGH = 'specs_sealed_through'

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

    /**
     * Rewrites the stored specs after cluster `afterSeq` through `reseal` (which returns
     * undefined for "unchanged"); returns how many changed, the highest cluster seq there was
     * when it began (for the next start to begin near it) and whether it got there (`stop()`
     * is asked between chunks). Reads `chunk` seqs at a time and yields to the event loop
     * between them (a SQLite read blocks it: a million specs take about a second), so requests
     * are served while it runs; a chunk's rewrites commit together, each only over the spec it
     * read.
     */
    async resealSpecs(
      reseal: (spec: string) => string | undefined,
      afterSeq = 0,
      chunk = 20_000,
      stop: () => boolean = () => false,
    ): Promise<{ resealed: number; lastSeq: number; complete: boolean }> {
      const last = await db
        .selectFrom('clusters')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst()
      const lastSeq = Number(last?.seq ?? 0)
      let resealed = 0
      for (let from = afterSeq; from < lastSeq; from += chunk) {
        if (stop()) return { resealed, lastSeq, complete: false }
        const rows = await db
          .selectFrom('clusters')
          .select(['id', 'spec'])
          // The primary key's range: a start reads only the clusters made since the last one.
          .where('seq', '>', from)
          .where('seq', '<=', Math.min(from + chunk, lastSeq))
          .where('spec', 'like', '%"userPw":"%')
          // Specs are sealed whole (every password at once): a sealed one needs no second look.
          .where('spec', 'not like', '%"userPw":"enc:v1:%')
          .execute()
        const changes = rows.flatMap((r) => {
          const spec = reseal(r.spec)
          return spec === undefined ? [] : [{ id: r.id, read: r.spec, spec }]
        })
        if (changes.length > 0)
          resealed += await database.transaction(async (trx) => {
            let n = 0
            for (const c of changes) {
              const res = await trx
                .updateTable('clusters')
                .set({ spec: c.spec })
                .where('id', '=', c.id)
                .where('spec', '=', c.read)
                .executeTakeFirst()
              n += Number(res.numUpdatedRows)
            }
            return n
          })
        await new Promise((resolve) => setImmediate(resolve))
      }
      return { resealed, lastSeq, complete: true }
    },

    /** The cluster seq every spec up to which was checked sealed by an earlier start (0: none). */
    async sealedThrough(): Promise<number> {
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', SEALED_THROUGH)
        .executeTakeFirst()
      return row ? Number(row.value) : 0
    },

    async setSealedThrough(seq: number): Promise<void> {
      const value = String(seq)
      await db
        .insertInto('settings')
        .values({ key: SEALED_THROUGH, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute()
    },
  }
}
