import type { Kysely } from 'kysely'
import type { EventReason } from '../domain/statuses.js'
import type { Database } from './db.js'
import type { Tables } from './tables.js'

export interface NewEvent {
  clusterId: string
  at: number
  type: 'StatusChanged' | 'Requested' | 'VmChanged' | 'TaskChanged' | 'Error'
  fromStatus?: string | null
  toStatus?: string | null
  reason: EventReason
  message: string
}

export const createEventStore = ({ db }: Database) => ({
  async append(trx: Kysely<Tables>, e: NewEvent): Promise<void> {
    await trx
      .insertInto('events')
      .values({
        cluster_id: e.clusterId,
        at: e.at,
        type: e.type,
        from_status: e.fromStatus ?? null,
        to_status: e.toStatus ?? null,
        reason: e.reason,
        message: e.message,
      })
      .execute()
  },

  /** Oldest first. Events are append-only, so a position is a stable per-cluster sequence number. */
  async list(clusterId: string, offset: number, limit: number) {
    const [{ n }, rows] = await Promise.all([
      db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('cluster_id', '=', clusterId)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('events')
        .selectAll()
        .where('cluster_id', '=', clusterId)
        .orderBy('seq', 'asc')
        .limit(limit)
        .offset(offset)
        .execute(),
    ])
    return {
      total: Number(n),
      rows: rows.map((r, i) => ({
        seq: offset + i + 1,
        at: r.at,
        type: r.type,
        fromStatus: r.from_status,
        toStatus: r.to_status,
        reason: r.reason,
        message: r.message,
      })),
    }
  },

  async deleteAll(trx: Kysely<Tables>): Promise<void> {
    await trx.deleteFrom('events').execute()
  },
})

export type EventStore = ReturnType<typeof createEventStore>
