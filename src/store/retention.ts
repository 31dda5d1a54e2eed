import { sql } from 'kysely'
import type { Database } from './db.js'

/**
 * What grows without bound is the history of clusters that ended long ago: their events and
 * their VM rows. The cluster row itself stays (lists and `totalElements` stay exact, the name
 * and uptime counters live on it), so a purged cluster still reads the same, with no VMs and no
 * events. A re-runnable job cluster (one with an Open API key) keeps its history: a re-run
 * continues it.
 */
const MARK = 'retention_after'

export const createRetentionStore = (database: Database) => {
  const { db, transaction } = database
  return {
    /**
     * PostgreSQL: whether autovacuum is off for the whole server, and the server's tables it is
     * turned off for one by one. The reconciler updates its queue, clusters and VMs all the time
     * and `purge` deletes history: without vacuum, the space of those dead rows is never reused
     * and the tables only grow. SQLite reuses freed pages by itself: neither.
     */
    async unvacuumed(): Promise<{ serverWide: boolean; tables: string[] }> {
      if (database.dialect !== 'postgres') return { serverWide: false, tables: [] }
      const { rows } = await sql<{ server_wide: boolean; tables: string[] | null }>`
        select current_setting('autovacuum') = 'off' as server_wide,
          (select array_agg(c.relname::text order by c.relname)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = current_schema() and c.relkind = 'r'
              and c.relname not in ('kysely_migration', 'kysely_migration_lock')
              and exists (select 1 from unnest(c.reloptions) o
                where o ~* '^autovacuum_enabled=(f|fa|fal|fals|false|n|no|of|off|0)$')) as tables`.execute(db)
      return { serverWide: rows[0]!.server_wide, tables: rows[0]!.tables ?? [] }
    },

    /**
     * Deletes the events and VM rows of clusters terminated before `before`, `batch` clusters
     * per transaction (each cluster's history goes whole or not at all), until done or `stop()`.
     * Returns how many clusters it looked at.
     */
    async purge(before: number, batch = 500, stop: () => boolean = () => false): Promise<number> {
      // Where the last pass stopped, by (terminated_at, id), kept beside the data (replicas
      // share it, restarts keep it): a pass walks the terminated_at index from there, so it costs
      // what ended since, not every cluster that ever ended.
      const mark = await db.selectFrom('settings').select('value').where('key', '=', MARK).executeTakeFirst()
      let after = mark ? (JSON.parse(mark.value) as { at: number; id: string }) : undefined
      let seen = 0
      for (;;) {
        let q = db
          .selectFrom('clusters')
          .select(['id', 'terminated_at'])
          .where('terminated_at', '<', before)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('api_keys')
                  .select('cluster_id')
                  .whereRef('api_keys.cluster_id', '=', 'clusters.id'),
              ),
            ),
          )
        // A row-value comparison, which both databases turn into one range of the index (an
        // `or` of the two cases made PostgreSQL read the index from its start on every batch).
        if (after) q = q.where(sql<boolean>`(terminated_at, id) > (${after.at}, ${after.id})`)
        const rows = await q.orderBy('terminated_at').orderBy('id').limit(batch).execute()
        if (rows.length === 0) return seen
        const ids = rows.map((r) => r.id)
        const last = rows[rows.length - 1]!
        after = { at: Number(last.terminated_at), id: last.id }
        const value = JSON.stringify(after)
        await transaction(async (trx) => {
          await trx.deleteFrom('events').where('cluster_id', 'in', ids).execute()
          await trx.deleteFrom('vms').where('cluster_id', 'in', ids).execute()
          await trx
            .insertInto('settings')
            .values({ key: MARK, value })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
            .execute()
        })
        seen += rows.length
        // Between batches: a shutdown does not wait for a long first pass to end.
        if (rows.length < batch || stop()) return seen
      }
    },
  }
}

export type RetentionStore = ReturnType<typeof createRetentionStore>
