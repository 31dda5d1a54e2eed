import { Readable } from 'node:stream'
import { AppError } from '../domain/errors.js'
import { parsePageRequest, toPage } from '../domain/paging.js'
import { toTaskRun } from '../domain/task-runs.js'
import type { ObjectStore } from '../objects/object-store.js'
import type { Store } from '../store/index.js'
import type { Page, TaskRun } from '../wire/schemas.js'
import type { Caller } from './clusters.js'

interface Deps {
  store: Pick<Store, 'clusters' | 'taskRuns'>
  objects: Pick<ObjectStore, 'get'>
}

/** DESIGN section 10: a cluster's task runs and their logs. */
export const createTaskService = ({ store, objects }: Deps) => {
  const cluster = async (caller: Caller, id: string) => {
    const c = await store.clusters.get(caller.project, id)
    if (!c) throw new AppError('CLUSTER_NOT_FOUND', `cluster ${id} not found`)
    return c
  }
  return {
    /** Newest first. */
    async list(caller: Caller, id: string, query: Record<string, unknown>): Promise<Page<TaskRun>> {
      const page = parsePageRequest({ page: query.page, size: query.size }, [] as const)
      const c = await cluster(caller, id)
      const { rows, total } = await store.taskRuns.list(c.id, page.page * page.size, page.size)
      return toPage(rows.map(toTaskRun), page, total)
    },

    /**
     * The run's log as a stream: from its log bucket (in the cluster's project), or the copy the
     * server keeps when the task has none. A run that has written nothing yet has an empty log.
     */
    async log(caller: Caller, id: string, runId: string): Promise<Readable> {
      const c = await cluster(caller, id)
      const run = await store.taskRuns.get(c.id, runId)
      if (!run) throw new AppError('TASK_RUN_NOT_FOUND', `task run ${runId} of cluster ${id} not found`)
      if (!run.log) return Readable.from([(await store.taskRuns.logText(c.id, runId)) ?? ''])
      const found = await objects.get(c.project, run.log.bucket, run.log.key)
      if (found) return found.body
      if (run.status === 'Pending') return Readable.from([''])
      throw new AppError(
        'TASK_LOG_NOT_FOUND',
        `the log of task run ${runId} (${run.log.bucket}/${run.log.key}) is not in Object Storage`,
      )
    },
  }
}

export type TaskService = ReturnType<typeof createTaskService>
