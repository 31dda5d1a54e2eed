/**
 * The wire shapes, byte for byte the seed's JSON. The server validates and serializes with
 * them and the SDK takes its types from them (type-only imports, so the SDK ships no TypeBox).
 * Optional keys are omitted when absent, never sent as null (DESIGN section 2).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'

const Str = Type.String()
const Int = Type.Integer()
const Opt = <T extends TSchema>(t: T) => Type.Optional(t)

// Literals written out (not mapped from an array) so the static types stay unions, not string.
export const ClusterStatusSchema = Type.Union([
  Type.Literal('Initializing'),
  Type.Literal('Creating'),
  Type.Literal('Installing'),
  Type.Literal('Running'),
  Type.Literal('Processing'),
  Type.Literal('Terminating'),
  Type.Literal('Terminated(User)'),
  Type.Literal('Terminated(UserCommand)'),
  Type.Literal('Terminated(Error)'),
])

export const UserTaskSchema = Type.Object({
  type: Type.Union([Type.Literal('hive'), Type.Literal('spark')]),
  terminationPolicy: Type.Union([Type.Literal('never'), Type.Literal('onSuccess'), Type.Literal('always')]),
  fileUrl: Opt(Str),
  hiveQuery: Opt(Str),
  deployMode: Opt(Type.Union([Type.Literal('cluster'), Type.Literal('client')])),
  execOpts: Opt(Str),
  execParams: Opt(Str),
  logBucketName: Opt(Str),
})

/** The create body as documented. Validation itself is done by domain/cluster-spec.ts so that every rule gets its own error code. */
export const CreateClusterRequestSchema = Type.Object(
  {
    name: Str,
    clusterType: Type.Union([
      Type.Literal('hadoop'),
      Type.Literal('hbase'),
      Type.Literal('trino'),
      Type.Literal('dataflow'),
    ]),
    clusterVersion: Type.Union([
      Type.Literal('hde-1.1.2'),
      Type.Literal('hde-2.0.1'),
      Type.Literal('hde-2.1.0'),
      Type.Literal('hde-2.2.0'),
    ]),
    isHa: Type.Boolean(),
    keypairName: Str,
    masterFlavorName: Str,
    masterVolumeSize: Int,
    workerCnt: Int,
    workerFlavorName: Str,
    workerVolumeSize: Int,
    monitoring: Type.Boolean(),
    securityGroupIds: Opt(Type.Array(Str)),
    securityGroupName: Opt(Str),
    vpcId: Str,
    subnetId: Str,
    adminInfo: Opt(Type.Object({ userId: Opt(Str), userPw: Opt(Str) })),
    config: Type.Object({
      hdfsReplication: Int,
      hdfsBlockSize: Int,
      configText: Opt(Str),
      configFileUrl: Opt(Str),
      fileUrl: Opt(Str),
      userScript: Opt(Str),
      userScriptFileUrl: Opt(Str),
    }),
    userTask: Opt(UserTaskSchema),
    hiveDbInfo: Opt(Type.Object({ objectId: Str, dbName: Str, userId: Str, userPw: Str })),
    dataCatalogInfo: Opt(Type.Object({ catalogId: Str })),
    redisInfo: Opt(
      Type.Object({ objectId: Str, dbIdSupersetCelery: Opt(Int), dbIdSupersetResults: Opt(Int) }),
    ),
  },
  { $id: 'CreateClusterRequest' },
)

export const ClusterRefSchema = Type.Object({ id: Str, name: Str, status: ClusterStatusSchema })

export const ScaleRequestSchema = Type.Object({ scaleCnt: Int })

const NodeInfo = Type.Object({ flavorId: Str, flavorName: Str, volumeSize: Int })

