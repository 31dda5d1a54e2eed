import type { Selectable } from 'kysely'
import type { JobRequestRecord, JobRequestStatus } from '../domain/job-runs.js'
import type { Database } from './db.js'
import type { JobRequestsTable } from './tables.js'
import { hasNul } from './text.js'
import { kx, type Tx } from './tx.js'

const toRecord = (r: Selectable<JobRequestsTable>): JobRequestRecord => ({
  id: r.id,
  clusterId: r.cluster_id,
  run: r.run,
  status: r.status as JobRequestStatus,
  result: r.result,
  settings: JSON.parse(r.settings) as JobRequestRecord['settings'],
  meta: JSON.parse(r.meta) as JobRequestRecord['meta'],
  createdAt: r.created_at,
  endedAt: r.ended_at,
})

/** DESIGN section 11: a job cluster's key hash, one per cluster. */
export const createApiKeyStore = ({ db }: Database) => ({
  async hash(clusterId: string, tx?: Tx): Promise<string | undefined> {
    const row = await (tx ? kx(tx) : db)
      .selectFrom('api_keys')
      .select('key_hash')
      .where('cluster_id', '=', clusterId)
      .executeTakeFirst()
    return row?.key_hash
  },
  /** False when the cluster already has a key: two racing issues cannot both hand one out. */
  async insert(tx: Tx, clusterId: string, keyHash: string, at: number): Promise<boolean> {
    const row = await kx(tx)
      .insertInto('api_keys')
      .values({ cluster_id: clusterId, key_hash: keyHash, created_at: at })
      .onConflict((oc) => oc.column('cluster_id').doNothing())
      .returning('cluster_id')
      .executeTakeFirst()
    return row !== undefined
  },
  async delete(tx: Tx, clusterId: string): Promise<boolean> {
    const res = await kx(tx).deleteFrom('api_keys').where('cluster_id', '=', clusterId).executeTakeFirst()
    return Number(res.numDeletedRows) === 1
  },
  async deleteAll(tx: Tx): Promise<void> {
    await kx(tx).deleteFrom('api_keys').execute()
  },
})

export type JobRequestPatch = Partial<Pick<JobRequestRecord, 'status' | 'result' | 'endedAt'>>

/** DESIGN section 11: the re-run requests of job clusters. */
export const createJobRequestStore = ({ db }: Database) => ({
  async insert(tx: Tx, r: JobRequestRecord): Promise<void> {
    await kx(tx)
      .insertInto('job_requests')
      .values({
        id: r.id,
        cluster_id: r.clusterId,
        run: r.run,
        status: r.status,
        result: r.result,
        settings: JSON.stringify(r.settings),
        meta: JSON.stringify(r.meta),
        created_at: r.createdAt,
        ended_at: r.endedAt,
      })
      .execute()
  },

  /** Only a request still Processing changes: an ended request keeps how it ended. */
  async finish(tx: Tx, id: string, p: Required<JobRequestPatch>): Promise<boolean> {
    const res = await kx(tx)
      .updateTable('job_requests')
      .set({ status: p.status, result: p.result, ended_at: p.endedAt })
      .where('id', '=', id)
      .where('status', '=', 'Processing')
      .executeTakeFirst()
    return Number(res.numUpdatedRows) === 1
  },

  async setResult(tx: Tx, id: string, result: string): Promise<void> {
    await kx(tx)
      .updateTable('job_requests')
      .set({ result })
      .where('id', '=', id)
      .where('status', '=', 'Processing')
      .execute()
  },

  async get(clusterId: string, id: string): Promise<JobRequestRecord | undefined> {
    if (hasNul(id)) return undefined
    const row = await db
      .selectFrom('job_requests')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && toRecord(row)
  },

  /** Newest first. */
  async list(
    clusterId: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; rows: JobRequestRecord[] }> {
    const [{ n }, rows] = await Promise.all([
      db
        .selectFrom('job_requests')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('cluster_id', '=', clusterId)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('job_requests')
        .selectAll()
        .where('cluster_id', '=', clusterId)
        .orderBy('seq', 'desc')
        .limit(limit)
        .offset(offset)
        .execute(),
    ])
    return { total: Number(n), rows: rows.map(toRecord) }
  },

  async deleteAll(tx: Tx): Promise<void> {
    await kx(tx).deleteFrom('job_requests').execute()
  },
})

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>
export type JobRequestStore = ReturnType<typeof createJobRequestStore>
