import { CompiledQuery, sql } from 'kysely'
import { batchedByKey } from './batched-reads.js'
import type { Database } from './db.js'
import { order } from './text.js'
import { kx, type Tx } from './tx.js'

export class LeaseLostError extends Error {
  constructor(clusterId: string) {
    super(`lease on cluster ${clusterId} was lost`)
    this.name = 'LeaseLostError'
  }
}

/** A cluster's first work row: due at `dueAt`, unleased. */
export const newWorkRow = (clusterId: string, dueAt: number) => ({
  cluster_id: clusterId,
  due_at: dueAt,
  lease_owner: null,
  lease_expires_at: null,
  dirty: 0,
  attempts: 0,
})

/**
 * The reconciler's work queue: one row per cluster that needs attention. A reconciler claims
 * rows with a lease (owner + expiry); every write it makes is fenced on both, so a replica
 * whose lease expired (paused, partitioned, killed) can never act twice.
 */
export const createWorkStore = (database: Database) => {
  const { db, dialect } = database
  // Writes go through database.transaction or database.write so that, on SQLite, they join a
  // group commit instead of paying one fsync each.
  const tx = database.transaction
  const write = database.write
  // PostgreSQL: the passes that end in one turn of the event loop give their clusters back in
  // one statement, in cluster order (two replicas' batches never wait for each other crosswise).
  type Release = {
    n: number
    clusterId: string
    owner: string
    nextDueAt: number
    now: number
    failed: boolean
  }
  let releases = 0
  const releaseMany =
    dialect === 'postgres'
      ? database.prepared(
          CompiledQuery.raw(
            `update work set lease_owner = null, lease_expires_at = null,
               due_at = case when work.dirty = 1 then r.now else r.next end,
               attempts = case when r.failed then work.attempts + 1 else 0 end,
               dirty = 0
             from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::boolean[])
               as r(cluster_id, owner, next, now, failed)
             where work.cluster_id = r.cluster_id and work.lease_owner = r.owner`,
          ),
          { planEachCall: true },
        )
      : undefined
  const releaseBatched =
    releaseMany &&
    batchedByKey(
      (r: Release) => String(r.n),
      async (batch) => {
        const rows = [...batch].sort((a, b) => order(a.clusterId, b.clusterId))
        const col = <K extends keyof Release>(k: K) => rows.map((r) => r[k])
        await releaseMany([col('clusterId'), col('owner'), col('nextDueAt'), col('now'), col('failed')])
        return new Map<string, undefined>()
      },
    )

  return {
    /** Asks for a look at `dueAt` (or sooner, if already asked). Safe while leased: marks it dirty. */
    async enqueue(tx: Tx, clusterId: string, dueAt: number): Promise<void> {
      await kx(tx)
        .insertInto('work')
        .values(newWorkRow(clusterId, dueAt))
        .onConflict((oc) =>
          oc.column('cluster_id').doUpdateSet({
            due_at:
              dialect === 'sqlite' ? sql`min(work.due_at, ${dueAt})` : sql`least(work.due_at, ${dueAt})`,
            dirty: 1,
          }),
        )
        .execute()
    },

    async claim(owner: string, now: number, leaseMs: number, limit: number): Promise<string[]> {
      const expires = now + leaseMs
      if (dialect === 'postgres') {
        const res = await sql<{ cluster_id: string }>`
          update work set lease_owner = ${owner}, lease_expires_at = ${expires}, dirty = 0
          where cluster_id = any(array(
            select cluster_id from work
            where due_at <= ${now} and (lease_owner is null or lease_expires_at < ${now})
            order by due_at limit ${limit} for update skip locked))
          returning cluster_id`.execute(db)
        return res.rows.map((r) => r.cluster_id)
      }
      // SQLite has one writer at a time, so the sub-select and the update are atomic together.
      const res = await tx((trx) =>
        sql<{ cluster_id: string }>`
        update work set lease_owner = ${owner}, lease_expires_at = ${expires}, dirty = 0
        where cluster_id in (
          select cluster_id from work
          where due_at <= ${now} and (lease_owner is null or lease_expires_at < ${now})
          order by due_at limit ${limit})
        returning cluster_id`.execute(trx),
      )
      return res.rows.map((r) => r.cluster_id)
    },

    /** Throws LeaseLostError unless `owner` still holds an unexpired lease; locks the row on PostgreSQL. */
    async assertLease(tx: Tx, clusterId: string, owner: string, now: number): Promise<void> {
      let q = kx(tx)
        .selectFrom('work')
        .select('cluster_id')
        .where('cluster_id', '=', clusterId)
        .where('lease_owner', '=', owner)
        .where('lease_expires_at', '>', now)
      if (dialect === 'postgres') q = q.forUpdate()
      const row = await q.executeTakeFirst()
      if (!row) throw new LeaseLostError(clusterId)
    },

    /**
     * The heartbeat of a long pass: pushes the lease's expiry out while `owner` still holds
     * it. False when the lease was lost (expired and taken, or released): the pass must stop.
     */
    async extend(clusterId: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
      const res = await write((trx) =>
        trx
          .updateTable('work')
          .set({ lease_expires_at: now + leaseMs })
          .where('cluster_id', '=', clusterId)
          .where('lease_owner', '=', owner)
          .where('lease_expires_at', '>', now)
          .executeTakeFirst(),
      )
      return Number(res.numUpdatedRows) === 1
    },

    /** Gives the cluster back: look again at `nextDueAt`, or at once if new desired state arrived. */
    async release(
      clusterId: string,
      owner: string,
      nextDueAt: number,
      now: number,
      failed = false,
    ): Promise<void> {
      if (releaseBatched) {
        await releaseBatched({ n: releases++, clusterId, owner, nextDueAt, now, failed })
        return
      }
      await write((trx) =>
        trx
          .updateTable('work')
          .set({
            lease_owner: null,
            lease_expires_at: null,
            due_at: sql`case when dirty = 1 then cast(${now} as bigint) else cast(${nextDueAt} as bigint) end`,
            attempts: failed ? sql`attempts + 1` : 0,
            dirty: 0,
          })
          .where('cluster_id', '=', clusterId)
          .where('lease_owner', '=', owner)
          .execute(),
      )
    },

    /** Nothing left to do (terminated). Kept if new desired state arrived meanwhile. */
    async finish(clusterId: string, owner: string, now: number): Promise<void> {
      await tx(async (trx) => {
        await trx
          .deleteFrom('work')
          .where('cluster_id', '=', clusterId)
          .where('lease_owner', '=', owner)
          .where('dirty', '=', 0)
          .execute()
        // Still there: new desired state arrived during the pass, so look again at once.
        await trx
          .updateTable('work')
          .set({ lease_owner: null, lease_expires_at: null, due_at: now, dirty: 0, attempts: 0 })
          .where('cluster_id', '=', clusterId)
          .where('lease_owner', '=', owner)
          .execute()
      })
    },

    async attempts(clusterId: string): Promise<number> {
      const row = await db
        .selectFrom('work')
        .select('attempts')
        .where('cluster_id', '=', clusterId)
        .executeTakeFirst()
      return row?.attempts ?? 0
    },

    /** On shutdown: hand our leases back so another replica can pick them up without waiting. */
    async releaseAll(owner: string): Promise<void> {
      await write((trx) =>
        trx
          .updateTable('work')
          .set({ lease_owner: null, lease_expires_at: null })
          .where('lease_owner', '=', owner)
          .execute(),
      )
    },

    async nextDue(): Promise<number | undefined> {
      const row = await db
        .selectFrom('work')
        .select((eb) => eb.fn.min<number>('due_at').as('d'))
        .executeTakeFirst()
      return row?.d === null || row?.d === undefined ? undefined : Number(row.d)
    },

    /** The queue at `now`: items due (a reconciler should be on them) and all items. */
    async depth(now: number): Promise<{ due: number; total: number }> {
      const row = await db
        .selectFrom('work')
        .select((eb) => [
          eb.fn.countAll<number>().as('total'),
          eb.fn.sum<number>(sql<number>`case when due_at <= ${now} then 1 else 0 end`).as('due'),
        ])
        .executeTakeFirstOrThrow()
      return { due: Number(row.due ?? 0), total: Number(row.total) }
    },

    async deleteAll(tx: Tx): Promise<void> {
      await kx(tx).deleteFrom('work').execute()
    },
  }
}

export type WorkStore = ReturnType<typeof createWorkStore>
