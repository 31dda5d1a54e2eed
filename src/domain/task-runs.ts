import type { TaskRun } from '../wire/schemas.js'

/** DESIGN section 10. */
export const TASK_RUN_STATUSES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const
export type TaskRunStatus = (typeof TASK_RUN_STATUSES)[number]

export const isTaskRunDone = (s: TaskRunStatus): boolean => s === 'Succeeded' || s === 'Failed'

/** One run of a cluster's userTask, as recorded. */
export interface TaskRunRecord {
  id: string
  clusterId: string
  type: 'hive' | 'spark'
  status: TaskRunStatus
  createdAt: number
  startedAt: number | null
  endedAt: number | null
  exitCode: number | null
  /** Why it failed, a bare code (TASK_FILE_NOT_FOUND, TASK_FAILED, TASK_TIMEOUT). */
  reason: string | null
  message: string | null
  /** Where the log objects are, when the userTask has a logBucketName. */
  log: { bucket: string; key: string } | null
}

/** Where a run's log objects go, in its log bucket (DESIGN section 8). */
export const taskLogPrefix = (clusterName: string, runId: string): string =>
  `HadoopEco/${clusterName}/${runId}/`
/** The run's log itself. */
export const taskLogKey = (clusterName: string, runId: string): string =>
  `${taskLogPrefix(clusterName, runId)}task.log`

/** The extension's task run object: absent values omitted, as on seed objects. */
export const toTaskRun = (r: TaskRunRecord): TaskRun => {
  const out: TaskRun = { id: r.id, type: r.type, status: r.status }
  if (r.startedAt !== null) out.startedAt = r.startedAt
  if (r.endedAt !== null) out.endedAt = r.endedAt
  if (r.exitCode !== null) out.exitCode = r.exitCode
  if (r.reason !== null) out.reason = r.reason
  if (r.message !== null) out.message = r.message
  if (r.log) out.logUrl = `${r.log.bucket}/${r.log.key}`
  return out
}
