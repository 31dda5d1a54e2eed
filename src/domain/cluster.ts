import type { Cluster, ClusterSummary } from '../wire/schemas.js'
import { FLAVORS, imageName, uiUrls } from './catalog.js'
import type { ClusterSpec } from './cluster-spec.js'
import { isTerminated, type ApiKeyStatus, type ClusterStatus } from './statuses.js'
import type { RunInfo } from './job-runs.js'
import { taskLogPrefix } from './task-runs.js'

/** What the lifecycle learned about a cluster, beyond its spec. */
export interface ClusterInfo {
  /** Ids of the groups in use: the given ones, or the one created from securityGroupName. */
  securityGroupIds: string[]
  /** First master's private IP, once known; the UI URLs hang off it. */
  masterIp?: string
  /**
   * The userTask's current run (its record is in task_runs). `runId` is absent on records
   * written before runs had ids (run "1"); `startedAt` is absent until it starts.
   */
  task?: {
    state: 'pending' | 'running' | 'succeeded' | 'failed'
    runId?: string
    startedAt?: number
    endedAt?: number
  }
  /** The last terminal error, recorded on the cluster instead of being retried. */
  lastError?: string
  /** A job-cluster re-run (DESIGN section 11); absent for the cluster's first run. */
  run?: RunInfo
}

export interface ClusterRecord {
  seq: number
  id: string
  project: string
  name: string
  owner: string
  status: ClusterStatus
  terminalStatus: ClusterStatus | null
  clusterType: ClusterSpec['clusterType']
  clusterVersion: string
  apiKeyStatus: ApiKeyStatus
  masterCnt: number
  workerCnt: number
  targetWorkerCnt: number
  hdfsReplication: number
  createdAt: number
  runningAt: number | null
  terminatedAt: number | null
  updatedAt: number
  spec: ClusterSpec
  info: ClusterInfo
  vmUptimeClosed: number
  vmLiveCount: number
  vmLiveCreatedSum: number
  nextMasterIndex: number
  nextWorkerIndex: number
}

/** What a create records; the store starts the VM counters and indexes itself. */
export type NewCluster = Pick<
  ClusterRecord,
  | 'id'
  | 'project'
  | 'name'
  | 'owner'
  | 'status'
  | 'clusterType'
  | 'clusterVersion'
  | 'apiKeyStatus'
  | 'masterCnt'
  | 'workerCnt'
  | 'createdAt'
  | 'spec'
  | 'info'
>

export const masterCountFor = (isHa: boolean): number => (isHa ? 3 : 1)

/**
 * A one-shot job cluster (its userTask ends it) is never scalable; nor is a terminated one.
 * The seed shows Running clusters as scalable and terminated ones as not.
 */
export const isScalable = (c: Pick<ClusterRecord, 'status' | 'spec'>): boolean =>
  !isTerminated(c.status) && (c.spec.userTask === undefined || c.spec.userTask.terminationPolicy === 'never')

export const elapsedTime = (c: Pick<ClusterRecord, 'runningAt' | 'terminatedAt'>, now: number): number =>
  c.runningAt === null ? 0 : Math.max(0, (c.terminatedAt ?? now) - c.runningAt)

export const totalVmUptime = (
  c: Pick<ClusterRecord, 'vmUptimeClosed' | 'vmLiveCount' | 'vmLiveCreatedSum'>,
  now: number,
): number => c.vmUptimeClosed + Math.max(0, c.vmLiveCount * now - c.vmLiveCreatedSum)

export const toSummary = (c: ClusterRecord, now: number): ClusterSummary => {
  const out: ClusterSummary = {
    id: c.id,
    name: c.name,
    status: c.status,
    owner: c.owner,
    clusterType: c.clusterType,
    clusterVersion: c.clusterVersion,
    isScalable: isScalable(c),
    apiKeyStatus: c.apiKeyStatus,
    masterCnt: c.masterCnt,
    workerCnt: c.workerCnt,
    nodeCnt: c.masterCnt + c.workerCnt,
    createdAt: c.createdAt,
    // In the seed's key order: runningAt, when there is one, between createdAt and elapsedTime.
    ...(c.runningAt !== null ? { runningAt: c.runningAt } : {}),
    elapsedTime: elapsedTime(c, now),
  }
  return out
}

/** A short stable hex from an id, for the names and addresses of simulated integrations. */
const tag = (id: string): string =>
  id
    .replace(/[^0-9a-f]/gi, '')
    .slice(0, 8)
    .toLowerCase()
    .padEnd(8, '0')
const octets = (id: string): string => {
  const h = tag(id)
  return `${parseInt(h.slice(0, 2), 16)}.${parseInt(h.slice(2, 4), 16)}.${(parseInt(h.slice(4, 6), 16) % 254) + 1}`
}

/**
 * Everything of the view but the time-dependent fields depends only on the record, so it is
 * built once per record object (records are immutable; a change yields a new one).
 */
const views = new WeakMap<ClusterRecord, Cluster>()