/** GET /clusters/{id}: the seed's "Retrieve cluster" object. */
export const ClusterSchema = Type.Object({
  id: Str,
  name: Str,
  owner: Str,
  clusterType: Str,
  clusterVersion: Str,
  isHa: Type.Boolean(),
  isScalable: Type.Boolean(),
  status: ClusterStatusSchema,
  apiKeyStatus: Type.Union([Type.Literal('impossible'), Type.Literal('possible'), Type.Literal('applied')]),
  masterCnt: Int,
  workerCnt: Int,
  nodeCnt: Int,
  vpcId: Str,
  subnetId: Str,
  securityGroupIds: Type.Array(Str),
  keypairName: Str,
  monitoring: Type.Boolean(),
  imageName: Str,
  nameNodeUrl: Opt(Str),
  resourceManagerUrl: Opt(Str),
  hueUrl: Opt(Str),
  hmasterUrl: Opt(Str),
  trinoUrl: Opt(Str),
  druidUrl: Opt(Str),
  supersetUrl: Opt(Str),
  createdAt: Int,
  runningAt: Opt(Int),
  elapsedTime: Int,
  totalVmUptime: Int,
  masterInfo: Type.Array(NodeInfo),
  workerInfo: Type.Array(NodeInfo),
  adminInfo: Opt(Type.Object({ userId: Str })),
  config: Type.Object({
    hdfsBlockSize: Int,
    hdfsReplication: Int,
    configText: Opt(Str),
    configFileUrl: Opt(Str),
  }),
  userTask: Opt(
    Type.Object({
      type: Str,
      terminationPolicy: Str,
      fileUrl: Opt(Str),
      hiveQuery: Opt(Str),
      deployMode: Opt(Str),
      execOpts: Opt(Str),
      execParams: Opt(Str),
      logBucketName: Opt(Str),
      logUrl: Opt(Str),
    }),
  ),
  hiveDbInfo: Opt(
    Type.Object({
      objectId: Str,
      subnetId: Str,
      name: Str,
      host: Str,
      port: Int,
      dbName: Str,
      userId: Str,
    }),
  ),
  dataCatalogInfo: Opt(
    Type.Object({
      metastoreUri: Str,
      catalogId: Str,
      catalogName: Str,
      vpcId: Str,
      vpcName: Str,
      subnetId: Str,
      subnetName: Str,
    }),
  ),
  redisInfo: Opt(
    Type.Object({
      objectId: Str,
      name: Str,
      subnetId: Str,
      primaryEndpoint: Str,
      readEndpoint: Str,
      clusterEnabled: Type.Boolean(),
      port: Int,
      dbIdSupersetCelery: Int,
      dbIdSupersetResults: Int,
    }),
  ),
})

/** One row of the cluster list. */
export const ClusterSummarySchema = Type.Object({
  id: Str,
  name: Str,
  status: ClusterStatusSchema,
  owner: Str,
  clusterType: Str,
  clusterVersion: Str,
  isScalable: Type.Boolean(),
  apiKeyStatus: Str,
  masterCnt: Int,
  workerCnt: Int,
  nodeCnt: Int,
  createdAt: Int,
  runningAt: Opt(Int),
  elapsedTime: Int,
})

export const VmSchema = Type.Object({
  name: Str,
  instanceId: Str,
  index: Int,
  isMaster: Type.Boolean(),
  status: Str,
  flavorName: Str,
  ip: Str,
  floatingIp: Opt(Str),
  createdAt: Int,
})

/** An extension object (DESIGN section 6): one step of a cluster's history. */
export const ClusterEventSchema = Type.Object({
  seq: Int,
  at: Int,
  type: Str,
  fromStatus: Opt(Str),
  toStatus: Opt(Str),
  reason: Str,
  message: Str,
})

/** An extension object (DESIGN section 10): one run of the cluster's userTask. */
export const TaskRunSchema = Type.Object({
  id: Str,
  type: Str,
  status: Str,
  startedAt: Opt(Int),
  endedAt: Opt(Int),
  exitCode: Opt(Int),
  reason: Opt(Str),
  message: Opt(Str),
  logUrl: Opt(Str),
})

const SortInfo = Type.Object({ empty: Type.Boolean(), sorted: Type.Boolean(), unsorted: Type.Boolean() })

/** Spring Data's `Page<T>` JSON, in the key order of the seed's examples. */
export const PageSchema = <T extends TSchema>(item: T) =>
  Type.Object({
    content: Type.Array(item),
    pageable: Type.Object({
      pageNumber: Int,
      pageSize: Int,
      sort: SortInfo,
      offset: Int,
      paged: Type.Boolean(),
      unpaged: Type.Boolean(),
    }),
    totalPages: Int,
    totalElements: Int,
    last: Type.Boolean(),
    size: Int,
    number: Int,
    sort: SortInfo,
    numberOfElements: Int,
    first: Type.Boolean(),
    empty: Type.Boolean(),
  })

export const ClusterPageSchema = PageSchema(ClusterSummarySchema)
export const VmPageSchema = PageSchema(VmSchema)
export const EventPageSchema = PageSchema(ClusterEventSchema)
export const TaskRunPageSchema = PageSchema(TaskRunSchema)

export const ErrorBodySchema = Type.Object({
  timestamp: Str,
  status: Int,
  error: Str,
  code: Str,
  message: Str,
  path: Str,
  errors: Type.Array(Type.Object({ field: Str, code: Str, message: Str })),
})

export type CreateClusterRequest = Static<typeof CreateClusterRequestSchema>
export type ClusterRef = Static<typeof ClusterRefSchema>
export type Cluster = Static<typeof ClusterSchema>
export type ClusterSummary = Static<typeof ClusterSummarySchema>
export type Vm = Static<typeof VmSchema>
export type ClusterEvent = Static<typeof ClusterEventSchema>
export type TaskRun = Static<typeof TaskRunSchema>
export type ClusterStatusName = Static<typeof ClusterStatusSchema>
export type ErrorBody = Static<typeof ErrorBodySchema>
export interface Page<T> {
  content: T[]
  pageable: {
    pageNumber: number
    pageSize: number
    sort: { empty: boolean; sorted: boolean; unsorted: boolean }
    offset: number
    paged: boolean
    unpaged: boolean
  }
  totalPages: number
  totalElements: number
  last: boolean
  size: number
  number: number
  sort: { empty: boolean; sorted: boolean; unsorted: boolean }
  numberOfElements: number
  first: boolean
  empty: boolean
}

