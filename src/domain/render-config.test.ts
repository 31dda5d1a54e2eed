import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import userEnvFixture from '../../test/fixtures/config-user-env.json' with { type: 'json' }
import { validBody } from '../../test/fixtures/valid-body.js'
import { CLUSTER_TYPES, CLUSTER_VERSIONS, FLAVORS, type ClusterType, type ClusterVersion } from './catalog.js'
import type { ClusterRecord } from './cluster.js'
import { parseCreateCluster } from './cluster-spec.js'
import { CLASSIFICATIONS } from './config-catalog.js'
import {
  renderClusterConfigs,
  renderConfigs,
  type Classification,
  type RenderInput,
  type RenderResult,
  type RenderedFile,
} from './render-config.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const flavor = (name: string) => FLAVORS.get(name)!

const input = (over: Partial<RenderInput> = {}): RenderInput => ({
  clusterName: 'etl',
  clusterType: 'hadoop',
  clusterVersion: 'hde-2.0.1',
  masters: ['HadoopMST-etl-1'],
  masterFlavor: flavor('m2a.xlarge'),
  workerFlavor: flavor('m2a.xlarge'),
  hdfs: { replication: 3, blockSizeMb: 128 },
  classifications: [],
  ...over,
})
const withUser = (classifications: Classification[], over: Partial<RenderInput> = {}) =>
  renderConfigs(input({ ...over, classifications }))

const fileOf = (files: readonly RenderedFile[], path: string): string => {
  const f = files.find((x) => x.path === path)
  if (!f) throw new Error(`${path} not rendered (have ${files.map((x) => x.path).join(', ')})`)
  return f.content
}

// --- Readers of the three formats, independent of the renderer ----------------------------

const xmlParser = new XMLParser({
  // Values exactly as written: no trimming, no number parsing; character references decoded.
  trimValues: false,
  parseTagValue: false,
  htmlEntities: true,
  isArray: (name) => name === 'property',
})
/** Anything outside XML 1.0's Char production; fast-xml-parser's validator does not check it. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

/** A Hadoop configuration file as a map, after checking it is well-formed XML 1.0. */
const parseXml = (content: string): Map<string, string> => {
  expect(XMLValidator.validate(content)).toBe(true)
  expect(content).not.toMatch(NOT_XML_CHAR)
  expect(content).not.toContain(']]>')
  expect(content.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true)
  const doc = xmlParser.parse(content) as {
    configuration: { property?: { name: string; value: string }[] } | string
  }
  const props = typeof doc.configuration === 'string' ? [] : (doc.configuration.property ?? [])
  const out = new Map<string, string>()
  for (const p of props) {
    expect(out.has(p.name), `duplicate property ${p.name}`).toBe(false)
    out.set(String(p.name), String(p.value))
  }
  return out
}

/**
 * `export NAME='...'` lines as sh reads them: single-quoted text is literal, `\'` is a quote.
 * (A real shell reads a sample of them in a test below.)
 */
const parseEnv = (content: string): Map<string, string> => {
  const out = new Map<string, string>()
  let i = 0
  while (i < content.length) {
    if (content[i] === '\n') {
      i++
      continue
    }
    if (content[i] === '#') {
      i = content.indexOf('\n', i) + 1 || content.length
      continue
    }
    const head = /^export ([A-Za-z_][A-Za-z0-9_]*)=/.exec(content.slice(i))
    if (!head) throw new Error(`not an export at ${i}: ${JSON.stringify(content.slice(i, i + 40))}`)
    i += head[0].length
    let value = ''
    for (;;) {
      if (content[i] === "'") {
        const end = content.indexOf("'", i + 1)
        if (end < 0) throw new Error('unterminated quote')
        value += content.slice(i + 1, end)
        i = end + 1
      } else if (content.startsWith("\\'", i)) {
        value += "'"
        i += 2
      } else break
    }
    if (i < content.length && content[i] !== '\n') throw new Error(`unquoted text at ${i}`)
    out.set(head[1]!, value)
  }
  return out
}

