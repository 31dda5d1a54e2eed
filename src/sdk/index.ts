/**
 * `hadoop-eco/sdk`: a typed client of the Hadoop Eco Open API. It imports nothing from the
 * server and needs nothing beyond the global `fetch` (Node 20+, or a browser: the web console
 * uses it with `auth: 'session'`).
 *
 * @example
 * import { HadoopEcoClient, BadRequestError } from 'hadoop-eco/sdk'
 *
 * const client = new HadoopEcoClient() // HADOOP_ECO_ENDPOINT, HADOOP_ECO_CREDENTIAL_ID, HADOOP_ECO_CREDENTIAL_SECRET
 * const { id } = await client.clusters.create(spec)
 * await client.waitFor(id, 'Running')
 */
export { HadoopEcoClient, Clusters, ApiKeys, JobRequests, isTerminatedStatus } from './client.js'
export { Objects } from './objects.js'
export { Session } from './session.js'
export { Admin, Faults } from './admin.js'
export type {
  ListObjectsParams,
  ObjectBody,
  ObjectDownload,
  ObjectEntry,
  ObjectHead,
  PutObjectOptions,
} from './objects.js'
export type { HadoopEcoClientOptions, WaitForRequestOptions, WaitOptions, WaitTarget } from './client.js'
export {
  HadoopEcoError,
  ApiError,
  BadRequestError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  RateLimitedError,
  ServerError,
  ConnectionError,
  WaitTimeoutError,
  ClusterEndedError,
  errorFromResponse,
} from './errors.js'
export type { ApiErrorInit } from './errors.js'
export type {
  ApiKey,
  ApiKeyParams,
  Cluster,
  ClusterConfigs,
  ClusterMainSettingValues,
  ClusterMeta,
  ClusterMetaVm,
  ConfigFile,
  ConsoleSession,
  ConsoleSignIn,
  ClusterEvent,
  ClusterRef,
  ClusterStatus,
  ClusterSummary,
  CreateClusterRequest,
  ErrorBody,
  Fault,
  FaultKind,
  FaultMatch,
  FieldError,
  GetJobRequestParams,
  JobRequest,
  JobRequestStatus,
  ListClustersParams,
  ListEventsParams,
  ListJobRequestsParams,
  ListVmsParams,
  NewFault,
  Page,
  PageParams,
  RequestOptions,
  RerunParams,
  RerunRequest,
  RerunResponse,
  ScaleRequest,
  TaskRun,
  Vm,
} from './types.js'
