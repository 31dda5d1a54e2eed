// The create form's values and the API's create body, both ways. The form holds plain text
// where the API wants Base64 (passwords, configText, userScript): the console encodes it.
import type { CreateClusterRequest } from '../../src/sdk/index.js'

export const CLUSTER_TYPES = ['hadoop', 'hbase', 'trino', 'dataflow'] as const
export const CLUSTER_VERSIONS = ['hde-2.2.0', 'hde-2.1.0', 'hde-2.0.1', 'hde-1.1.2'] as const
export const FLAVORS = ['m2a', 'c2a', 'r2a'].flatMap((f) =>
  ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'].map(
    (s) => `${f}.${s}`,
  ),
)

export interface SpecForm {
  name: string
  clusterType: string
  clusterVersion: string
  isHa: boolean
  keypairName: string
  masterFlavorName: string
  masterVolumeSize: string
  workerCnt: string
  workerFlavorName: string
  workerVolumeSize: string
  monitoring: boolean
  /** Comma separated. */
  securityGroupIds: string
  securityGroupName: string
  vpcId: string
  subnetId: string
  adminInfo: { userId: string; userPw: string }
  config: {
    hdfsReplication: string
    hdfsBlockSize: string
    configText: string
    configFileUrl: string
    userScript: string
    userScriptFileUrl: string
  }
  userTask: {
    type: '' | 'hive' | 'spark'
    terminationPolicy: string
    fileUrl: string
    hiveQuery: string
    deployMode: string
    execOpts: string
    execParams: string
    logBucketName: string
  }
  hiveDbInfo: { objectId: string; dbName: string; userId: string; userPw: string }
  dataCatalogInfo: { catalogId: string }
  redisInfo: { objectId: string; dbIdSupersetCelery: string; dbIdSupersetResults: string }
}

export const emptySpec = (): SpecForm => ({
  name: '',
  clusterType: 'hadoop',
  clusterVersion: 'hde-2.2.0',
  isHa: false,
  keypairName: '',
  masterFlavorName: 'm2a.xlarge',
  masterVolumeSize: '50',
  workerCnt: '2',
  workerFlavorName: 'm2a.xlarge',
  workerVolumeSize: '100',
  monitoring: false,
  securityGroupIds: '',
  securityGroupName: '',
  vpcId: '',
  subnetId: '',
  adminInfo: { userId: '', userPw: '' },
  config: {
    hdfsReplication: '2',
    hdfsBlockSize: '128',
    configText: '',
    configFileUrl: '',
    userScript: '',
    userScriptFileUrl: '',
  },
  userTask: {
    type: '',
    terminationPolicy: 'never',
    fileUrl: '',
    hiveQuery: '',
    deployMode: 'cluster',
    execOpts: '',
    execParams: '',
    logBucketName: '',
  },
  hiveDbInfo: { objectId: '', dbName: '', userId: '', userPw: '' },
  dataCatalogInfo: { catalogId: '' },
  redisInfo: { objectId: '', dbIdSupersetCelery: '', dbIdSupersetResults: '' },
})

/** UTF-8 text to standard Base64 with padding, as the API wants it. */
export const toBase64 = (text: string): string => {
  const bytes = new TextEncoder().encode(text)
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

/** Base64 back to text; a value that is not Base64 is kept as it is, for the server to judge. */
export const fromBase64 = (b64: string): string => {
  try {
    const bin = atob(b64.replace(/\s+/g, ''))
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)))
  } catch {
    return b64
  }
}

/**
 * A Base64 field of a spec file, as text for the form. A value that is not Base64 of UTF-8
 * text cannot be shown and sent back unchanged, so the file is refused, naming the field.
 */
const decodeField = (field: string, value: unknown): string => {
  if (value === undefined || value === null || value === '') return ''
  const clean = String(value).replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0)
    throw new Error(`${field} is not Base64: the API takes it Base64-encoded`)
  try {
    const bin = atob(clean)
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)))
  } catch {
    throw new Error(`${field} is not Base64 of UTF-8 text, so the form cannot show it`)
  }
}

/** A number field: what the user typed, as a number when it is one (else the text, for the server to refuse). */
const num = (s: string): number | string | undefined => {
  const t = s.trim()
  if (t === '') return undefined
  const n = Number(t)
  return Number.isFinite(n) ? n : t
}
const str = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim())

/** Drops undefined keys and objects left empty, so the body says only what the user said. */
const compact = <T extends Record<string, unknown>>(o: T): T | undefined => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return Object.keys(out).length ? (out as T) : undefined
}

