import type { EventRecord, NewEvent } from '../domain/events.js'
import type { Database } from './db.js'
import { kx, type Tx } from './tx.js'

export const newEventRow = (e: NewEvent) => ({
  cluster_id: e.clusterId,
  at: e.at,
  type: e.type,
  from_status: e.fromStatus ?? null,
  to_status: e.toStatus ?? null,
  reason: e.reason,
  message: e.message,
})

export const createEventStore = ({ db }: Database) => ({
  async append(tx: Tx, e: NewEvent): Promise<void> {
    await kx(tx).insertInto('events').values(newEventRow(e)).execute()
  },

  /** Oldest first. Events are append-only, so a position is a stable per-cluster sequence number. */
  async list(
    clusterId: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; rows: EventRecord[] }> {
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

  async deleteAll(tx: Tx): Promise<void> {
    await kx(tx).deleteFrom('events').execute()
  },
})

export type EventStore = ReturnType<typeof createEventStore>
