import { FLAVORS, type ClusterType, type ClusterVersion, type Flavor } from './catalog.js'
import { toCluster, type ClusterRecord } from './cluster.js'
import {
  CLASSIFICATIONS,
  COMPONENTS,
  TRINO_JVM_CONFIG_PATH,
  WORKER_COMPONENTS,
  catalogDefaults,
  trinoJvmConfig,
  type ClassificationEntry,
  type ConfigFormat,
  type MetastoreInput,
  type Role,
  type Topology,
} from './config-catalog.js'
import type { Configurations } from './config-text.js'
import { vmName } from './vm.js'

/**
 * DESIGN section 9: the files every node of a cluster gets, rendered from the catalog defaults
 * for its type, version and flavors, the spec's HDFS fields and integrations, and the user's
 * classifications. Pure: no I/O, the same input always gives the same bytes.
 *
 * Rules where DESIGN is silent:
 * - A classification the catalog does not know, or one for a component the cluster type does
 *   not install (`hbase-site` on a hadoop cluster), renders nothing and is listed in `skipped`.
 * - `user-env:{user}` needs a Linux user name (`[a-z_][a-z0-9_-]{0,31}`): anything else (`..`,
 *   `/`, upper case, empty) could name another file, so it is skipped. Only its `env` property is
 *   used; the file goes to every node, the user's logins are not tied to a daemon.
 * - `dfs.replication` and `dfs.blocksize` follow the spec: a user value for either, in any
 *   classification, is dropped (a later `*-site` would otherwise override hdfs-site).
 * - No password is ever rendered: the spec's are not part of the input, and a user's
 *   `javax.jdo.option.ConnectionPassword` is dropped.
 * - A property a format cannot carry is dropped, never mangled: in XML a key or value with a
 *   character XML 1.0 forbids (NUL and the other C0 controls but tab, LF and CR; U+FFFE, U+FFFF;
 *   a lone surrogate); in an env file a name that is not a shell variable name, or a value with
 *   NUL or a lone surrogate. `defaults` and `properties` escape everything (Java properties
 *   syntax), so they drop only empty names, as every format does.
 * - Later classifications with the same name add to and override earlier ones.
 * - Files are sorted by path; properties by name (UTF-16 code units), so the output depends on
 *   the final values only.
 */

export interface RenderedFile {
  /** Absolute path on the node. */
  path: string
  content: string
}

export interface RenderedConfigs {
  master: RenderedFile[]
  worker: RenderedFile[]
}

/** Something of the user's classifications that was not rendered, and why. */
export interface SkippedSetting {
  classification: string
  /** Absent when the whole classification was skipped. */
  property?: string
  reason: string
}

export interface RenderResult extends RenderedConfigs {
  skipped: SkippedSetting[]
}

export type Classification = Configurations['configurations'][number]

/** Everything a render needs; `renderInputFor` builds it from a cluster record. */
export interface RenderInput {
  clusterName: string
  clusterType: ClusterType
  clusterVersion: ClusterVersion
  /** The masters' VM names (`HadoopMST-{name}-{i}`), the first master first. */
  masters: readonly string[]
  masterFlavor: Flavor
  workerFlavor: Flavor
  hdfs: { replication: number; blockSizeMb: number }
  /** The metastore as the cluster view shows it (host, URI): no password. */
  metastore?: MetastoreInput
  redis?: { host: string; port: number; celeryDb: number; resultsDb: number }
  classifications: readonly Classification[]
}

/** A VM's hostname: its name in lower case (a Kubernetes pod's name, a DNS label). */
export const hostnameOf = (vm: string): string => vm.toLowerCase()

export const USER_ENV_PREFIX = 'user-env:'
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/
const SH_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** Anything XML 1.0 cannot carry, even as a character reference (its `Char` production). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const SPEC_OWNED = new Set(['dfs.replication', 'dfs.blocksize'])
const PASSWORDS = new Set(['javax.jdo.option.ConnectionPassword'])

const HEADER =
  'Rendered by hadoop-eco from the cluster spec and its configurations; edits here are overwritten.'

/** Why a property cannot be written in a format, or undefined when it can. */
const unfit = (format: ConfigFormat, key: string, value: string): string | undefined => {
  if (key === '') return 'a property needs a name'
  if (format === 'xml') {
    if (NOT_XML_CHAR.test(key) || NOT_XML_CHAR.test(value))
      return 'XML 1.0 cannot carry its characters (C0 controls other than tab, LF and CR, U+FFFE, U+FFFF, lone surrogates)'
  } else if (format === 'env') {
    if (!SH_NAME.test(key))
      return 'an env file exports shell variables: the name must match [A-Za-z_][A-Za-z0-9_]*'
    if (value.includes('\0') || LONE_SURROGATE.test(value))
      return 'a shell variable cannot hold NUL or a lone surrogate'
  }
  return undefined
}