/** The create body for the form's values. Required fields are sent even when empty: the server names them. */
export const toRequest = (f: SpecForm): CreateClusterRequest => {
  const body: Record<string, unknown> = {
    name: f.name.trim(),
    clusterType: f.clusterType,
    clusterVersion: f.clusterVersion,
    isHa: f.isHa,
    keypairName: f.keypairName.trim(),
    masterFlavorName: f.masterFlavorName,
    masterVolumeSize: num(f.masterVolumeSize),
    workerCnt: num(f.workerCnt),
    workerFlavorName: f.workerFlavorName,
    workerVolumeSize: num(f.workerVolumeSize),
    monitoring: f.monitoring,
    vpcId: f.vpcId.trim(),
    subnetId: f.subnetId.trim(),
  }
  const groups = f.securityGroupIds
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (groups.length) body.securityGroupIds = groups
  if (str(f.securityGroupName)) body.securityGroupName = str(f.securityGroupName)
  const admin = compact({
    userId: str(f.adminInfo.userId),
    userPw: f.adminInfo.userPw ? toBase64(f.adminInfo.userPw) : undefined,
  })
  if (admin) body.adminInfo = admin
  body.config =
    compact({
      hdfsReplication: num(f.config.hdfsReplication),
      hdfsBlockSize: num(f.config.hdfsBlockSize),
      configText: f.config.configText.trim() ? toBase64(f.config.configText) : undefined,
      configFileUrl: str(f.config.configFileUrl),
      userScript: f.config.userScript.trim() ? toBase64(f.config.userScript) : undefined,
      userScriptFileUrl: str(f.config.userScriptFileUrl),
    }) ?? {}
  if (f.userTask.type) {
    const t = f.userTask
    body.userTask = compact({
      type: t.type,
      terminationPolicy: t.terminationPolicy,
      fileUrl: str(t.fileUrl),
      hiveQuery: t.type === 'hive' ? str(t.hiveQuery) : undefined,
      deployMode: t.type === 'spark' ? t.deployMode : undefined,
      execOpts: str(t.execOpts),
      execParams: str(t.execParams),
      logBucketName: str(t.logBucketName),
    })
  }
  const hive = compact({
    objectId: str(f.hiveDbInfo.objectId),
    dbName: str(f.hiveDbInfo.dbName),
    userId: str(f.hiveDbInfo.userId),
    userPw: f.hiveDbInfo.userPw ? toBase64(f.hiveDbInfo.userPw) : undefined,
  })
  if (hive) body.hiveDbInfo = hive
  if (str(f.dataCatalogInfo.catalogId)) body.dataCatalogInfo = { catalogId: str(f.dataCatalogInfo.catalogId) }
  const redis = compact({
    objectId: str(f.redisInfo.objectId),
    dbIdSupersetCelery: num(f.redisInfo.dbIdSupersetCelery),
    dbIdSupersetResults: num(f.redisInfo.dbIdSupersetResults),
  })
  if (redis) body.redisInfo = redis
  return body as unknown as CreateClusterRequest
}

type Json = Record<string, unknown>
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {})
const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v))

/**
 * Form values from a spec file (the API's create body, as the CLI and the seed write it). The
 * seed's aliases are read too: `config.fileUrl`, `config.BlockSize`, `dataCatalog`.
 */
export const fromRequest = (input: unknown): SpecForm => {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new Error('the file must hold one JSON object: a create request body')
  const b = input as Json
  const d = emptySpec()
  const cfg = obj(b.config)
  const task = obj(b.userTask)
  const admin = obj(b.adminInfo)
  const hive = obj(b.hiveDbInfo)
  const redis = obj(b.redisInfo)
  const catalog = obj(b.dataCatalogInfo ?? b.dataCatalog)
  const pick = (v: unknown, fallback: string) => (v === undefined || v === null ? fallback : String(v))
  return {
    name: text(b.name),
    clusterType: pick(b.clusterType, d.clusterType),
    clusterVersion: pick(b.clusterVersion, d.clusterVersion),
    isHa: b.isHa === true,
    keypairName: text(b.keypairName),
    masterFlavorName: pick(b.masterFlavorName, d.masterFlavorName),
    masterVolumeSize: pick(b.masterVolumeSize, ''),
    workerCnt: pick(b.workerCnt, ''),
    workerFlavorName: pick(b.workerFlavorName, d.workerFlavorName),
    workerVolumeSize: pick(b.workerVolumeSize, ''),
    monitoring: b.monitoring === true,
    securityGroupIds: Array.isArray(b.securityGroupIds) ? b.securityGroupIds.map(String).join(', ') : '',
    securityGroupName: text(b.securityGroupName),
    vpcId: text(b.vpcId),
    subnetId: text(b.subnetId),
    adminInfo: { userId: text(admin.userId), userPw: decodeField('adminInfo.userPw', admin.userPw) },
    config: {
      hdfsReplication: pick(cfg.hdfsReplication, ''),
      hdfsBlockSize: pick(cfg.hdfsBlockSize ?? cfg.BlockSize, ''),
      configText: decodeField('config.configText', cfg.configText),
      configFileUrl: text(cfg.configFileUrl ?? cfg.fileUrl),
      userScript: decodeField('config.userScript', cfg.userScript),
      userScriptFileUrl: text(cfg.userScriptFileUrl),
    },
    userTask: {
      type: task.type === 'hive' || task.type === 'spark' ? task.type : '',
      terminationPolicy: pick(task.terminationPolicy, d.userTask.terminationPolicy),
      fileUrl: text(task.fileUrl),
      hiveQuery: text(task.hiveQuery),
      deployMode: pick(task.deployMode, d.userTask.deployMode),
      execOpts: text(task.execOpts),
      execParams: text(task.execParams),
      logBucketName: text(task.logBucketName),
    },
    hiveDbInfo: {
      objectId: text(hive.objectId),
      dbName: text(hive.dbName),
      userId: text(hive.userId),
      userPw: decodeField('hiveDbInfo.userPw', hive.userPw),
    },
    dataCatalogInfo: { catalogId: text(catalog.catalogId) },
    redisInfo: {
      objectId: text(redis.objectId),
      dbIdSupersetCelery: text(redis.dbIdSupersetCelery),
      dbIdSupersetResults: text(redis.dbIdSupersetResults),
    },
  }
}

/** The API names a field by its path; the seed's aliases are the same form field. */
export const formField = (apiField: string): string =>
  apiField
    .replace(/^config\.fileUrl$/, 'config.configFileUrl')
    .replace(/^config\.BlockSize$/, 'config.hdfsBlockSize')
    .replace(/^dataCatalog\./, 'dataCatalogInfo.')
