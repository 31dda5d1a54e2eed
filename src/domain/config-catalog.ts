import type { ClusterType, ClusterVersion, Flavor } from './catalog.js'

/**
 * What the catalog knows of a cluster's configuration files (DESIGN section 9): which
 * classifications exist, where each one's file lives and in which format, which component it
 * belongs to, and the defaults every cluster gets for its type, version and flavors. Pure data
 * and arithmetic; render-config.ts turns it into files.
 */

/** `xml`: Hadoop `*-site`; `env`: `*-env` shell exports; `defaults`: `key value` lines; `properties`: Trino's `key=value`. */
export type ConfigFormat = 'xml' | 'env' | 'defaults' | 'properties'

export type Component = 'hadoop' | 'hive' | 'spark' | 'hbase' | 'trino' | 'superset'

export interface ClassificationEntry {
  path: string
  format: ConfigFormat
  component: Component
}

const HADOOP_CONF = '/etc/hadoop/conf'
const HIVE_CONF = '/etc/hive/conf'
const SPARK_CONF = '/etc/spark/conf'
const HBASE_CONF = '/etc/hbase/conf'
const TRINO_CONF = '/etc/trino'
const SUPERSET_CONF = '/etc/superset/conf'

const entry = (path: string, format: ConfigFormat, component: Component): ClassificationEntry => ({
  path,
  format,
  component,
})

/** Every classification a user may give, by name. `user-env:{user}` is handled on its own. */
export const CLASSIFICATIONS: ReadonlyMap<string, ClassificationEntry> = new Map([
  ['core-site', entry(`${HADOOP_CONF}/core-site.xml`, 'xml', 'hadoop')],
  ['hdfs-site', entry(`${HADOOP_CONF}/hdfs-site.xml`, 'xml', 'hadoop')],
  ['yarn-site', entry(`${HADOOP_CONF}/yarn-site.xml`, 'xml', 'hadoop')],
  ['mapred-site', entry(`${HADOOP_CONF}/mapred-site.xml`, 'xml', 'hadoop')],
  ['capacity-scheduler', entry(`${HADOOP_CONF}/capacity-scheduler.xml`, 'xml', 'hadoop')],
  ['hadoop-env', entry(`${HADOOP_CONF}/hadoop-env.sh`, 'env', 'hadoop')],
  ['yarn-env', entry(`${HADOOP_CONF}/yarn-env.sh`, 'env', 'hadoop')],
  ['mapred-env', entry(`${HADOOP_CONF}/mapred-env.sh`, 'env', 'hadoop')],
  ['hive-site', entry(`${HIVE_CONF}/hive-site.xml`, 'xml', 'hive')],
  ['hiveserver2-site', entry(`${HIVE_CONF}/hiveserver2-site.xml`, 'xml', 'hive')],
  ['hivemetastore-site', entry(`${HIVE_CONF}/hivemetastore-site.xml`, 'xml', 'hive')],
  ['hive-env', entry(`${HIVE_CONF}/hive-env.sh`, 'env', 'hive')],
  ['spark-defaults', entry(`${SPARK_CONF}/spark-defaults.conf`, 'defaults', 'spark')],
  ['spark-env', entry(`${SPARK_CONF}/spark-env.sh`, 'env', 'spark')],
  ['hbase-site', entry(`${HBASE_CONF}/hbase-site.xml`, 'xml', 'hbase')],
  ['hbase-env', entry(`${HBASE_CONF}/hbase-env.sh`, 'env', 'hbase')],
  ['trino-config', entry(`${TRINO_CONF}/config.properties`, 'properties', 'trino')],
  ['trino-node', entry(`${TRINO_CONF}/node.properties`, 'properties', 'trino')],
  ['trino-catalog-hive', entry(`${TRINO_CONF}/catalog/hive.properties`, 'properties', 'trino')],
  ['superset-env', entry(`${SUPERSET_CONF}/superset-env.sh`, 'env', 'superset')],
])

/** The Trino launcher's JVM options: one per line, no key/value shape, so not a classification. */
export const TRINO_JVM_CONFIG_PATH = `${TRINO_CONF}/jvm.config`

