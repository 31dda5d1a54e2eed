import { decodeBase64Strict } from './base64.js'
import { FLAVORS, type ClusterType, type ClusterVersion, type Flavor } from './catalog.js'
import type { ClusterRecord } from './cluster.js'
import type { Configurations } from './config-text.js'
import { renderInputFor, type RenderInput } from './render-config.js'
import { taskLogKey } from './task-runs.js'
import { vmName, type VmRole } from './vm.js'

/**
 * What a provider is asked to make real, derived from the cluster's spec alone: whole plans
 * with explicit purposes, so no provider ever reads intent from a key or a name. Pure.
 */

/**
 * A password as stored: sealed. A provider that needs the clear text (to write a Kubernetes
 * Secret, say) opens it through the one narrow `openSecret` dependency it is given; a plan
 * can be logged or persisted without leaking anything.
 */
export interface SealedSecret {
  readonly sealed: string
}

export interface VmRef {
  name: string
  role: VmRole
  index: number
}

export type VmPurpose = 'create' | 'scale-out' | 'repair'

/**
 * What every node of a cluster is configured from, the same for each of them. Installing
 * providers (the simulator) read it at `install`; a provider that configures a node as it makes
 * it (a Kubernetes Pod mounts its files) finds it on every plan.
 */
export interface ClusterSetup {
  /** Object URLs in the spec resolve in the cluster's project (DESIGN section 8). */
  project: string
  clusterId: string
  clusterName: string
  clusterType: ClusterType
  clusterVersion: ClusterVersion
  /** Every master of the cluster: the nodes' configuration points at them. */
  masters: readonly VmRef[]
  hdfs: { replication: number; blockSizeMb: number }
  /** The user's classifications from `configText` (a `configFileUrl` is read at install). */
  classifications: Configurations['configurations']
  configFileUrl?: string
  /**
   * The section-9 render input (`domain/render-config.ts`) with `classifications` from
   * `configText`; a provider that reads `configFileUrl` puts the file's in their place.
   */
  render: RenderInput
  userScript?: ScriptSource
  admin?: { userId: string; password?: SealedSecret }
  metastore?: Metastore
  redis?: { objectId: string; dbIdSupersetCelery: number; dbIdSupersetResults: number }
}

export interface VmPlan extends VmRef {
  clusterId: string
  clusterName: string
  clusterType: ClusterType
  clusterVersion: ClusterVersion
  flavor: Flavor
  volumeSizeGb: number
  /** `create` boots with the cluster; `scale-out` joins a running one; `repair` replaces a VM that vanished. */
  purpose: VmPurpose
  /** The cluster's run: 1 for its create, then one more per job-cluster re-run (DESIGN section 11). */
  run: number
  cluster: ClusterSetup
}

/** Where a user script comes from: inline (decoded from the spec's Base64) or an object URL. */
export type ScriptSource = { inline: string } | { url: string }

export type Metastore =
  | { kind: 'mysql'; objectId: string; dbName: string; userId: string; password: SealedSecret }
  | { kind: 'dataCatalog'; catalogId: string }

export interface InstallPlan extends ClusterSetup {
  /** Deterministic per installation: a retry after a crash finds the one already started. */
  key: string
  purpose: VmPurpose
  /** The nodes this installation sets up. */
  nodes: readonly VmRef[]
}

export interface DecommissionPlan {
  key: string
  clusterId: string
  clusterName: string
  /** The workers that leave: HDFS re-replicates their blocks and YARN drains them first. */
  nodes: readonly VmRef[]
  hdfsReplication: number
  cluster: ClusterSetup
}

export interface TaskPlan {
  key: string
  /** The task run this execution belongs to. */
  runId: string
  /** Object URLs (the task file, the log bucket) resolve in the cluster's project. */
  project: string
  clusterId: string
  clusterName: string
  type: 'hive' | 'spark'
  query?: string
  fileUrl?: string
  deployMode?: 'cluster' | 'client'
  execOpts?: string
  execParams?: string
  /** Where the run's log goes (DESIGN section 8: `{logBucketName}/HadoopEco/{cluster}/{run}/task.log`). */
  log?: { bucket: string; key: string }
  /**
   * The provider has reported this run started: if what runs it has vanished since, the run is
   * lost, and starting it again would run the user's task twice.
   */
  started?: boolean
  cluster: ClusterSetup
}

const sealed = (text: string): SealedSecret => ({ sealed: text })

export const vmRef = (clusterName: string, role: VmRole, index: number): VmRef => ({
  name: vmName(clusterName, role, index),
  role,
  index,
})

export const planVm = (c: ClusterRecord, ref: VmRef, purpose: VmPurpose): VmPlan => {
  const master = ref.role === 'master'
  const flavorName = master ? c.spec.masterFlavorName : c.spec.workerFlavorName
  const flavor = FLAVORS.get(flavorName)
  // The spec was validated against the catalog; a flavor missing here means the catalog shrank.
  if (!flavor) throw new Error(`flavor ${flavorName} is not in the catalog`)
  return {
    ...ref,
    clusterId: c.id,
    clusterName: c.name,
    clusterType: c.clusterType,
    clusterVersion: c.spec.clusterVersion,
    flavor,
    volumeSizeGb: master ? c.spec.masterVolumeSize : c.spec.workerVolumeSize,
    purpose,
    run: c.info.run?.n ?? 1,
    cluster: clusterSetup(c),
  }
}