const xmlText = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    // `>` always, so `]]>` never appears; CR as a reference, or parsers turn it into LF.
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;')

const renderXml = (props: ReadonlyMap<string, string>): string => {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', `<!-- ${HEADER} -->\n`, '<configuration>\n']
  for (const [k, v] of sorted(props))
    parts.push(
      '  <property>\n',
      `    <name>${xmlText(k)}</name>\n`,
      `    <value>${xmlText(v)}</value>\n`,
      '  </property>\n',
    )
  parts.push('</configuration>\n')
  return parts.join('')
}

/** Single quotes: nothing inside is expanded; a quote itself closes, escapes and reopens. */
export const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

const renderEnv = (props: ReadonlyMap<string, string>): string =>
  [`# ${HEADER}`, ...[...sorted(props)].map(([k, v]) => `export ${k}=${shQuote(v)}`), ''].join('\n')

/**
 * Java properties escaping: Spark and Trino read these files with `Properties.load`. Everything
 * outside printable ASCII becomes `\uXXXX`, so the file reads the same whatever charset the
 * reader assumes, and any string survives (lone surrogates included: Java strings are UTF-16).
 */
const propertiesText = (s: string, key: boolean): string => {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    const code = s.charCodeAt(i)
    if (ch === '\\') out += '\\\\'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\f') out += '\\f'
    // In a key these end it (or start a comment); a value loses its leading spaces and one
    // leading `=` or `:` to the separator. Elsewhere in a value they are plain text.
    else if (ch === ' ' || ch === '=' || ch === ':') out += key || i === 0 ? `\\${ch}` : ch
    else if (key && (ch === '#' || ch === '!')) out += `\\${ch}`
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return out
}

const renderProperties = (props: ReadonlyMap<string, string>, separator: ' ' | '='): string =>
  [
    `# ${HEADER}`,
    ...[...sorted(props)].map(
      ([k, v]) => `${propertiesText(k, true)}${separator}${propertiesText(v, false)}`,
    ),
    '',
  ].join('\n')

const sorted = (props: ReadonlyMap<string, string>): [string, string][] =>
  [...props].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

const renderFile = (format: ConfigFormat, props: ReadonlyMap<string, string>): string =>
  format === 'xml'
    ? renderXml(props)
    : format === 'env'
      ? renderEnv(props)
      : renderProperties(props, format === 'defaults' ? ' ' : '=')

/** The user's classifications checked against the catalog: what renders, what does not and why. */
const collect = (type: ClusterType, classifications: readonly Classification[]) => {
  const skipped: SkippedSetting[] = []
  const user = new Map<string, { entry: ClassificationEntry; props: Map<string, string> }>()
  const userEnv = new Map<string, string>()
  const installed = COMPONENTS[type]
  for (const { classification: name, properties } of classifications) {
    const entries = Object.entries(properties)
    if (name.startsWith(USER_ENV_PREFIX)) {
      const who = name.slice(USER_ENV_PREFIX.length)
      if (!USER_NAME.test(who)) {
        skipped.push({
          classification: name,
          reason: 'user-env needs a Linux user name: [a-z_][a-z0-9_-]{0,31}',
        })
        continue
      }
      for (const [k, v] of entries)
        if (k === 'env') userEnv.set(who, v)
        else
          skipped.push({ classification: name, property: k, reason: 'user-env uses only its env property' })
      if (!Object.hasOwn(properties, 'env') && !userEnv.has(who))
        skipped.push({ classification: name, reason: 'user-env has no env property' })
      continue
    }
    const entry = CLASSIFICATIONS.get(name)
    if (!entry) {
      skipped.push({ classification: name, reason: 'not a classification the catalog knows' })
      continue
    }
    if (!installed.includes(entry.component)) {
      skipped.push({
        classification: name,
        reason: `${entry.component} is not installed on a ${type} cluster`,
      })
      continue
    }
    const slot = user.get(name) ?? { entry, props: new Map<string, string>() }
    user.set(name, slot)
    for (const [k, v] of entries) {
      const why = SPEC_OWNED.has(k)
        ? `follows config.${k === 'dfs.replication' ? 'hdfsReplication' : 'hdfsBlockSize'}`
        : PASSWORDS.has(k)
          ? 'passwords are never rendered; the metastore password is hiveDbInfo.userPw'
          : unfit(entry.format, k, v)
      if (why) skipped.push({ classification: name, property: k, reason: why })
      else slot.props.set(k, v)
    }
  }
  return { user, userEnv, skipped }
}

