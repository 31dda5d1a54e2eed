import type { Selectable } from 'kysely'
import type { Database } from './db.js'
import type { IdempotencyTable } from './tables.js'

export type IdempotencyRow = Selectable<IdempotencyTable>

export const createIdempotencyStore = ({ db, transaction }: Database) => ({
  /** Claims a key for a first request. False when the key is already taken. */
  async claim(project: string, key: string, requestHash: string, now: number): Promise<boolean> {
    const res = await transaction((trx) =>
      trx
        .insertInto('idempotency_keys')
        .values({
          project,
          key,
          request_hash: requestHash,
          state: 'pending',
          response_status: null,
          response_body: null,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['project', 'key']).doNothing())
        .executeTakeFirst(),
    )
    return Number(res.numInsertedOrUpdatedRows ?? 0) === 1
  },
  async get(project: string, key: string): Promise<IdempotencyRow | undefined> {
    return db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('project', '=', project)
      .where('key', '=', key)
      .executeTakeFirst()
  },
  async complete(project: string, key: string, status: number, body: string): Promise<void> {
    await transaction((trx) =>
      trx
        .updateTable('idempotency_keys')
        .set({ state: 'done', response_status: status, response_body: body })
        .where('project', '=', project)
        .where('key', '=', key)
        .execute(),
    )
  },
  /** Frees a key: the first request failed without acting, or the record expired. */
  async release(project: string, key: string, createdBefore?: number): Promise<void> {
    await transaction(async (trx) => {
      let q = trx.deleteFrom('idempotency_keys').where('project', '=', project).where('key', '=', key)
      if (createdBefore !== undefined) q = q.where('created_at', '<', createdBefore)
      await q.execute()
    })
  },
})

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>
