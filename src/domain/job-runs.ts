import type { ClusterSpec, RerunOverrides } from './cluster-spec.js'
import type { ClusterMainSettingValues, ClusterMeta, JobRequest } from '../wire/schemas.js'

/**
 * DESIGN section 11: a terminated job cluster (hadoop, with a hive or spark userTask) run again
 * under its Open API key. Each re-run is a request record; the cluster itself goes through its
 * lifecycle again with new VMs. Pure.
 */

export const JOB_REQUEST_STATUSES = ['Processing', 'Success', 'Fail'] as const
export type JobRequestStatus = (typeof JOB_REQUEST_STATUSES)[number]

/** One re-run, as recorded: the settings and metadata it ran with are fixed when it is accepted. */
export interface JobRequestRecord {
  id: string
  clusterId: string
  /** The cluster's run number: 1 was its create, so re-runs count from 2. */
  run: number
  status: JobRequestStatus
  /** A sentence saying where the run is, or how it ended. */
  result: string
  settings: ClusterMainSettingValues
  meta: ClusterMeta
  createdAt: number
  endedAt: number | null
}

/**
 * The cluster's current run (kept in its info). The VMs of a run take indexes from where the
 * last run's ended, and provider operations are keyed by the run, so nothing of an earlier run
 * is mistaken for this one's.
 */
export interface RunInfo {
  n: number
  requestId: string
  /** Fixed when the run leaves Initializing, from every VM the provider ever had for the cluster. */
  firstMasterIndex?: number
  firstWorkerIndex?: number
}

/** The spec a re-run runs: the cluster's, with the overrides applied. */
export const applyOverrides = (spec: ClusterSpec, o: RerunOverrides): ClusterSpec => {
  const task = spec.userTask
  return {
    ...spec,
    ...(o.workerCnt !== undefined ? { workerCnt: o.workerCnt } : {}),
    ...(o.workerVolumeSize !== undefined ? { workerVolumeSize: o.workerVolumeSize } : {}),
    config: {
      ...spec.config,
      ...(o.configHdfsReplication !== undefined ? { hdfsReplication: o.configHdfsReplication } : {}),
      ...(o.configHdfsBlockSize !== undefined ? { hdfsBlockSize: o.configHdfsBlockSize } : {}),
    },
    ...(task
      ? {
          userTask: {
            ...task,
            ...(o.userTaskDeployMode !== undefined ? { deployMode: o.userTaskDeployMode } : {}),
            ...(o.userTaskExecOpts !== undefined ? { execOpts: o.userTaskExecOpts } : {}),
            ...(o.userTaskExecParams !== undefined ? { execParams: o.userTaskExecParams } : {}),
          },
        }
      : {}),
  }
}

/** `clusterMainSettingValues` of a re-run's answer: the effective settings, after overrides. */
export const mainSettings = (spec: ClusterSpec): ClusterMainSettingValues => {
  const task = spec.userTask
  const out: ClusterMainSettingValues = {
    workerCnt: spec.workerCnt,
    workerVolumeSize: spec.workerVolumeSize,
    configHdfsReplication: spec.config.hdfsReplication,
    configHdfsBlockSize: spec.config.hdfsBlockSize,
    jobType: task?.type ?? 'hive',
  }
  if (task?.type === 'spark' && task.deployMode !== undefined) out.userTaskDeployMode = task.deployMode
  if (task?.execOpts !== undefined) out.userTaskExecOpts = task.execOpts
  if (task?.execParams !== undefined) out.userTaskExecParams = task.execParams
  return out
}

/** `clusterMeta` of `verbose=true`, in the real service's snake_case. No password is in a spec's view here. */
export const clusterMeta = (name: string, spec: ClusterSpec): ClusterMeta => {
  const task = spec.userTask
  const cmd: ClusterMeta['user_cluster_exec_command'] = {
    type: task?.type ?? 'hive',
    termination_policy: task?.terminationPolicy ?? 'never',
  }
  if (task?.hiveQuery !== undefined) cmd.hive_query = task.hiveQuery
  if (task?.fileUrl !== undefined) cmd.file_url = task.fileUrl
  if (task?.deployMode !== undefined) cmd.deploy_mode = task.deployMode
  if (task?.execOpts !== undefined) cmd.exec_opts = task.execOpts
  if (task?.execParams !== undefined) cmd.exec_params = task.execParams
  if (task?.logBucketName !== undefined) cmd.log_bucket_name = task.logBucketName
  return {
    cluster_name: name,
    cluster_type: spec.clusterType,
    cluster_version: spec.clusterVersion,
    master_vm: {
      flavor_name: spec.masterFlavorName,
      volume_size: spec.masterVolumeSize,
      count: spec.isHa ? 3 : 1,
    },
    worker_vm: {
      flavor_name: spec.workerFlavorName,
      volume_size: spec.workerVolumeSize,
      count: spec.workerCnt,
    },
    user_cluster_exec_command: cmd,
  }
}

export const toJobRequest = (r: JobRequestRecord, clusterName: string, verbose: boolean): JobRequest => ({
  clusterId: r.clusterId,
  clusterName,
  requestId: r.id,
  requestStatus: r.status,
  requestResult: r.result,
  ...(verbose ? { clusterMeta: r.meta } : {}),
})

/** One line for the re-run's event: what it changed. */
export const describeOverrides = (o: RerunOverrides): string => {
  const parts = Object.entries(o).map(([k, v]) => `${k} ${JSON.stringify(v)}`)
  return parts.length > 0 ? parts.join(', ') : 'no overrides'
}