/** One object in the Swift-style route's list and PUT answer (DESIGN section 8). */
export const ObjectEntrySchema = Type.Object({
  name: Str,
  bytes: Int,
  lastModified: Type.String({ description: 'ISO-8601' }),
})
export const ObjectListSchema = Type.Array(ObjectEntrySchema)
export type ObjectEntry = Static<typeof ObjectEntrySchema>

/** One rendered configuration file (DESIGN section 9): its absolute path on the node and its text. */
export const ConfigFileSchema = Type.Object({ path: Str, content: Str })
/** `GET .../configs` (extension): the files of each role; the masters get every file. */
export const ClusterConfigsSchema = Type.Object({
  master: Type.Array(ConfigFileSchema),
  worker: Type.Array(ConfigFileSchema),
})
export type ConfigFile = Static<typeof ConfigFileSchema>
export type ClusterConfigs = Static<typeof ClusterConfigsSchema>

/** DESIGN section 11: the key of a job cluster, shown once when issued. */
export const ApiKeySchema = Type.Object({ clusterId: Str, apiKey: Str })

/** A re-run's body: every field optional, the ranges of DESIGN section 3. */
export const RerunRequestSchema = Type.Object(
  {
    workerCnt: Opt(Int),
    workerVolumeSize: Opt(Int),
    configHdfsReplication: Opt(Int),
    configHdfsBlockSize: Opt(Int),
    userTaskDeployMode: Opt(Str),
    userTaskExecOpts: Opt(Str),
    userTaskExecParams: Opt(Str),
  },
  { additionalProperties: true },
)

/** The settings a re-run runs with, after its overrides; values that do not apply are omitted. */
export const ClusterMainSettingValuesSchema = Type.Object({
  workerCnt: Int,
  workerVolumeSize: Int,
  configHdfsReplication: Int,
  configHdfsBlockSize: Int,
  jobType: Str,
  userTaskDeployMode: Opt(Str),
  userTaskExecOpts: Opt(Str),
  userTaskExecParams: Opt(Str),
})

export const RerunResponseSchema = Type.Object({
  clusterId: Str,
  clusterName: Str,
  requestId: Str,
  clusterMainSettingValues: ClusterMainSettingValuesSchema,
})

const VmGroupMetaSchema = Type.Object({ flavor_name: Str, volume_size: Int, count: Int })
/** `verbose=true`: what the request ran, in the real service's snake_case; never a password. */
export const ClusterMetaSchema = Type.Object({
  cluster_name: Str,
  cluster_type: Str,
  cluster_version: Str,
  master_vm: VmGroupMetaSchema,
  worker_vm: VmGroupMetaSchema,
  user_cluster_exec_command: Type.Object({
    type: Str,
    termination_policy: Str,
    hive_query: Opt(Str),
    file_url: Opt(Str),
    deploy_mode: Opt(Str),
    exec_opts: Opt(Str),
    exec_params: Opt(Str),
    log_bucket_name: Opt(Str),
  }),
})

export const JobRequestSchema = Type.Object({
  clusterId: Str,
  clusterName: Str,
  requestId: Str,
  requestStatus: Str,
  requestResult: Str,
  clusterMeta: Opt(ClusterMetaSchema),
})
export const JobRequestPageSchema = PageSchema(JobRequestSchema)

export type ApiKey = Static<typeof ApiKeySchema>
export type ClusterMainSettingValues = Static<typeof ClusterMainSettingValuesSchema>
export type RerunResponse = Static<typeof RerunResponseSchema>
export type ClusterMeta = Static<typeof ClusterMetaSchema>
export type JobRequest = Static<typeof JobRequestSchema>

/** DESIGN section 13: signing in to the web console (`POST /_console/session`). */
export const ConsoleSignInSchema = Type.Object({
  credentialId: Type.String({ description: 'Access key ID' }),
  credentialSecret: Type.String({ description: 'Secret access key; never stored nor echoed' }),
})
/**
 * A web console session. The session itself is the HttpOnly `hadoop_eco_session` cookie; this
 * says whose it is, when it ends unless used, and the token its mutations must carry.
 */
export const ConsoleSessionSchema = Type.Object({
  credentialId: Str,
  projectId: Str,
  csrfToken: Type.String({ description: 'Send as X-CSRF-Token on every POST, PUT and DELETE' }),
  expiresAt: Type.String({ description: 'ISO-8601 UTC; moves with every request' }),
  idleTimeoutMs: Type.Integer({ description: 'HADOOP_ECO_SESSION_IDLE_MS' }),
})
export type ConsoleSignIn = Static<typeof ConsoleSignInSchema>
export type ConsoleSession = Static<typeof ConsoleSessionSchema>
