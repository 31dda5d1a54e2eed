import { bareBase64, decodeBase64Strict } from './base64.js'
import {
  CLUSTER_TYPES,
  CLUSTER_VERSIONS,
  ENGINES,
  FLAVORS,
  MAX_WORKERS,
  isClusterType,
  isClusterVersion,
  type ClusterType,
  type ClusterVersion,
} from './catalog.js'
import { checkConfigurations } from './config-text.js'
import { AppError, type ErrorCode, type FieldError } from './errors.js'

export type TerminationPolicy = 'never' | 'onSuccess' | 'always'

export interface UserTaskSpec {
  type: 'hive' | 'spark'
  terminationPolicy: TerminationPolicy
  fileUrl?: string
  hiveQuery?: string
  deployMode?: 'cluster' | 'client'
  execOpts?: string
  execParams?: string
  logBucketName?: string
}

/** A create request after validation: typos folded into canonical names, defaults applied. */
export interface ClusterSpec {
  name: string
  clusterType: ClusterType
  clusterVersion: ClusterVersion
  isHa: boolean
  keypairName: string
  masterFlavorName: string
  masterVolumeSize: number
  workerCnt: number
  workerFlavorName: string
  workerVolumeSize: number
  monitoring: boolean
  securityGroupIds?: string[]
  securityGroupName?: string
  vpcId: string
  subnetId: string
  adminInfo?: { userId?: string; userPw?: string }
  config: {
    hdfsReplication: number
    hdfsBlockSize: number
    configText?: string
    configFileUrl?: string
    userScript?: string
    userScriptFileUrl?: string
  }
  userTask?: UserTaskSpec
  hiveDbInfo?: { objectId: string; dbName: string; userId: string; userPw: string }
  dataCatalogInfo?: { catalogId: string }
  redisInfo?: { objectId: string; dbIdSupersetCelery: number; dbIdSupersetResults: number }
}

export const NAME_RULE = /^[a-z][a-z0-9-]{1,18}[a-z0-9]$/
export const NAME_RULE_TEXT =
  '3 to 20 characters: lowercase letters, digits and "-", starting with a letter and not ending with "-"'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Collects every problem of a request so a client can fix them all in one round trip. */
class Checker {
  readonly errors: FieldError[] = []
  add(field: string, code: ErrorCode, message: string): undefined {
    this.errors.push({ field, code, message })
    return undefined
  }
  has(field: string): boolean {
    return this.errors.some((e) => e.field === field || e.field.startsWith(`${field}.`))
  }