/** `java.util.Properties.load`, as its Javadoc specifies it (natural and logical lines, escapes). */
const parseJavaProperties = (content: string): Map<string, string> => {
  const natural = content.split(/\r\n|\r|\n/)
  const ws = (c: string | undefined) => c === ' ' || c === '\t' || c === '\f'
  const logical: string[] = []
  for (let n = 0; n < natural.length; n++) {
    let line = natural[n]!.replace(/^[ \t\f]+/, '')
    if (line === '' || line[0] === '#' || line[0] === '!') continue
    const trailingBackslashes = (l: string) => /\\*$/.exec(l)![0].length
    while (trailingBackslashes(line) % 2 === 1 && n + 1 < natural.length)
      line = line.slice(0, -1) + natural[++n]!.replace(/^[ \t\f]+/, '')
    logical.push(line)
  }
  const convert = (s: string) =>
    s.replace(/\\(u[0-9a-fA-F]{4}|[\s\S])/g, (_, e: string) =>
      e.length === 5
        ? String.fromCharCode(parseInt(e.slice(1), 16))
        : (({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[e] ?? e),
    )
  const out = new Map<string, string>()
  for (const line of logical) {
    let keyLen = 0
    let valueStart = line.length
    let hasSep = false
    let backslash = false
    for (; keyLen < line.length; keyLen++) {
      const c = line[keyLen]!
      if ((c === '=' || c === ':') && !backslash) {
        valueStart = keyLen + 1
        hasSep = true
        break
      }
      if (ws(c) && !backslash) {
        valueStart = keyLen + 1
        break
      }
      backslash = c === '\\' ? !backslash : false
    }
    while (valueStart < line.length) {
      const c = line[valueStart]
      if (!ws(c)) {
        if (!hasSep && (c === '=' || c === ':')) hasSep = true
        else break
      }
      valueStart++
    }
    out.set(convert(line.slice(0, keyLen)), convert(line.slice(valueStart)))
  }
  return out
}

/** A cluster record as the store returns it: passwords sealed. */
const record = (
  specOver: Record<string, unknown> = {},
  sealed: Record<string, string> = {},
): ClusterRecord => {
  const spec = parseCreateCluster(validBody({ name: 'render-me', ...specOver }))
  return {
    seq: 1,
    id: '0f0e0d0c-0b0a-4908-8706-050403020100',
    project: 'p',
    name: spec.name,
    owner: 'o',
    status: 'Running',
    terminalStatus: null,
    clusterType: spec.clusterType,
    clusterVersion: spec.clusterVersion,
    apiKeyStatus: 'impossible',
    masterCnt: spec.isHa ? 3 : 1,
    workerCnt: spec.workerCnt,
    targetWorkerCnt: spec.workerCnt,
    hdfsReplication: spec.config.hdfsReplication,
    createdAt: 0,
    runningAt: 0,
    terminatedAt: null,
    updatedAt: 0,
    spec: {
      ...spec,
      ...(spec.hiveDbInfo && sealed.hive ? { hiveDbInfo: { ...spec.hiveDbInfo, userPw: sealed.hive } } : {}),
      ...(spec.adminInfo && sealed.admin ? { adminInfo: { ...spec.adminInfo, userPw: sealed.admin } } : {}),
    },
    info: { securityGroupIds: [] },
    vmUptimeClosed: 0,
    vmLiveCount: 0,
    vmLiveCreatedSum: 0,
    nextMasterIndex: 1,
    nextWorkerIndex: 1,
  }
}

/** Every file of both roles, in one list, for checks that hold for all of them. */
const allFiles = (r: RenderResult) => [...r.master, ...r.worker]

const everyShape = (): { type: ClusterType; version: ClusterVersion; isHa: boolean }[] =>
  CLUSTER_TYPES.flatMap((type) =>
    CLUSTER_VERSIONS.flatMap((version) => [false, true].map((isHa) => ({ type, version, isHa }))),
  )
const mastersFor = (isHa: boolean, name = 'etl') =>
  Array.from({ length: isHa ? 3 : 1 }, (_, i) => `HadoopMST-${name}-${i + 1}`)

describe('renderConfigs', () => {
  it('renders well-formed XML for every type, version and availability, with the catalog paths', () => {
    for (const { type, version, isHa } of everyShape()) {
      const r = renderConfigs(
        input({ clusterType: type, clusterVersion: version, masters: mastersFor(isHa) }),
      )
      for (const f of allFiles(r)) {
        expect(f.path.startsWith('/etc/')).toBe(true)
        if (f.path.endsWith('.xml')) expect(parseXml(f.content).size).toBeGreaterThan(0)
      }
      const hdfs = parseXml(fileOf(r.master, '/etc/hadoop/conf/hdfs-site.xml'))
      const core = parseXml(fileOf(r.master, '/etc/hadoop/conf/core-site.xml'))
      if (isHa) {
        // A nameservice over the masters: every master runs a JournalNode; Hadoop 2 has two NameNodes at most.
        expect(core.get('fs.defaultFS')).toBe('hdfs://etl')
        expect(hdfs.get('dfs.nameservices')).toBe('etl')
        expect(hdfs.get('dfs.ha.namenodes.etl')).toBe(version === 'hde-1.1.2' ? 'nn1,nn2' : 'nn1,nn2,nn3')
        expect(hdfs.get('dfs.namenode.rpc-address.etl.nn2')).toBe('hadoopmst-etl-2:8020')
        expect(hdfs.get('dfs.namenode.shared.edits.dir')).toBe(
          'qjournal://hadoopmst-etl-1:8485;hadoopmst-etl-2:8485;hadoopmst-etl-3:8485/etl',
        )
        expect(core.get('ha.zookeeper.quorum')).toBe(
          'hadoopmst-etl-1:2181,hadoopmst-etl-2:2181,hadoopmst-etl-3:2181',
        )
      } else {
        // The first master's hostname: its VM name in lower case.
        expect(core.get('fs.defaultFS')).toBe('hdfs://hadoopmst-etl-1:8020')
        expect(hdfs.get('dfs.namenode.http-address')).toBe(
          `hadoopmst-etl-1:${version === 'hde-1.1.2' ? 50070 : 9870}`,
        )
        expect(hdfs.has('dfs.nameservices')).toBe(false)
      }
    }
  })

  it('sizes YARN from the worker flavor: all its vCPUs, 80 % of its memory', () => {
    for (const f of FLAVORS.values()) {
      const r = renderConfigs(input({ workerFlavor: f, masterFlavor: flavor('c2a.large') }))
      for (const files of [r.master, r.worker]) {
        const yarn = parseXml(fileOf(files, '/etc/hadoop/conf/yarn-site.xml'))
        expect(yarn.get('yarn.nodemanager.resource.cpu-vcores')).toBe(String(f.vcpus))
        expect(yarn.get('yarn.nodemanager.resource.memory-mb')).toBe(String(Math.floor(f.memoryMiB * 0.8)))
        // Nothing a job asks for by default may exceed what one NodeManager offers.
        const max = Number(yarn.get('yarn.scheduler.maximum-allocation-mb'))
        const mapred = parseXml(fileOf(files, '/etc/hadoop/conf/mapred-site.xml'))
        for (const k of [
          'mapreduce.map.memory.mb',
          'mapreduce.reduce.memory.mb',
          'yarn.app.mapreduce.am.resource.mb',
        ])
          expect(Number(mapred.get(k))).toBeLessThanOrEqual(max)
      }
    }
    // DESIGN section 9's table, spelled out for two flavors.
    const yarn = (name: string) =>
      parseXml(
        fileOf(renderConfigs(input({ workerFlavor: flavor(name) })).worker, '/etc/hadoop/conf/yarn-site.xml'),
      )
    expect(yarn('m2a.xlarge').get('yarn.nodemanager.resource.cpu-vcores')).toBe('4')
    expect(yarn('m2a.xlarge').get('yarn.nodemanager.resource.memory-mb')).toBe('13107') // 16 GiB
    expect(yarn('r2a.24xlarge').get('yarn.nodemanager.resource.cpu-vcores')).toBe('96')
    expect(yarn('r2a.24xlarge').get('yarn.nodemanager.resource.memory-mb')).toBe('629145') // 768 GiB
  })

  it('takes dfs.replication and dfs.blocksize (bytes) from the spec, whatever the user says', () => {
    const r = withUser(
      [
        {
          classification: 'hdfs-site',
          properties: { 'dfs.replication': '1', 'dfs.blocksize': '1024', 'dfs.x': 'y' },
        },
        { classification: 'core-site', properties: { 'dfs.replication': '7' } },
        { classification: 'yarn-site', properties: { 'dfs.blocksize': '1' } },
      ],
      { hdfs: { replication: 2, blockSizeMb: 256 } },
    )
    const hdfs = parseXml(fileOf(r.master, '/etc/hadoop/conf/hdfs-site.xml'))
    expect(hdfs.get('dfs.replication')).toBe('2')
    expect(hdfs.get('dfs.blocksize')).toBe(String(256 * 1024 * 1024))
    expect(hdfs.get('dfs.x')).toBe('y')
    // Nowhere else either: a file loaded after hdfs-site would otherwise win.
    for (const f of allFiles(r).filter((x) => x.path.endsWith('.xml') && !x.path.endsWith('hdfs-site.xml')))
      for (const k of ['dfs.replication', 'dfs.blocksize']) expect(parseXml(f.content).has(k)).toBe(false)
    expect(r.skipped).toEqual([
      { classification: 'hdfs-site', property: 'dfs.replication', reason: 'follows config.hdfsReplication' },
      { classification: 'hdfs-site', property: 'dfs.blocksize', reason: 'follows config.hdfsBlockSize' },
      { classification: 'core-site', property: 'dfs.replication', reason: 'follows config.hdfsReplication' },
      { classification: 'yarn-site', property: 'dfs.blocksize', reason: 'follows config.hdfsBlockSize' },
    ])
  })

  it("lets the user's values win over every other default, later classifications over earlier ones", () => {
    const r = withUser([
      // The seed's create example 1.
      { classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } },
      { classification: 'yarn-site', properties: { 'yarn.nodemanager.resource.memory-mb': '1000' } },
      { classification: 'hadoop-env', properties: { HADOOP_HEAPSIZE_MAX: '3001' } },
      { classification: 'spark-defaults', properties: { 'spark.master': 'local[*]' } },
      {
        classification: 'core-site',
        properties: { 'fs.trash.interval': '0', 'io.file.buffer.size': '4096' },
      },
    ])
    const core = parseXml(fileOf(r.master, '/etc/hadoop/conf/core-site.xml'))
    expect(core.get('io.file.buffer.size')).toBe('4096')
    expect(core.get('fs.trash.interval')).toBe('0')
    expect(core.get('fs.defaultFS')).toBe('hdfs://hadoopmst-etl-1:8020')
    expect(
      parseXml(fileOf(r.worker, '/etc/hadoop/conf/yarn-site.xml')).get('yarn.nodemanager.resource.memory-mb'),
    ).toBe('1000')
    expect(parseEnv(fileOf(r.master, '/etc/hadoop/conf/hadoop-env.sh')).get('HADOOP_HEAPSIZE_MAX')).toBe(
      '3001',
    )
    expect(
      parseJavaProperties(fileOf(r.worker, '/etc/spark/conf/spark-defaults.conf')).get('spark.master'),
    ).toBe('local[*]')
    expect(r.skipped).toEqual([])
  })

  it('renders each classification kind in its format at its absolute path', () => {
    const r = withUser([
      { classification: 'core-site', properties: { 'a.b': 'c' } },
      { classification: 'hadoop-env', properties: { HADOOP_HEAPSIZE_MAX: '3001' } },
      { classification: 'spark-defaults', properties: { 'spark.driver.memory': '4000M' } },
      ...(userEnvFixture.configurations as Classification[]),
    ])
    // *-site: XML
    expect(parseXml(fileOf(r.master, '/etc/hadoop/conf/core-site.xml')).get('a.b')).toBe('c')
    // *-env: export lines, as in the seed's hadoop-env example
    const env = fileOf(r.master, '/etc/hadoop/conf/hadoop-env.sh')
    expect(env).toContain("\nexport HADOOP_HEAPSIZE_MAX='3001'\n")
    for (const line of env.split('\n').filter((l) => l && !l.startsWith('#')))
      expect(line).toMatch(/^export [A-Za-z_][A-Za-z0-9_]*='/)
    // *-defaults: `key value` lines, as in the seed's spark-defaults example
    const conf = fileOf(r.master, '/etc/spark/conf/spark-defaults.conf')
    expect(conf).toContain('\nspark.driver.memory 4000M\n')
    expect(conf).toContain('\nspark.master yarn\n')
    // user-env:{user}: the env property's value, byte for byte (the seed's config-user-env example)
    const want = userEnvFixture.configurations[0]!.properties.env
    expect(fileOf(r.master, '/etc/profile.d/user-env-ubuntu.sh')).toBe(want)
    expect(fileOf(r.worker, '/etc/profile.d/user-env-ubuntu.sh')).toBe(want)
    expect(want).toBe('export JAVA_HOME=${JAVA_HOME:-/usr/lib/jdk}\nexport CUSTOM_HOME=/etc/custom')
  })

  it('renders Trino properties per role: the coordinator on the masters, workers sized by their flavor', () => {
    const r = renderConfigs(
      input({
        clusterType: 'trino',
        clusterName: 'q-lake',
        masters: mastersFor(false, 'q-lake'),
        masterFlavor: flavor('m2a.xlarge'),
        workerFlavor: flavor('r2a.2xlarge'),
        metastore: { kind: 'dataCatalog', uri: 'thrift://10.1.2.3:9083' },
        classifications: [{ classification: 'trino-config', properties: { 'query.max-memory': '50GB' } }],
      }),
    )
    const master = parseJavaProperties(fileOf(r.master, '/etc/trino/config.properties'))
    const worker = parseJavaProperties(fileOf(r.worker, '/etc/trino/config.properties'))
    expect(master.get('coordinator')).toBe('true')
    expect(worker.get('coordinator')).toBe('false')
    for (const m of [master, worker]) {
      expect(m.get('discovery.uri')).toBe('http://hadoopmst-q-lake-1:8780')
      expect(m.get('query.max-memory')).toBe('50GB')
    }
    expect(fileOf(r.master, '/etc/trino/jvm.config')).toContain(`-Xmx${Math.floor(16384 * 0.7)}m\n`)
    expect(fileOf(r.worker, '/etc/trino/jvm.config')).toContain(`-Xmx${Math.floor(65536 * 0.7)}m\n`)
    expect(parseJavaProperties(fileOf(r.worker, '/etc/trino/node.properties')).get('node.environment')).toBe(
      'q_lake',
    )
    expect(
      parseJavaProperties(fileOf(r.worker, '/etc/trino/catalog/hive.properties')).get('hive.metastore.uri'),
    ).toBe('thrift://10.1.2.3:9083')
    expect(parseXml(fileOf(r.master, '/etc/hive/conf/hive-site.xml')).get('hive.metastore.uris')).toBe(
      'thrift://10.1.2.3:9083',
    )
  })

  it('gives the masters every file and the workers those of the daemons they run', () => {
    const expectWorker: Record<ClusterType, RegExp> = {
      hadoop: /^\/etc\/(hadoop|spark)\//,
      hbase: /^\/etc\/(hadoop|hbase)\//,
      trino: /^\/etc\/(hadoop|trino)\//,
      dataflow: /^\/etc\/hadoop\//,
    }
    const expectMasterDirs: Record<ClusterType, string[]> = {
      hadoop: ['/etc/hadoop/conf', '/etc/hive/conf', '/etc/spark/conf'],
      hbase: ['/etc/hadoop/conf', '/etc/hbase/conf'],
      trino: ['/etc/hadoop/conf', '/etc/hive/conf', '/etc/trino', '/etc/trino/catalog'],
      dataflow: ['/etc/hadoop/conf', '/etc/superset/conf'],
    }
    for (const type of CLUSTER_TYPES) {
      // Every classification the catalog knows, plus a user-env: what applies to the type renders.
      const r = withUser(
        [
          ...[...CLASSIFICATIONS.keys()].map((classification) => ({ classification, properties: {} })),
          { classification: 'user-env:hadoop', properties: { env: 'umask 022\n' } },
        ],
        { clusterType: type },
      )
      const masterPaths = r.master.map((f) => f.path)
      const workerPaths = r.worker.map((f) => f.path)
      expect(workerPaths.every((p) => masterPaths.includes(p))).toBe(true)
      expect(new Set(masterPaths.map((p) => p.slice(0, p.lastIndexOf('/'))))).toEqual(
        new Set([...expectMasterDirs[type], '/etc/profile.d']),
      )
      expect(
        workerPaths.filter((p) => !p.startsWith('/etc/profile.d/')).every((p) => expectWorker[type].test(p)),
      ).toBe(true)
      expect(workerPaths).toContain('/etc/hadoop/conf/hdfs-site.xml')
      expect(workerPaths).toContain('/etc/profile.d/user-env-hadoop.sh')
      if (type === 'hadoop') expect(workerPaths).toContain('/etc/spark/conf/spark-defaults.conf')
      if (type === 'hbase') expect(workerPaths).toContain('/etc/hbase/conf/hbase-site.xml')
      if (type === 'trino') expect(workerPaths).toContain('/etc/trino/config.properties')
      // Hive and Superset run on the masters only.
      expect(workerPaths.some((p) => p.startsWith('/etc/hive/') || p.startsWith('/etc/superset/'))).toBe(
        false,
      )
      // Stable order: by path.
      expect(masterPaths).toEqual([...masterPaths].sort())
    }
  })

  it('skips classifications the catalog does not know, or for components the type does not install', () => {
    const r = withUser(
      [
        { classification: 'core-stie', properties: { a: 'b' } },
        { classification: 'hbase-site', properties: { a: 'b' } },
        { classification: 'superset-env', properties: { A: 'b' } },
        { classification: 'CORE-SITE', properties: {} },
      ],
      { clusterType: 'hadoop' },
    )
    expect(r.skipped).toEqual([
      { classification: 'core-stie', reason: 'not a classification the catalog knows' },
      { classification: 'hbase-site', reason: 'hbase is not installed on a hadoop cluster' },
      { classification: 'superset-env', reason: 'superset is not installed on a hadoop cluster' },
      { classification: 'CORE-SITE', reason: 'not a classification the catalog knows' },
    ])
    expect(allFiles(r).some((f) => /hbase|superset|stie/i.test(f.path))).toBe(false)
    expect(r).toEqual({ ...renderConfigs(input()), skipped: r.skipped })
  })

  it('never lets a user-env name leave /etc/profile.d or name anything but a Linux user', () => {
    const hostile = [
      '../../etc/passwd',
      '..',
      'a/b',
      'a\0b',
      'ubuntu\n',
      ' ubuntu',
      'Root',
      '',
      'x'.repeat(33),
      'a b',
      '$(id)',
      'ü',
    ]
    const r = withUser([
      ...hostile.map((u) => ({ classification: `user-env:${u}`, properties: { env: 'echo pwned' } })),
      { classification: 'user-env:_svc-1', properties: { env: 'echo ok', other: 'x' } },
      { classification: 'user-env:nobody', properties: { notEnv: 'x' } },
    ])
    const profile = allFiles(r).filter((f) => f.path.startsWith('/etc/profile.d/'))
    expect(new Set(profile.map((f) => f.path))).toEqual(new Set(['/etc/profile.d/user-env-_svc-1.sh']))
    for (const f of allFiles(r)) {
      expect(f.path).toMatch(/^\/etc\/[a-z0-9/._-]+$/)
      expect(f.path.split('/')).not.toContain('..')
      expect(f.content).not.toContain('pwned')
    }
    expect(r.skipped).toEqual([
      ...hostile.map((u) => ({
        classification: `user-env:${u}`,
        reason: 'user-env needs a Linux user name: [a-z_][a-z0-9_-]{0,31}',
      })),
      { classification: 'user-env:_svc-1', property: 'other', reason: 'user-env uses only its env property' },
      {
        classification: 'user-env:nobody',
        property: 'notEnv',
        reason: 'user-env uses only its env property',
      },
      { classification: 'user-env:nobody', reason: 'user-env has no env property' },
    ])
  })

  it('is deterministic: the same values in another order give the same bytes', () => {
    const a = withUser([{ classification: 'core-site', properties: { b: '2', a: '1', 'a.c': '3' } }])
    const b = withUser([
      { classification: 'core-site', properties: { 'a.c': '3' } },
      { classification: 'core-site', properties: { a: '1', b: '2' } },
    ])
    expect(b).toEqual(a)
  })
})

// --- Any properties map survives render then parse -----------------------------------------

/** Characters that break naive writers, including the ones a format cannot carry. */
const nasty = fc.constantFrom(
  '<',
  '>',
  '&',
  '"',
  "'",
  ']]>',
  '<![CDATA[',
  '&amp;',
  '&#13;',
  '\\',
  '\\u0041',
  '$',
  '`',
  '$(id)',
  '${X}',
  '=',
  ':',
  '#',
  '!',
  ' ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\f',
  '\u0000',
  '\u0001',
  '\u000b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  '\ufeff',
  '\ufffe',
  '\uffff',
  '\ud800',
  '\udfff',
  '😀',
  '한',
  'é',
)
const nastyString = fc
  .array(
    fc.oneof(
      { weight: 2, arbitrary: nasty },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    {
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(''))
const propsArb = fc.dictionary(nastyString, nastyString, { maxKeys: 12 })

const XML_OK = (s: string) => !NOT_XML_CHAR.test(s)
const ENV_OK = (k: string, v: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) &&
  !v.includes('\0') &&
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v)

/** What the user gave minus what the renderer documents it drops, and the drops it reported. */
const expected = (
  classification: string,
  props: Record<string, string>,
  fits: (k: string, v: string) => boolean,
) => {
  const kept = new Map<string, string>()
  const dropped = new Set<string>()
  for (const [k, v] of Object.entries(props))
    if (k !== '' && fits(k, v) && k !== 'dfs.replication' && k !== 'dfs.blocksize') kept.set(k, v)
    else dropped.add(k)
  return { kept, dropped, classification }
}

describe('round trips (fast-check)', () => {
  it('XML: any properties map survives render and a real XML parser, or is reported as skipped', () => {
    fc.assert(
      fc.property(propsArb, (props) => {
        const r = withUser([
          { classification: 'capacity-scheduler', properties: props },
          { classification: 'core-site', properties: props },
        ])
        const want = expected('capacity-scheduler', props, (k, v) => XML_OK(k) && XML_OK(v))
        expect(parseXml(fileOf(r.worker, '/etc/hadoop/conf/capacity-scheduler.xml'))).toEqual(want.kept)
        // With defaults: the user's keys on top of them.
        const core = parseXml(fileOf(r.master, '/etc/hadoop/conf/core-site.xml'))
        const defaults = parseXml(fileOf(renderConfigs(input()).master, '/etc/hadoop/conf/core-site.xml'))
        expect(core).toEqual(new Map([...defaults, ...want.kept]))
        const reported = r.skipped
          .filter((s) => s.classification === 'capacity-scheduler')
          .map((s) => s.property)
        expect(new Set(reported)).toEqual(want.dropped)
      }),
      { numRuns: 300 },
    )
  })

  it('env: any properties map survives render and sh quoting, or is reported as skipped', () => {
    const envName = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/), nastyString)
    fc.assert(
      fc.property(fc.dictionary(envName, nastyString, { maxKeys: 12 }), (props) => {
        const r = withUser([{ classification: 'spark-env', properties: props }])
        const want = expected('spark-env', props, ENV_OK)
        const defaults = parseEnv(fileOf(renderConfigs(input()).worker, '/etc/spark/conf/spark-env.sh'))
        expect(parseEnv(fileOf(r.worker, '/etc/spark/conf/spark-env.sh'))).toEqual(
          new Map([...defaults, ...want.kept]),
        )
        expect(new Set(r.skipped.map((s) => s.property))).toEqual(want.dropped)
      }),
      { numRuns: 300 },
    )
  })

  it('defaults and properties: any map survives Java properties escaping; only empty names are refused', () => {
    fc.assert(
      fc.property(propsArb, (props) => {
        const r = withUser(
          [
            { classification: 'trino-catalog-hive', properties: props },
            { classification: 'trino-node', properties: props },
          ],
          { clusterType: 'trino' },
        )
        const want = expected('trino-catalog-hive', props, () => true)
        const base = renderConfigs(input({ clusterType: 'trino' }))
        for (const path of ['/etc/trino/catalog/hive.properties', '/etc/trino/node.properties'])
          expect(parseJavaProperties(fileOf(r.worker, path))).toEqual(
            new Map([...parseJavaProperties(fileOf(base.worker, path)), ...want.kept]),
          )
      }),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(propsArb, (props) => {
        const r = withUser([{ classification: 'spark-defaults', properties: props }])
        const want = expected('spark-defaults', props, () => true)
        const base = parseJavaProperties(
          fileOf(renderConfigs(input()).master, '/etc/spark/conf/spark-defaults.conf'),
        )
        const conf = fileOf(r.master, '/etc/spark/conf/spark-defaults.conf')
        expect(parseJavaProperties(conf)).toEqual(new Map([...base, ...want.kept]))
        // One property per line, whatever the values hold.
        expect(conf.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length).toBe(
          new Map([...base, ...want.kept]).size,
        )
      }),
      { numRuns: 300 },
    )
  })

  it('env files read back the same in a real shell', () => {
    const values = [
      "it's",
      "'",
      "''\\''",
      '$(touch /tmp/hadoop-eco-pwned) `id` ${HOME} $HOME',
      'a\nb\r\nc',
      '"double" \\ backslash',
      '*',
      ' spaced ',
      '',
      '😀 한 é \u0001 \u007f',
    ]
    const props = Object.fromEntries(values.map((v, i) => [`V${i}`, v]))
    const content = fileOf(
      withUser([{ classification: 'hadoop-env', properties: props }]).master,
      '/etc/hadoop/conf/hadoop-env.sh',
    )
    const print = values.map((_, i) => `"$V${i}"`).join(' ')
    const sh = spawnSync('sh', ['-c', `${content}\nprintf '%s\\0' ${print}`], { encoding: 'utf8' })
    expect(sh.status, sh.stderr).toBe(0)
    expect(sh.stdout.split('\0').slice(0, -1)).toEqual(values)
  })
})

describe('renderClusterConfigs (from a cluster record)', () => {
  it('points Hive at the metastore the cluster view shows, and carries no password', () => {
    const clearHive = 'mysql-Secret-pw-1'
    const clearAdmin = 'admin-Secret-pw-2'
    const sealedHive = 'hadoop-eco-sealed:v1:k1:aGl2ZS1zZWFsZWQ='
    const sealedAdmin = 'hadoop-eco-sealed:v1:k1:YWRtaW4tc2VhbGVk'
    for (const sealed of [{}, { hive: sealedHive, admin: sealedAdmin }] as Record<string, string>[]) {
      const c = record(
        {
          adminInfo: { userId: 'admin', userPw: b64(clearAdmin) },
          hiveDbInfo: {
            objectId: 'db-obj-1',
            dbName: 'meta_db',
            userId: 'hive_user',
            userPw: b64(clearHive),
          },
          config: { hdfsReplication: 3, hdfsBlockSize: 128, configText: b64('{"configurations":[]}') },
        },
        sealed,
      )
      const r = renderClusterConfigs(c, [
        { classification: 'hive-site', properties: { 'javax.jdo.option.ConnectionPassword': clearHive } },
      ])
      const hive = parseXml(fileOf(r.master, '/etc/hive/conf/hive-site.xml'))
      // `host` as GET shows it in hiveDbInfo.
      expect(hive.get('javax.jdo.option.ConnectionURL')).toMatch(
        /^jdbc:mysql:\/\/10\.\d+\.\d+\.\d+:3306\/meta_db$/,
      )
      expect(hive.get('javax.jdo.option.ConnectionUserName')).toBe('hive_user')
      expect(hive.has('javax.jdo.option.ConnectionPassword')).toBe(false)
      expect(r.skipped).toEqual([
        {
          classification: 'hive-site',
          property: 'javax.jdo.option.ConnectionPassword',
          reason: 'passwords are never rendered; the metastore password is hiveDbInfo.userPw',
        },
      ])
      // The files, not `skipped`: that names the dropped property on purpose.
      const text = JSON.stringify({ master: r.master, worker: r.worker })
      for (const secret of [clearHive, clearAdmin, b64(clearHive), b64(clearAdmin), sealedHive, sealedAdmin])
        expect(text).not.toContain(secret)
      expect(text.toLowerCase()).not.toContain('password')
    }
  })

  it('uses the data catalog URI, the Redis endpoint and the flavors of the record', () => {
    const catalog = record({ dataCatalogInfo: { catalogId: 'cat-77' }, workerFlavorName: 'c2a.4xlarge' })
    const r = renderClusterConfigs(catalog, [])
    const uri = parseXml(fileOf(r.master, '/etc/hive/conf/hive-site.xml')).get('hive.metastore.uris')
    expect(uri).toMatch(/^thrift:\/\/10\.\d+\.\d+\.\d+:9083$/)
    expect(
      parseJavaProperties(fileOf(r.worker, '/etc/spark/conf/spark-defaults.conf')).get(
        'spark.hadoop.hive.metastore.uris',
      ),
    ).toBe(uri)
    expect(
      parseXml(fileOf(r.worker, '/etc/hadoop/conf/yarn-site.xml')).get(
        'yarn.nodemanager.resource.cpu-vcores',
      ),
    ).toBe('16')

    const flow = record({
      clusterType: 'dataflow',
      redisInfo: { objectId: 'redis-obj', dbIdSupersetCelery: 3, dbIdSupersetResults: 4 },
    })
    const env = parseEnv(fileOf(renderClusterConfigs(flow, []).master, '/etc/superset/conf/superset-env.sh'))
    expect(env.get('REDIS_HOST')).toMatch(/^10\.\d+\.\d+\.\d+$/)
    expect(env.get('REDIS_PORT')).toBe('6379')
    expect(env.get('REDIS_CELERY_DB')).toBe('3')
    expect(env.get('REDIS_RESULTS_DB')).toBe('4')

    const ha = renderClusterConfigs(record({ isHa: true, name: 'ha-one' }), [])
    expect(
      parseXml(fileOf(ha.worker, '/etc/hadoop/conf/yarn-site.xml')).get('yarn.resourcemanager.hostname.rm3'),
    ).toBe('hadoopmst-ha-one-3')
  })

  it("names a re-run's masters, whose indexes continue the last run's", () => {
    const first = record({ isHa: true, name: 'nightly' })
    const rerun: ClusterRecord = {
      ...first,
      info: { ...first.info, run: { n: 2, requestId: 'r-2', firstMasterIndex: 4, firstWorkerIndex: 3 } },
    }
    const core = parseXml(fileOf(renderClusterConfigs(rerun, []).worker, '/etc/hadoop/conf/core-site.xml'))
    expect(core.get('ha.zookeeper.quorum')).toBe(
      'hadoopmst-nightly-4:2181,hadoopmst-nightly-5:2181,hadoopmst-nightly-6:2181',
    )
    const single = {
      ...record({ name: 'nightly' }),
      info: { securityGroupIds: [], run: { n: 3, requestId: 'r-3', firstMasterIndex: 7 } },
    }
    const c1 = parseXml(fileOf(renderClusterConfigs(single, []).master, '/etc/hadoop/conf/core-site.xml'))
    expect(c1.get('fs.defaultFS')).toBe('hdfs://hadoopmst-nightly-7:8020')
  })
})
