import type { Selectable } from 'kysely'
import type { TaskRunRecord, TaskRunStatus } from '../domain/task-runs.js'
import type { Database } from './db.js'
import type { TaskRunsTable } from './tables.js'
import { hasNul } from './text.js'
import { kx, type Tx } from './tx.js'

const toRecord = (r: Selectable<TaskRunsTable>): TaskRunRecord => ({
  id: r.id,
  clusterId: r.cluster_id,
  type: r.type as TaskRunRecord['type'],
  status: r.status as TaskRunStatus,
  createdAt: r.created_at,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  exitCode: r.exit_code,
  reason: r.reason,
  message: r.message,
  log: r.log_bucket !== null && r.log_key !== null ? { bucket: r.log_bucket, key: r.log_key } : null,
})

export type TaskRunPatch = Partial<
  Pick<TaskRunRecord, 'status' | 'startedAt' | 'endedAt' | 'exitCode' | 'reason' | 'message'>
> & { logText?: string }

export const createTaskRunStore = ({ db }: Database) => ({
  async insert(tx: Tx, r: TaskRunRecord): Promise<void> {
    await kx(tx)
      .insertInto('task_runs')
      .values({
        id: r.id,
        cluster_id: r.clusterId,
        type: r.type,
        status: r.status,
        created_at: r.createdAt,
        started_at: r.startedAt,
        ended_at: r.endedAt,
        exit_code: r.exitCode,
        reason: r.reason,
        message: r.message,
        log_bucket: r.log?.bucket ?? null,
        log_key: r.log?.key ?? null,
        log_text: null,
      })
      .execute()
  },

  async update(tx: Tx, id: string, p: TaskRunPatch): Promise<void> {
    const set: Partial<Record<keyof TaskRunsTable, unknown>> = {}
    if (p.status !== undefined) set.status = p.status
    if (p.startedAt !== undefined) set.started_at = p.startedAt
    if (p.endedAt !== undefined) set.ended_at = p.endedAt
    if (p.exitCode !== undefined) set.exit_code = p.exitCode
    if (p.reason !== undefined) set.reason = p.reason
    if (p.message !== undefined) set.message = p.message
    if (p.logText !== undefined) set.log_text = p.logText
    if (Object.keys(set).length === 0) return
    await kx(tx)
      .updateTable('task_runs')
      .set(set as never)
      .where('id', '=', id)
      .execute()
  },

  /** Ends the cluster's runs still Pending or Running as Failed: the cluster ended under them. */
  async failOpen(
    tx: Tx,
    clusterId: string,
    p: { endedAt: number; reason: string; message: string },
  ): Promise<void> {
    await kx(tx)
      .updateTable('task_runs')
      .set({ status: 'Failed', ended_at: p.endedAt, reason: p.reason, message: p.message })
      .where('cluster_id', '=', clusterId)
      .where('status', 'in', ['Pending', 'Running'])
      .execute()
  },

  async get(clusterId: string, id: string): Promise<TaskRunRecord | undefined> {
    if (hasNul(id)) return undefined
    const row = await db
      .selectFrom('task_runs')
      .selectAll()
      .where('cluster_id', '=', clusterId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row && toRecord(row)
  },

  /** The log the server keeps itself (runs without a log bucket); undefined when there is none yet. */
  async logText(clusterId: string, id: string): Promise<string | undefined> {
    const row = await db
      .selectFrom('task_runs')
      .select('log_text')
      .where('cluster_id', '=', clusterId)
      .where('id', '=', id)
      .executeTakeFirst()
    return row?.log_text ?? undefined
  },

  /** Newest first. */
  async list(
    clusterId: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; rows: TaskRunRecord[] }> {
    const [{ n }, rows] = await Promise.all([
      db
        .selectFrom('task_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('cluster_id', '=', clusterId)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('task_runs')
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
    await kx(tx).deleteFrom('task_runs').execute()
  },
})

export type TaskRunStore = ReturnType<typeof createTaskRunStore>