/**
 * The seed's "Retrieve cluster" object. Secrets of the spec are never copied into it. Keys are
 * added in the seed's order (the response schema's order, which the serializer keeps: see
 * api/wire-order.ts), so a diff against a documented example is clean.
 */
export const toCluster = (c: ClusterRecord, now: number): Cluster => {
  let base = views.get(c)
  if (!base) {
    base = buildCluster(c, now)
    views.set(c, base)
  }
  return { ...base, elapsedTime: elapsedTime(c, now), totalVmUptime: totalVmUptime(c, now) }
}

const buildCluster = (c: ClusterRecord, now: number): Cluster => {
  const s = c.spec
  // DESIGN section 5: the UI URLs are shown only while the cluster is Running.
  const running = c.status === 'Running'
  const out: Cluster = {
    id: c.id,
    name: c.name,
    owner: c.owner,
    clusterType: c.clusterType,
    clusterVersion: c.clusterVersion,
    isHa: s.isHa,
    isScalable: isScalable(c),
    status: c.status,
    apiKeyStatus: c.apiKeyStatus,
    masterCnt: c.masterCnt,
    workerCnt: c.workerCnt,
    nodeCnt: c.masterCnt + c.workerCnt,
    vpcId: s.vpcId,
    subnetId: s.subnetId,
    securityGroupIds: c.info.securityGroupIds,
    keypairName: s.keypairName,
    monitoring: s.monitoring,
    imageName: imageName(c.clusterVersion),
    ...(running && c.info.masterIp ? uiUrls(c.clusterType, c.clusterVersion, c.info.masterIp) : {}),
    createdAt: c.createdAt,
    ...(c.runningAt !== null ? { runningAt: c.runningAt } : {}),
    elapsedTime: elapsedTime(c, now),
    totalVmUptime: totalVmUptime(c, now),
    masterInfo: [
      {
        flavorId: FLAVORS.get(s.masterFlavorName)?.id ?? '',
        flavorName: s.masterFlavorName,
        volumeSize: s.masterVolumeSize,
      },
    ],
    workerInfo: [
      {
        flavorId: FLAVORS.get(s.workerFlavorName)?.id ?? '',
        flavorName: s.workerFlavorName,
        volumeSize: s.workerVolumeSize,
      },
    ],
    ...(s.adminInfo?.userId !== undefined ? { adminInfo: { userId: s.adminInfo.userId } } : {}),
    config: { hdfsBlockSize: s.config.hdfsBlockSize, hdfsReplication: s.config.hdfsReplication },
  }
  if (s.config.configText !== undefined) out.config.configText = s.config.configText
  if (s.config.configFileUrl !== undefined) out.config.configFileUrl = s.config.configFileUrl
  if (s.userTask) {
    const { type, terminationPolicy, fileUrl, hiveQuery, deployMode, execOpts, execParams, logBucketName } =
      s.userTask
    out.userTask = { type, terminationPolicy }
    if (fileUrl !== undefined) out.userTask.fileUrl = fileUrl
    if (hiveQuery !== undefined) out.userTask.hiveQuery = hiveQuery
    if (deployMode !== undefined) out.userTask.deployMode = deployMode
    if (execOpts !== undefined) out.userTask.execOpts = execOpts
    if (execParams !== undefined) out.userTask.execParams = execParams
    if (logBucketName !== undefined) {
      out.userTask.logBucketName = logBucketName
      // The seed: logs go under <logBucketName>/HadoopEco/<cluster name>.
      if (c.info.task)
        out.userTask.logUrl = c.info.task.runId
          ? `${logBucketName}/${taskLogPrefix(c.name, c.info.task.runId)}`
          : `${logBucketName}/HadoopEco/${c.name}`
    }
  }
  if (s.hiveDbInfo) {
    const h = s.hiveDbInfo
    out.hiveDbInfo = {
      objectId: h.objectId,
      subnetId: s.subnetId,
      name: `mysql-${tag(h.objectId)}`,
      host: `10.${octets(h.objectId)}`,
      port: 3306,
      dbName: h.dbName,
      userId: h.userId,
    }
  }
  if (s.dataCatalogInfo) {
    const id = s.dataCatalogInfo.catalogId
    out.dataCatalogInfo = {
      metastoreUri: `thrift://10.${octets(id)}:9083`,
      catalogId: id,
      catalogName: `catalog-${tag(id)}`,
      vpcId: s.vpcId,
      vpcName: `vpc-${tag(s.vpcId)}`,
      subnetId: s.subnetId,
      subnetName: `subnet-${tag(s.subnetId)}`,
    }
  }
  if (s.redisInfo) {
    const r = s.redisInfo
    out.redisInfo = {
      objectId: r.objectId,
      name: `redis-${tag(r.objectId)}`,
      subnetId: s.subnetId,
      primaryEndpoint: `10.${octets(r.objectId)}`,
      readEndpoint: `10.${octets([...r.objectId].reverse().join(''))}`,
      clusterEnabled: false,
      port: 6379,
      dbIdSupersetCelery: r.dbIdSupersetCelery,
      dbIdSupersetResults: r.dbIdSupersetResults,
    }
  }
  return out
}