/** What each cluster type installs (KakaoCloud's bundles, without Tez and Kafka, which get no file here). */
export const COMPONENTS: Readonly<Record<ClusterType, readonly Component[]>> = {
  hadoop: ['hadoop', 'hive', 'spark'],
  hbase: ['hadoop', 'hbase'],
  trino: ['hadoop', 'hive', 'trino'],
  dataflow: ['hadoop', 'superset'],
}

/**
 * Components with a daemon or a client on the workers: DataNode and NodeManager, Spark
 * executors in YARN containers, RegionServers, Trino workers. Hive and Superset run on the
 * masters only.
 */
export const WORKER_COMPONENTS: ReadonlySet<Component> = new Set(['hadoop', 'spark', 'hbase', 'trino'])

export type MetastoreInput =
  | { kind: 'mysql'; host: string; port: number; dbName: string; userId: string }
  | { kind: 'dataCatalog'; uri: string }

/** The cluster's shape as the defaults need it: hosts, sizes and integrations, no secrets. */
export interface Topology {
  clusterName: string
  clusterType: ClusterType
  clusterVersion: ClusterVersion
  /** Master hostnames, the first master first: 1, or 3 with HA. */
  masters: readonly string[]
  masterFlavor: Flavor
  workerFlavor: Flavor
  hdfs: { replication: number; blockSizeMb: number }
  metastore?: MetastoreInput
  redis?: { host: string; port: number; celeryDb: number; resultsDb: number }
}

export type Role = 'master' | 'worker'

/** Classification name -> properties in catalog order. */
export type Defaults = Map<string, Map<string, string>>

const MIB = 1024 * 1024

/** YARN follows the worker flavor (DESIGN section 9): all its vCPUs, 80 % of its memory. */
export const nodeManagerResources = (worker: Flavor): { vcores: number; memoryMb: number } => ({
  vcores: worker.vcpus,
  memoryMb: Math.floor(worker.memoryMiB * 0.8),
})

/** `dfs.blocksize` is in bytes; the spec gives MB (as the console does: 128 -> 134217728). */
export const blockSizeBytes = (mb: number): number => mb * MIB

/**
 * The defaults of one role. Hadoop 2 (hde-1.x) differs from Hadoop 3 (hde-2.x) in its web
 * ports, its heap variable and its HA limits (two NameNodes at most).
 */
