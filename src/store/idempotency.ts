import type { Selectable } from 'kysely'
import type { Database } from './db.js'
import type { IdempotencyTable } from './tables.js'
import { asTx, kx, type Tx } from './tx.js'

export type IdempotencyRow = Selectable<IdempotencyTable>

const completeIn = async (
  tx: Tx,
  project: string,
  key: string,
  status: number,
  body: string,
): Promise<void> => {
  await kx(tx)
    .updateTable('idempotency_keys')
    .set({ state: 'done', response_status: status, response_body: body })
    .where('project', '=', project)
    .where('key', '=', key)
    .execute()
}

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
    await transaction((trx) => completeIn(asTx(trx), project, key, status, body))
  },
  /** complete, inside a caller's transaction: the answer commits with the action or not at all. */
  completeIn,
  /**
   * Forgets records older than `before` (the 24 h replay window) and any stored in clear by a
   * version before answers were sealed (their digests no longer match anyway).
   */
  async purge(before: number, sealedPrefix: string): Promise<number> {
    const res = await transaction((trx) =>
      trx
        .deleteFrom('idempotency_keys')
        .where((eb) =>
          eb.or([
            eb('created_at', '<', before),
            eb.and([
              eb('response_body', 'is not', null),
              eb('response_body', 'not like', `${sealedPrefix}%`),
            ]),
          ]),
        )
        .executeTakeFirst(),
    )
    return Number(res.numDeletedRows ?? 0)
  },
  /** Frees a key: the first request failed without acting, or the record expired. */
  async release(project: string, key: string, createdBefore?: number): Promise<void> {
    await transaction(async (trx) => {
      let q = trx.deleteFrom('idempotency_keys').where('project', '=', project).where('key', '=', key)
      // An expired record goes whatever its state; otherwise only a claim that never acted: an
      // answer recorded with its action (a 5xx after the commit) must still be replayed.
      q =
        createdBefore !== undefined
          ? q.where('created_at', '<', createdBefore)
          : q.where('state', '=', 'pending')
      await q.execute()
    })
  },
})

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>