/**
 * The VMs a run boots with: its masters (3 with HA) and `workerCnt` workers. A re-run's VMs are
 * new and take indexes after the last run's (DESIGN section 11: indexes are never reused).
 */
export const initialVms = (c: ClusterRecord): VmRef[] => {
  const m = c.info.run?.firstMasterIndex ?? 1
  const w = c.info.run?.firstWorkerIndex ?? 1
  return [
    ...Array.from({ length: c.spec.isHa ? 3 : 1 }, (_, i) => vmRef(c.name, 'master', m + i)),
    ...Array.from({ length: c.spec.workerCnt }, (_, i) => vmRef(c.name, 'worker', w + i)),
  ]
}

/** Keys provider operations by the run, so a re-run never finds its last run's installation. */
export const runKey = (c: ClusterRecord, what: string): string =>
  c.info.run ? `${c.id}/run/${c.info.run.n}/${what}` : `${c.id}/${what}`

const classificationsOf = (configText: string | undefined): Configurations['configurations'] => {
  if (configText === undefined) return []
  // Validated at create (DESIGN section 3): Base64 of a configurations document.
  const bytes = decodeBase64Strict(configText)
  return bytes ? (JSON.parse(bytes.toString('utf8')) as Configurations).configurations : []
}

/**
 * The cluster's setup (see ClusterSetup). Masters keep their names for life (a replaced VM keeps
 * its name and index), so those a run boots with are the cluster's masters.
 */
export const clusterSetup = (
  c: ClusterRecord,
  masters: readonly VmRef[] = initialVms(c).filter((v) => v.role === 'master'),
): ClusterSetup => {
  const s = c.spec
  const classifications = classificationsOf(s.config.configText)
  const setup: ClusterSetup = {
    project: c.project,
    clusterId: c.id,
    clusterName: c.name,
    clusterType: c.clusterType,
    clusterVersion: s.clusterVersion,
    masters,
    hdfs: { replication: s.config.hdfsReplication, blockSizeMb: s.config.hdfsBlockSize },
    classifications,
    render: renderInputFor(c, classifications),
  }
  if (s.config.configFileUrl !== undefined) setup.configFileUrl = s.config.configFileUrl
  if (s.config.userScript !== undefined)
    setup.userScript = { inline: decodeBase64Strict(s.config.userScript)?.toString('utf8') ?? '' }
  else if (s.config.userScriptFileUrl !== undefined) setup.userScript = { url: s.config.userScriptFileUrl }
  if (s.adminInfo?.userId !== undefined)
    setup.admin = {
      userId: s.adminInfo.userId,
      ...(s.adminInfo.userPw !== undefined ? { password: sealed(s.adminInfo.userPw) } : {}),
    }
  if (s.hiveDbInfo)
    setup.metastore = {
      kind: 'mysql',
      objectId: s.hiveDbInfo.objectId,
      dbName: s.hiveDbInfo.dbName,
      userId: s.hiveDbInfo.userId,
      password: sealed(s.hiveDbInfo.userPw),
    }
  else if (s.dataCatalogInfo)
    setup.metastore = { kind: 'dataCatalog', catalogId: s.dataCatalogInfo.catalogId }
  if (s.redisInfo) setup.redis = { ...s.redisInfo }
  return setup
}

export const planInstall = (
  c: ClusterRecord,
  nodes: readonly VmRef[],
  masters: readonly VmRef[],
  purpose: VmPurpose,
  key: string,
): InstallPlan => ({ ...clusterSetup(c, masters), key, purpose, nodes })

export const planDecommission = (c: ClusterRecord, nodes: readonly VmRef[]): DecommissionPlan => ({
  key: `${c.id}/decommission/${nodes
    .map((n) => n.name)
    .sort()
    .join(',')}`,
  clusterId: c.id,
  clusterName: c.name,
  nodes,
  hdfsReplication: c.spec.config.hdfsReplication,
  cluster: clusterSetup(c),
})

/** The userTask's run `runId`; undefined when the cluster has no task. */
export const planTask = (c: ClusterRecord, runId: string): TaskPlan | undefined => {
  const t = c.spec.userTask
  if (!t) return undefined
  const plan: TaskPlan = {
    key: `${c.id}/task/${runId}`,
    runId,
    project: c.project,
    clusterId: c.id,
    clusterName: c.name,
    type: t.type,
    cluster: clusterSetup(c),
  }
  if (t.hiveQuery !== undefined) plan.query = t.hiveQuery
  if (t.fileUrl !== undefined) plan.fileUrl = t.fileUrl
  if (t.deployMode !== undefined) plan.deployMode = t.deployMode
  if (t.execOpts !== undefined) plan.execOpts = t.execOpts
  if (t.execParams !== undefined) plan.execParams = t.execParams
  // The seed: logs go under <logBucketName>/HadoopEco/<cluster name>; DESIGN section 8 adds the run.
  if (t.logBucketName !== undefined) plan.log = { bucket: t.logBucketName, key: taskLogKey(c.name, runId) }
  if (c.info.task?.runId === runId && c.info.task.state === 'running') plan.started = true
  return plan
}