export const catalogDefaults = (t: Topology, role: Role): Defaults => {
  const hadoop2 = t.clusterVersion.startsWith('hde-1.')
  const [m1 = ''] = t.masters
  const ha = t.masters.length > 1
  // A nameservice is the cluster's own name: it is already unique, and a valid Hadoop identifier.
  const ns = t.clusterName
  const fsDefault = ha ? `hdfs://${ns}` : `hdfs://${m1}:8020`
  const haMasters = hadoop2 ? t.masters.slice(0, 2) : t.masters
  const zk = t.masters.map((h) => `${h}:2181`).join(',')
  const nnHttpPort = hadoop2 ? 50070 : 9870
  const nm = nodeManagerResources(t.workerFlavor)
  const out: Defaults = new Map()
  const add = (name: string, props: [string, string][]) => {
    const map = out.get(name) ?? new Map<string, string>()
    for (const [k, v] of props) map.set(k, v)
    out.set(name, map)
  }
  const components = COMPONENTS[t.clusterType].filter((c) => role === 'master' || WORKER_COMPONENTS.has(c))
  const has = (c: Component) => components.includes(c)
  const metastoreUri = t.metastore?.kind === 'dataCatalog' ? t.metastore.uri : `thrift://${m1}:9083`

  add('core-site', [
    ['fs.defaultFS', fsDefault],
    ['hadoop.tmp.dir', '/data/hadoop/tmp'],
    ['io.file.buffer.size', '131072'],
    ['fs.trash.interval', '1440'],
    ['hadoop.proxyuser.hive.hosts', '*'],
    ['hadoop.proxyuser.hive.groups', '*'],
    ...(ha ? ([['ha.zookeeper.quorum', zk]] as [string, string][]) : []),
  ])

  const hdfs: [string, string][] = [
    ['dfs.replication', String(t.hdfs.replication)],
    ['dfs.blocksize', String(blockSizeBytes(t.hdfs.blockSizeMb))],
    ['dfs.namenode.name.dir', 'file:///data/hadoop/dfs/name'],
    ['dfs.datanode.data.dir', 'file:///data/hadoop/dfs/data'],
    ['dfs.permissions.superusergroup', 'hadoop'],
    ['dfs.webhdfs.enabled', 'true'],
    // Scale-in decommissions through this file (DESIGN section 12); the job that drains nodes writes it.
    ['dfs.hosts.exclude', `${HADOOP_CONF}/dfs.exclude`],
  ]
  if (ha) {
    const ids = haMasters.map((_, i) => `nn${i + 1}`)
    hdfs.push(['dfs.nameservices', ns], [`dfs.ha.namenodes.${ns}`, ids.join(',')])
    haMasters.forEach((h, i) =>
      hdfs.push(
        [`dfs.namenode.rpc-address.${ns}.${ids[i]}`, `${h}:8020`],
        [`dfs.namenode.http-address.${ns}.${ids[i]}`, `${h}:${nnHttpPort}`],
      ),
    )
    hdfs.push(
      ['dfs.namenode.shared.edits.dir', `qjournal://${t.masters.map((h) => `${h}:8485`).join(';')}/${ns}`],
      ['dfs.journalnode.edits.dir', '/data/hadoop/dfs/journal'],
      [
        `dfs.client.failover.proxy.provider.${ns}`,
        'org.apache.hadoop.hdfs.server.namenode.ha.ConfiguredFailoverProxyProvider',
      ],
      ['dfs.ha.automatic-failover.enabled', 'true'],
      // The journal quorum already prevents two writers; fencing by ssh would need keys on the nodes.
      ['dfs.ha.fencing.methods', 'shell(/bin/true)'],
    )
  } else
    hdfs.push(
      ['dfs.namenode.http-address', `${m1}:${nnHttpPort}`],
      ['dfs.namenode.secondary.http-address', `${m1}:${hadoop2 ? 50090 : 9868}`],
    )
  add('hdfs-site', hdfs)

  const yarn: [string, string][] = [
    ['yarn.nodemanager.resource.cpu-vcores', String(nm.vcores)],
    ['yarn.nodemanager.resource.memory-mb', String(nm.memoryMb)],
    ['yarn.scheduler.minimum-allocation-mb', String(Math.min(512, nm.memoryMb))],
    ['yarn.scheduler.maximum-allocation-mb', String(nm.memoryMb)],
    ['yarn.scheduler.maximum-allocation-vcores', String(nm.vcores)],
    ['yarn.nodemanager.aux-services', 'mapreduce_shuffle'],
    ['yarn.nodemanager.vmem-check-enabled', 'false'],
    ['yarn.nodemanager.local-dirs', '/data/hadoop/yarn/local'],
    ['yarn.nodemanager.log-dirs', '/data/hadoop/yarn/logs'],
    ['yarn.log-aggregation-enable', 'true'],
    ['yarn.nodemanager.remote-app-log-dir', '/var/log/hadoop-yarn/apps'],
    ['yarn.log.server.url', `http://${m1}:19888/jobhistory/logs`],
    ['yarn.resourcemanager.nodes.exclude-path', `${HADOOP_CONF}/yarn.exclude`],
  ]
  if (!hadoop2)
    yarn.push([
      'yarn.nodemanager.env-whitelist',
      'JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,CLASSPATH_PREPEND_DISTCACHE,HADOOP_YARN_HOME,HADOOP_HOME,PATH,LANG,TZ,HADOOP_MAPRED_HOME',
    ])
  if (ha) {
    const ids = haMasters.map((_, i) => `rm${i + 1}`)
    yarn.push(
      ['yarn.resourcemanager.ha.enabled', 'true'],
      ['yarn.resourcemanager.cluster-id', t.clusterName],
      ['yarn.resourcemanager.ha.rm-ids', ids.join(',')],
      ['yarn.resourcemanager.recovery.enabled', 'true'],
      [
        'yarn.resourcemanager.store.class',
        'org.apache.hadoop.yarn.server.resourcemanager.recovery.ZKRMStateStore',
      ],
      [hadoop2 ? 'yarn.resourcemanager.zk-address' : 'hadoop.zk.address', zk],
    )
    haMasters.forEach((h, i) =>
      yarn.push(
        [`yarn.resourcemanager.hostname.${ids[i]}`, h],
        [`yarn.resourcemanager.webapp.address.${ids[i]}`, `${h}:8088`],
      ),
    )
  } else
    yarn.push(['yarn.resourcemanager.hostname', m1], ['yarn.resourcemanager.webapp.address', `${m1}:8088`])
  add('yarn-site', yarn)

  // MapReduce containers must fit in what a NodeManager offers, or jobs on small flavors never start.
  const mapMb = Math.min(2048, nm.memoryMb)
  const reduceMb = Math.min(2 * mapMb, nm.memoryMb)
  const heap = (mb: number) => `-Xmx${Math.floor(mb * 0.8)}m`
  const mapred: [string, string][] = [
    ['mapreduce.framework.name', 'yarn'],
    ['mapreduce.jobhistory.address', `${m1}:10020`],
    ['mapreduce.jobhistory.webapp.address', `${m1}:19888`],
    ['yarn.app.mapreduce.am.staging-dir', '/user'],
    ['yarn.app.mapreduce.am.resource.mb', String(mapMb)],
    ['mapreduce.map.memory.mb', String(mapMb)],
    ['mapreduce.map.java.opts', heap(mapMb)],
    ['mapreduce.reduce.memory.mb', String(reduceMb)],
    ['mapreduce.reduce.java.opts', heap(reduceMb)],
  ]
  if (!hadoop2)
    for (const k of ['yarn.app.mapreduce.am.env', 'mapreduce.map.env', 'mapreduce.reduce.env'])
      mapred.push([k, 'HADOOP_MAPRED_HOME=/opt/hadoop'])
  add('mapred-site', mapred)

  add('hadoop-env', [
    ['HADOOP_CONF_DIR', HADOOP_CONF],
    ['HADOOP_LOG_DIR', '/var/log/hadoop'],
    hadoop2 ? ['HADOOP_HEAPSIZE', '1024'] : ['HADOOP_HEAPSIZE_MAX', '1g'],
  ])

  if (has('hive')) {
    const hive: [string, string][] = [
      ['hive.metastore.uris', metastoreUri],
      ['hive.metastore.warehouse.dir', '/user/hive/warehouse'],
      ['hive.server2.thrift.port', '10000'],
      ['hive.execution.engine', 'mr'],
    ]
    const m = t.metastore
    // The metastore password is never rendered: the installer hands it to the metastore
    // process from its Secret (a system property), so no file on a node holds it.
    if (m?.kind === 'mysql')
      hive.push(
        ['javax.jdo.option.ConnectionURL', `jdbc:mysql://${m.host}:${m.port}/${m.dbName}`],
        [
          'javax.jdo.option.ConnectionDriverName',
          hadoop2 ? 'com.mysql.jdbc.Driver' : 'com.mysql.cj.jdbc.Driver',
        ],
        ['javax.jdo.option.ConnectionUserName', m.userId],
      )
    else if (!m)
      hive.push(
        ['javax.jdo.option.ConnectionURL', 'jdbc:derby:;databaseName=/data/hive/metastore_db;create=true'],
        ['javax.jdo.option.ConnectionDriverName', 'org.apache.derby.jdbc.EmbeddedDriver'],
      )
    add('hive-site', hive)
    add('hive-env', [
      ['HADOOP_CONF_DIR', HADOOP_CONF],
      ['HIVE_CONF_DIR', HIVE_CONF],
      ['HIVE_LOG_DIR', '/var/log/hive'],
    ])
  }

  if (has('spark')) {
    // Executors sized so whole ones fill a NodeManager: at most 4 cores each, memory plus
    // Spark's overhead (max(384 MiB, 10 %)) inside the container.
    const cores = Math.min(4, nm.vcores)
    const perNode = Math.max(1, Math.floor(nm.vcores / cores))
    const container = Math.floor(nm.memoryMb / perNode)
    const executorMb = Math.max(384, Math.min(Math.floor(container / 1.1), container - 384))
    add('spark-defaults', [
      ['spark.master', 'yarn'],
      ['spark.submit.deployMode', 'client'],
      ['spark.executor.cores', String(cores)],
      ['spark.executor.memory', `${executorMb}m`],
      ['spark.eventLog.enabled', 'true'],
      ['spark.eventLog.dir', 'hdfs:///var/log/spark/apps'],
      ['spark.history.fs.logDirectory', 'hdfs:///var/log/spark/apps'],
      ['spark.history.ui.port', '18080'],
      ['spark.yarn.historyServer.address', `${m1}:18080`],
      ['spark.sql.catalogImplementation', 'hive'],
      // Spark reads no hive-site of its own: the metastore (local or a data catalog) is named here.
      ['spark.hadoop.hive.metastore.uris', metastoreUri],
    ])
    add('spark-env', [
      ['HADOOP_CONF_DIR', HADOOP_CONF],
      ['SPARK_LOG_DIR', '/var/log/spark'],
    ])
  }

  if (has('hbase')) {
    add('hbase-site', [
      ['hbase.rootdir', `${fsDefault}/hbase`],
      ['hbase.cluster.distributed', 'true'],
      ['hbase.zookeeper.quorum', t.masters.join(',')],
      ['hbase.zookeeper.property.clientPort', '2181'],
      ['hbase.master.info.port', '16010'],
      ['hbase.regionserver.info.port', '16030'],
      ['hbase.tmp.dir', '/data/hbase/tmp'],
    ])
    add('hbase-env', [
      ['HBASE_CONF_DIR', HBASE_CONF],
      ['HBASE_LOG_DIR', '/var/log/hbase'],
      ['HBASE_MANAGES_ZK', 'false'],
    ])
  }

  if (has('trino')) {
    const heapMb = trinoHeapMb(role === 'master' ? t.masterFlavor : t.workerFlavor)
    add('trino-config', [
      ['coordinator', String(role === 'master')],
      ...(role === 'master' ? ([['node-scheduler.include-coordinator', 'false']] as [string, string][]) : []),
      ['http-server.http.port', '8780'],
      ['discovery.uri', `http://${m1}:8780`],
      // Trino's own default share of the heap, written out so it follows the flavor visibly.
      ['query.max-memory-per-node', `${Math.floor(heapMb * 0.3)}MB`],
    ])
    add('trino-node', [
      // node.environment allows lower-case letters, digits and `_` only; cluster names have `-`.
      ['node.environment', t.clusterName.replace(/-/g, '_')],
      ['node.data-dir', '/data/trino'],
    ])
    add('trino-catalog-hive', [
      ['connector.name', 'hive'],
      ['hive.metastore.uri', metastoreUri],
      ['hive.config.resources', `${HADOOP_CONF}/core-site.xml,${HADOOP_CONF}/hdfs-site.xml`],
    ])
  }

  if (has('superset')) {
    // The variable names of Superset's reference superset_config.py.
    const r = t.redis
    add('superset-env', [
      ['SUPERSET_PORT', '4000'],
      ['REDIS_HOST', r ? r.host : m1],
      ['REDIS_PORT', String(r ? r.port : 6379)],
      ['REDIS_CELERY_DB', String(r ? r.celeryDb : 0)],
      ['REDIS_RESULTS_DB', String(r ? r.resultsDb : 1)],
    ])
  }
  return out
}

/** Trino's launcher takes the heap from jvm.config: 70 % of the node's memory. */
export const trinoHeapMb = (f: Flavor): number => Math.floor(f.memoryMiB * 0.7)

export const trinoJvmConfig = (f: Flavor): string =>
  [
    '-server',
    `-Xmx${trinoHeapMb(f)}m`,
    '-XX:+UseG1GC',
    '-XX:G1HeapRegionSize=32M',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djdk.attach.allowAttachSelf=true',
    '',
  ].join('\n')