  string(o: Obj, key: string, field: string, required: boolean): string | undefined {
    const v = o[key]
    if (v === undefined || v === null)
      return required ? this.add(field, 'FIELD_REQUIRED', `${field} is required`) : undefined
    if (typeof v !== 'string') return this.add(field, 'INVALID_TYPE', `${field} must be a string`)
    if (required && v.trim().length === 0)
      return this.add(field, 'FIELD_REQUIRED', `${field} must not be empty`)
    return v
  }
  bool(o: Obj, key: string, field: string): boolean | undefined {
    const v = o[key]
    if (v === undefined || v === null) return this.add(field, 'FIELD_REQUIRED', `${field} is required`)
    if (typeof v !== 'boolean') return this.add(field, 'INVALID_TYPE', `${field} must be true or false`)
    return v
  }
  int(o: Obj, key: string, field: string, min: number, max: number, required = true): number | undefined {
    const v = o[key]
    if (v === undefined || v === null)
      return required ? this.add(field, 'FIELD_REQUIRED', `${field} is required`) : undefined
    if (typeof v !== 'number' || !Number.isInteger(v))
      return this.add(field, 'INVALID_TYPE', `${field} must be an integer`)
    if (v < min || v > max)
      return this.add(field, 'VALUE_OUT_OF_RANGE', `${field} must be between ${min} and ${max} (got ${v})`)
    return v
  }
  base64(o: Obj, key: string, field: string, required: boolean): { text: string; bytes: Buffer } | undefined {
    const text = this.string(o, key, field, required)
    if (text === undefined) return undefined
    const bytes = decodeBase64Strict(text)
    if (!bytes) return this.add(field, 'INVALID_BASE64', `${field} must be standard Base64 with padding`)
    // Stored and shown back bare: no line breaks, no certutil armour.
    return { text: bareBase64(text), bytes }
  }
  url(o: Obj, key: string, field: string): string | undefined {
    const text = this.string(o, key, field, false)
    if (text === undefined) return undefined
    let u: URL
    try {
      u = new URL(text)
    } catch {
      return this.add(field, 'INVALID_URL', `${field} must be an absolute http(s) URL`)
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      return this.add(field, 'INVALID_URL', `${field} must be an absolute http(s) URL`)
    return text
  }
  oneOf<T extends string>(
    o: Obj,
    key: string,
    field: string,
    values: readonly T[],
    code: ErrorCode,
  ): T | undefined {
    const v = this.string(o, key, field, true)
    if (v === undefined) return undefined
    if (!(values as readonly string[]).includes(v))
      return this.add(field, code, `${field} must be one of ${values.join(', ')} (got "${v}")`)
    return v as T
  }
  object(o: Obj, key: string, field: string, required: boolean): Obj | undefined {
    const v = o[key]
    if (v === undefined || v === null)
      return required ? this.add(field, 'FIELD_REQUIRED', `${field} is required`) : undefined
    if (!isObj(v)) return this.add(field, 'INVALID_TYPE', `${field} must be an object`)
    return v
  }
}

/**
 * Validates a create-cluster body against every rule of DESIGN section 3 and returns the
 * normalized spec. Throws one AppError listing every problem found. Name uniqueness (409) needs
 * the store and is checked by the service.
 */
export const parseCreateCluster = (body: unknown): ClusterSpec => {
  const c = new Checker()
  if (!isObj(body))
    throw new AppError('INVALID_TYPE', 'request body must be a JSON object', [
      { field: '', code: 'INVALID_TYPE', message: 'request body must be a JSON object' },
    ])

  const name = c.string(body, 'name', 'name', true)
  if (name !== undefined && !NAME_RULE.test(name))
    c.add('name', 'INVALID_NAME', `name must be ${NAME_RULE_TEXT}`)

  const clusterType = c.string(body, 'clusterType', 'clusterType', true)
  if (clusterType !== undefined && !isClusterType(clusterType))
    c.add('clusterType', 'INVALID_CLUSTER_TYPE', `clusterType must be one of ${CLUSTER_TYPES.join(', ')}`)
  const clusterVersion = c.string(body, 'clusterVersion', 'clusterVersion', true)
  if (clusterVersion !== undefined && !isClusterVersion(clusterVersion))
    c.add(
      'clusterVersion',
      'INVALID_CLUSTER_VERSION',
      `clusterVersion must be one of ${CLUSTER_VERSIONS.join(', ')}`,
    )
  const type = isClusterType(clusterType) ? clusterType : undefined

  const isHa = c.bool(body, 'isHa', 'isHa')
  const keypairName = c.string(body, 'keypairName', 'keypairName', true)
  const flavor = (key: string) => {
    const v = c.string(body, key, key, true)
    if (v !== undefined && !FLAVORS.has(v))
      return c.add(key, 'INVALID_FLAVOR', `${key} "${v}" is not a known flavor (e.g. m2a.xlarge)`)
    return v
  }
  const masterFlavorName = flavor('masterFlavorName')
  const masterVolumeSize = c.int(body, 'masterVolumeSize', 'masterVolumeSize', 50, 5120)
  const workerCnt = c.int(body, 'workerCnt', 'workerCnt', 1, MAX_WORKERS)
  const workerFlavorName = flavor('workerFlavorName')
  const workerVolumeSize = c.int(body, 'workerVolumeSize', 'workerVolumeSize', 50, 5120)
  const monitoring = c.bool(body, 'monitoring', 'monitoring')
  const vpcId = c.string(body, 'vpcId', 'vpcId', true)
  const subnetId = c.string(body, 'subnetId', 'subnetId', true)

  // Security group: reuse existing ones by id, or name a new one; exactly one of the two.
  let securityGroupIds: string[] | undefined
  const sgIds = body.securityGroupIds
  if (sgIds !== undefined && sgIds !== null) {
    if (!Array.isArray(sgIds) || sgIds.some((s) => typeof s !== 'string' || s.trim() === ''))
      c.add('securityGroupIds', 'INVALID_TYPE', 'securityGroupIds must be an array of non-empty strings')
    else if (sgIds.length === 0)
      c.add('securityGroupIds', 'SECURITY_GROUP_REQUIRED', 'securityGroupIds must not be empty')
    else securityGroupIds = sgIds as string[]
  }
  const securityGroupName = c.string(body, 'securityGroupName', 'securityGroupName', false)
  if (securityGroupName !== undefined && securityGroupName.trim() === '')
    c.add('securityGroupName', 'SECURITY_GROUP_REQUIRED', 'securityGroupName must not be empty')
  if (sgIds !== undefined && sgIds !== null && securityGroupName !== undefined)
    c.add(
      'securityGroupIds',
      'SECURITY_GROUP_CONFLICT',
      'give either securityGroupIds (reuse existing groups) or securityGroupName (create one), not both',
    )
  else if (
    (sgIds === undefined || sgIds === null) &&
    (body.securityGroupName === undefined || body.securityGroupName === null)
  )
    c.add(
      'securityGroupIds',
      'SECURITY_GROUP_REQUIRED',
      'one of securityGroupIds (reuse existing groups) or securityGroupName (create one) is required',
    )

  // adminInfo: both optional; the password is Base64 so it never travels as plain text in logs.
  let adminInfo: ClusterSpec['adminInfo']
  const admin = c.object(body, 'adminInfo', 'adminInfo', false)
  if (admin) {
    const userId = c.string(admin, 'userId', 'adminInfo.userId', false)
    const userPw = c.base64(admin, 'userPw', 'adminInfo.userPw', false)
    adminInfo = {}
    if (userId !== undefined) adminInfo.userId = userId
    if (userPw) adminInfo.userPw = userPw.text
  }

  // config: the seed documents `BlockSize` and `fileUrl`; both are accepted as aliases.
  let config: ClusterSpec['config'] | undefined
  const cfg = c.object(body, 'config', 'config', true)
  if (cfg) {
    const hdfsReplication = c.int(cfg, 'hdfsReplication', 'config.hdfsReplication', 1, 500)
    const blockKey =
      cfg.hdfsBlockSize !== undefined && cfg.hdfsBlockSize !== null ? 'hdfsBlockSize' : 'BlockSize'
    const hdfsBlockSize = c.int(
      cfg,
      blockKey,
      `config.${blockKey === 'BlockSize' ? 'hdfsBlockSize' : blockKey}`,
      1,
      1024,
    )
    const configText = c.base64(cfg, 'configText', 'config.configText', false)
    if (configText) {
      const problem = checkConfigurations(configText.bytes.toString('utf8'))
      if (problem)
        c.add(
          'config.configText',
          'INVALID_CONFIG_TEXT',
          `config.configText must decode to a configurations JSON document: ${problem}`,
        )
    }
    const urlKey = cfg.configFileUrl !== undefined && cfg.configFileUrl !== null ? 'configFileUrl' : 'fileUrl'
    const configFileUrl = c.url(cfg, urlKey, `config.${urlKey}`)
    if (cfg.configFileUrl != null && cfg.fileUrl != null && cfg.configFileUrl !== cfg.fileUrl)
      c.add(
        'config.fileUrl',
        'MUTUALLY_EXCLUSIVE',
        'config.fileUrl is an alias of config.configFileUrl; give one of them',
      )
    if (cfg.configText != null && (cfg.configFileUrl != null || cfg.fileUrl != null))
      c.add(
        'config.configText',
        'MUTUALLY_EXCLUSIVE',
        'give either config.configText or config.configFileUrl, not both',
      )
    const userScript = c.base64(cfg, 'userScript', 'config.userScript', false)
    const userScriptFileUrl = c.url(cfg, 'userScriptFileUrl', 'config.userScriptFileUrl')
    if (cfg.userScript != null && cfg.userScriptFileUrl != null)
      c.add(
        'config.userScript',
        'MUTUALLY_EXCLUSIVE',
        'give either config.userScript or config.userScriptFileUrl, not both',
      )
    if (hdfsReplication !== undefined && hdfsBlockSize !== undefined) {
      config = { hdfsReplication, hdfsBlockSize }
      if (configText) config.configText = configText.text
      if (configFileUrl !== undefined) config.configFileUrl = configFileUrl
      if (userScript) config.userScript = userScript.text
      if (userScriptFileUrl !== undefined) config.userScriptFileUrl = userScriptFileUrl
    }
    if (workerCnt !== undefined && hdfsReplication !== undefined && workerCnt < hdfsReplication)
      c.add(
        'workerCnt',
        'WORKER_COUNT_BELOW_REPLICATION',
        `workerCnt (${workerCnt}) must be >= config.hdfsReplication (${hdfsReplication})`,
      )
  }

  const userTask = parseUserTask(c, body, type)

  // Metastore: a MySQL (hiveDbInfo) or a data catalog, never both, and only where Hive runs.
  let hiveDbInfo: ClusterSpec['hiveDbInfo']
  const hive = c.object(body, 'hiveDbInfo', 'hiveDbInfo', false)
  if (hive) {
    const objectId = c.string(hive, 'objectId', 'hiveDbInfo.objectId', true)
    const dbName = c.string(hive, 'dbName', 'hiveDbInfo.dbName', true)
    const userId = c.string(hive, 'userId', 'hiveDbInfo.userId', true)
    const userPw = c.base64(hive, 'userPw', 'hiveDbInfo.userPw', true)
    if (objectId && dbName && userId && userPw) hiveDbInfo = { objectId, dbName, userId, userPw: userPw.text }
  }
  const catalogKey =
    body.dataCatalogInfo !== undefined && body.dataCatalogInfo !== null ? 'dataCatalogInfo' : 'dataCatalog'
  let dataCatalogInfo: ClusterSpec['dataCatalogInfo']
  const catalog = c.object(body, catalogKey, catalogKey, false)
  if (catalog) {
    const catalogId = c.string(catalog, 'catalogId', `${catalogKey}.catalogId`, true)
    if (catalogId) dataCatalogInfo = { catalogId }
  }
  if (hive && catalog)
    c.add(
      'hiveDbInfo',
      'MUTUALLY_EXCLUSIVE',
      `give either hiveDbInfo or ${catalogKey} as the Hive metastore, not both`,
    )
  if (type && !ENGINES[type].hive) {
    if (hive)
      c.add(
        'hiveDbInfo',
        'UNSUPPORTED_FOR_CLUSTER_TYPE',
        `hiveDbInfo needs a cluster type with Hive (hadoop, trino), not ${type}`,
      )
    if (catalog)
      c.add(
        catalogKey,
        'UNSUPPORTED_FOR_CLUSTER_TYPE',
        `${catalogKey} needs a cluster type with Hive (hadoop, trino), not ${type}`,
      )
  }

  let redisInfo: ClusterSpec['redisInfo']
  const redis = c.object(body, 'redisInfo', 'redisInfo', false)
  if (redis) {
    const objectId = c.string(redis, 'objectId', 'redisInfo.objectId', true)
    const celery = c.int(redis, 'dbIdSupersetCelery', 'redisInfo.dbIdSupersetCelery', 0, 15, false)
    const results = c.int(redis, 'dbIdSupersetResults', 'redisInfo.dbIdSupersetResults', 0, 15, false)
    if (type && type !== 'dataflow')
      c.add(
        'redisInfo',
        'UNSUPPORTED_FOR_CLUSTER_TYPE',
        `redisInfo is only for dataflow clusters, not ${type}`,
      )
    if (objectId) redisInfo = { objectId, dbIdSupersetCelery: celery ?? 0, dbIdSupersetResults: results ?? 1 }
  }

  if (c.errors.length > 0) throw AppError.fromFields(c.errors)

  // Every required field was checked above; the casts only restate that for the compiler.
  const spec: ClusterSpec = {
    name: name!,
    clusterType: type!,
    clusterVersion: clusterVersion as ClusterVersion,
    isHa: isHa!,
    keypairName: keypairName!,
    masterFlavorName: masterFlavorName!,
    masterVolumeSize: masterVolumeSize!,
    workerCnt: workerCnt!,
    workerFlavorName: workerFlavorName!,
    workerVolumeSize: workerVolumeSize!,
    monitoring: monitoring!,
    vpcId: vpcId!,
    subnetId: subnetId!,
    config: config!,
  }
  if (securityGroupIds) spec.securityGroupIds = securityGroupIds
  if (securityGroupName !== undefined) spec.securityGroupName = securityGroupName
  if (adminInfo) spec.adminInfo = adminInfo
  if (userTask) spec.userTask = userTask
  if (hiveDbInfo) spec.hiveDbInfo = hiveDbInfo
  if (dataCatalogInfo) spec.dataCatalogInfo = dataCatalogInfo
  if (redisInfo) spec.redisInfo = redisInfo
  return spec
}

const parseUserTask = (c: Checker, body: Obj, type: ClusterType | undefined): UserTaskSpec | undefined => {
  const t = c.object(body, 'userTask', 'userTask', false)
  if (!t) return undefined
  const taskType = c.oneOf(t, 'type', 'userTask.type', ['hive', 'spark'] as const, 'INVALID_VALUE')
  const terminationPolicy = c.oneOf(
    t,
    'terminationPolicy',
    'userTask.terminationPolicy',
    ['never', 'onSuccess', 'always'] as const,
    'INVALID_VALUE',
  )
  const fileUrl = c.url(t, 'fileUrl', 'userTask.fileUrl')
  const hiveQuery = c.string(t, 'hiveQuery', 'userTask.hiveQuery', false)
  const execOpts = c.string(t, 'execOpts', 'userTask.execOpts', false)
  const execParams = c.string(t, 'execParams', 'userTask.execParams', false)
  const logBucketName = c.string(t, 'logBucketName', 'userTask.logBucketName', false)
  let deployMode: 'cluster' | 'client' | undefined
  if (taskType === 'hive') {
    if (t.hiveQuery == null && t.fileUrl == null)
      c.add(
        'userTask.hiveQuery',
        'FIELD_REQUIRED',
        'a hive userTask needs userTask.hiveQuery or userTask.fileUrl',
      )
    if (hiveQuery !== undefined && hiveQuery.trim() === '')
      c.add('userTask.hiveQuery', 'FIELD_REQUIRED', 'userTask.hiveQuery must not be empty')
  }
  if (taskType === 'spark') {
    if (t.fileUrl == null)
      c.add('userTask.fileUrl', 'FIELD_REQUIRED', 'a spark userTask needs userTask.fileUrl (the JAR)')
    deployMode = c.oneOf(
      t,
      'deployMode',
      'userTask.deployMode',
      ['cluster', 'client'] as const,
      'INVALID_VALUE',
    )
  }
  if (taskType && type && !ENGINES[type][taskType])
    c.add(
      'userTask.type',
      'UNSUPPORTED_FOR_CLUSTER_TYPE',
      `a ${taskType} userTask needs a cluster type that ships ${taskType} (${taskType === 'hive' ? 'hadoop, trino' : 'hadoop'}), not ${type}`,
    )
  if (!taskType || !terminationPolicy) return undefined
  const task: UserTaskSpec = { type: taskType, terminationPolicy }
  if (fileUrl !== undefined) task.fileUrl = fileUrl
  if (hiveQuery !== undefined) task.hiveQuery = hiveQuery
  if (deployMode) task.deployMode = deployMode
  if (execOpts !== undefined) task.execOpts = execOpts
  if (execParams !== undefined) task.execParams = execParams
  if (logBucketName !== undefined) task.logBucketName = logBucketName
  return task
}

/** `{"scaleCnt": n}` for scale-out and scale-in. */
export const parseScaleRequest = (body: unknown): number => {
  const c = new Checker()
  if (!isObj(body))
    throw new AppError('FIELD_REQUIRED', 'request body must be a JSON object with scaleCnt', [
      { field: 'scaleCnt', code: 'FIELD_REQUIRED', message: 'scaleCnt is required' },
    ])
  const n = c.int(body, 'scaleCnt', 'scaleCnt', 1, MAX_WORKERS)
  if (c.errors.length > 0 || n === undefined) throw AppError.fromFields(c.errors)
  return n
}

/** The overrides a job-cluster re-run may give (DESIGN section 11); every one optional. */
export interface RerunOverrides {
  workerCnt?: number
  workerVolumeSize?: number
  configHdfsReplication?: number
  configHdfsBlockSize?: number
  userTaskDeployMode?: 'cluster' | 'client'
  userTaskExecOpts?: string
  userTaskExecParams?: string
}

/**
 * A re-run body, checked with the ranges of DESIGN section 3 against the spec it overrides:
 * replication stays <= workers, a deploy mode only for a spark task. An absent body is `{}`.
 */
export const parseRerunRequest = (body: unknown, spec: ClusterSpec): RerunOverrides => {
  const c = new Checker()
  if (body === undefined || body === null) body = {}
  if (!isObj(body))
    throw new AppError('INVALID_TYPE', 'request body must be a JSON object', [
      { field: '', code: 'INVALID_TYPE', message: 'request body must be a JSON object' },
    ])
  const out: RerunOverrides = {}
  const workerCnt = c.int(body, 'workerCnt', 'workerCnt', 1, MAX_WORKERS, false)
  const workerVolumeSize = c.int(body, 'workerVolumeSize', 'workerVolumeSize', 50, 5120, false)
  const replication = c.int(body, 'configHdfsReplication', 'configHdfsReplication', 1, 500, false)
  const blockSize = c.int(body, 'configHdfsBlockSize', 'configHdfsBlockSize', 1, 1024, false)
  let deployMode: RerunOverrides['userTaskDeployMode']
  if (body.userTaskDeployMode !== undefined && body.userTaskDeployMode !== null) {
    deployMode = c.oneOf(
      body,
      'userTaskDeployMode',
      'userTaskDeployMode',
      ['cluster', 'client'] as const,
      'INVALID_VALUE',
    )
    // As at create, a deploy mode on a hive task is ignored: clients send the whole documented body.
    if (spec.userTask?.type !== 'spark') deployMode = undefined
  }
  const execOpts = c.string(body, 'userTaskExecOpts', 'userTaskExecOpts', false)
  const execParams = c.string(body, 'userTaskExecParams', 'userTaskExecParams', false)
  const workers = workerCnt ?? spec.workerCnt
  const rep = replication ?? spec.config.hdfsReplication
  if (!c.has('workerCnt') && !c.has('configHdfsReplication') && workers < rep)
    c.add(
      workerCnt !== undefined ? 'workerCnt' : 'configHdfsReplication',
      'WORKER_COUNT_BELOW_REPLICATION',
      `workerCnt (${workers}) must be >= configHdfsReplication (${rep})`,
    )
  if (c.errors.length > 0) throw AppError.fromFields(c.errors)
  if (workerCnt !== undefined) out.workerCnt = workerCnt
  if (workerVolumeSize !== undefined) out.workerVolumeSize = workerVolumeSize
  if (replication !== undefined) out.configHdfsReplication = replication
  if (blockSize !== undefined) out.configHdfsBlockSize = blockSize
  if (deployMode !== undefined) out.userTaskDeployMode = deployMode
  if (execOpts !== undefined) out.userTaskExecOpts = execOpts
  if (execParams !== undefined) out.userTaskExecParams = execParams
  return out
}