/** Renders the files of both roles. Never throws on user input: what cannot render is in `skipped`. */
export const renderConfigs = (input: RenderInput): RenderResult => {
  const topology: Topology = {
    clusterName: input.clusterName,
    clusterType: input.clusterType,
    clusterVersion: input.clusterVersion,
    masters: input.masters.map(hostnameOf),
    masterFlavor: input.masterFlavor,
    workerFlavor: input.workerFlavor,
    hdfs: input.hdfs,
    ...(input.metastore ? { metastore: input.metastore } : {}),
    ...(input.redis ? { redis: input.redis } : {}),
  }
  const { user, userEnv, skipped } = collect(input.clusterType, input.classifications)
  const role = (r: Role): RenderedFile[] => {
    const merged = catalogDefaults(topology, r)
    for (const [name, { entry, props }] of user) {
      if (r === 'worker' && !WORKER_COMPONENTS.has(entry.component)) continue
      const into = merged.get(name) ?? new Map<string, string>()
      for (const [k, v] of props) into.set(k, v)
      merged.set(name, into)
    }
    const files: RenderedFile[] = []
    for (const [name, props] of merged) {
      const entry = CLASSIFICATIONS.get(name)!
      files.push({ path: entry.path, content: renderFile(entry.format, props) })
    }
    if (COMPONENTS[input.clusterType].includes('trino'))
      files.push({
        path: TRINO_JVM_CONFIG_PATH,
        content: trinoJvmConfig(r === 'master' ? input.masterFlavor : input.workerFlavor),
      })
    for (const [who, env] of userEnv) files.push({ path: `/etc/profile.d/user-env-${who}.sh`, content: env })
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }
  return { master: role('master'), worker: role('worker'), skipped }
}

const flavor = (name: string): Flavor => {
  const f = FLAVORS.get(name)
  // The spec was validated against the catalog; a flavor missing here means the catalog shrank.
  if (!f) throw new Error(`flavor ${name} is not in the catalog`)
  return f
}

/**
 * The render input of a cluster record. Hosts of the integrations are the ones its view shows
 * (`hiveDbInfo.host`, `dataCatalogInfo.metastoreUri`, `redisInfo.primaryEndpoint`); passwords
 * are not read. Masters keep their names for life (a replaced VM keeps its name and index).
 */
export const renderInputFor = (c: ClusterRecord, classifications: readonly Classification[]): RenderInput => {
  const s = c.spec
  const view = toCluster(c, c.createdAt)
  const input: RenderInput = {
    clusterName: c.name,
    clusterType: c.clusterType,
    clusterVersion: s.clusterVersion,
    // A job cluster's re-run boots new masters whose indexes continue the last run's (plans.ts,
    // initialVms): the files must name those, not the first run's.
    masters: Array.from({ length: s.isHa ? 3 : 1 }, (_, i) =>
      vmName(c.name, 'master', (c.info.run?.firstMasterIndex ?? 1) + i),
    ),
    masterFlavor: flavor(s.masterFlavorName),
    workerFlavor: flavor(s.workerFlavorName),
    hdfs: { replication: s.config.hdfsReplication, blockSizeMb: s.config.hdfsBlockSize },
    classifications,
  }
  if (view.hiveDbInfo)
    input.metastore = {
      kind: 'mysql',
      host: view.hiveDbInfo.host,
      port: view.hiveDbInfo.port,
      dbName: view.hiveDbInfo.dbName,
      userId: view.hiveDbInfo.userId,
    }
  else if (view.dataCatalogInfo)
    input.metastore = { kind: 'dataCatalog', uri: view.dataCatalogInfo.metastoreUri }
  if (view.redisInfo)
    input.redis = {
      host: view.redisInfo.primaryEndpoint,
      port: view.redisInfo.port,
      celeryDb: view.redisInfo.dbIdSupersetCelery,
      resultsDb: view.redisInfo.dbIdSupersetResults,
    }
  return input
}

/**
 * What every node of this cluster gets: the installer writes exactly these files, and
 * `GET /v2/hadoop-eco/clusters/{id}/configs` shows them. `classifications` come from
 * `config.configText` or from the text of `config.configFileUrl`, which the caller reads.
 */
export const renderClusterConfigs = (
  c: ClusterRecord,
  classifications: readonly Classification[],
): RenderResult => renderConfigs(renderInputFor(c, classifications))
