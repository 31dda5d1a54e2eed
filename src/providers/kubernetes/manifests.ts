import { posix } from 'node:path'
import type { ClusterType, ClusterVersion, Flavor } from '../../domain/catalog.js'
import type {
  ClusterSetup,
  DecommissionPlan,
  InstallPlan,
  TaskPlan,
  VmPlan,
  VmRef,
} from '../../domain/plans.js'
import { hostnameOf, type RenderedConfigs, type RenderedFile } from '../../domain/render-config.js'
import type { VmRole } from '../../domain/vm.js'
import { TerminalProviderError } from '../provider.js'
import { DATA_KEY, DNS_LABEL, dnsLabel, keyTag, labelValue } from './names.js'
import type {
  ConfigMap,
  Container,
  EnvVar,
  Job,
  KeyToPath,
  Manifest,
  Labels,
  ObjectMeta,
  OwnerReference,
  PersistentVolumeClaim,
  Pod,
  PodSpec,
  Probe,
  ResourceRequirements,
  Secret,
  Service,
  Volume,
  VolumeMount,
} from './types.js'

/**
 * DESIGN section 12: the Kubernetes objects of one cluster, built from the domain plans and the
 * section-9 renders. Pure: no I/O and no client library; the same input always gives the same
 * objects, field for field, so a server-side apply of them again is a no-op.
 *
 * Layout:
 * - one owner ConfigMap per cluster (`ownerConfigMap`); every other object carries an
 *   ownerReference to it, so deleting it garbage-collects the cluster. A dedicated object rather
 *   than the headless Service: the Service is working machinery (DNS), one a person may delete
 *   and re-create to fix name resolution, and that must not take the cluster's volumes with it.
 *   The owner has no function but to be deleted last, and it names the cluster it stands for.
 * - a headless Service (the Pods' `subdomain`), a ConfigMap per role with the rendered files, a
 *   Secret with the passwords and the user script;
 * - per VM a Pod named after the VM in lower case (the hostname the renders use) and a
 *   PersistentVolumeClaim of its volume size, mounted at `/data`;
 * - Jobs for what runs inside a cluster: the decommission of workers and the userTask.
 */

export const LABEL_CLUSTER = 'hadoop-eco.io/cluster-id'
export const LABEL_ROLE = 'hadoop-eco.io/role'
export const LABEL_INDEX = 'hadoop-eco.io/index'
/** What an object is for: owner, network, config, secrets, node, volume, decommission, task. */
export const LABEL_COMPONENT = 'hadoop-eco.io/component'
export const LABEL_TASK_RUN = 'hadoop-eco.io/task-run'
/** The plan key an operation's objects were made for: a retry finds them by it. */
export const ANNOTATION_KEY = 'hadoop-eco.io/plan-key'
/** On a VM's Pod: the VM's name as the API shows it (the Pod's name is it in lower case). */
export const ANNOTATION_VM = 'hadoop-eco.io/vm-name'

export interface Images {
  hadoop: string
  hive: string
  spark: string
  /** HA masters run a ZooKeeper quorum (`ha.zookeeper.quorum` of the renders). */
  zookeeper: string
}

/** The Apache images for hde-2.x (Hadoop 3.3, Hive 3.1, Spark 3.5); each can be replaced. */
export const DEFAULT_IMAGES: Readonly<Images> = Object.freeze({
  hadoop: 'apache/hadoop:3.3.6',
  hive: 'apache/hive:3.1.3',
  spark: 'apache/spark:3.5.1',
  zookeeper: 'zookeeper:3.8.4',
})

export interface ManifestSettings {
  namespace: string
  /** `HADOOP_ECO_K8S_RESOURCE_SCALE`: requests are the flavor's vCPUs and memory times this. */
  resourceScale: number
  images: Images
  /** The cluster's DNS domain (`cluster.local` unless the cluster was set up otherwise). */
  clusterDomain: string
  /** The PersistentVolumeClaims' storage class; the cluster's default when absent. */
  storageClassName?: string
  /** How long the decommission Job may run before Kubernetes stops it. */
  decommissionDeadlineSeconds: number
}

export const manifestSettings = (over: Partial<ManifestSettings> = {}): ManifestSettings => ({
  namespace: 'hadoop-eco',
  resourceScale: 1,
  clusterDomain: 'cluster.local',
  decommissionDeadlineSeconds: 3600,
  ...over,
  images: { ...DEFAULT_IMAGES, ...over.images },
})

/** The owner object once it exists: its UID comes from the API server, so it is read back first. */
export interface Owner {
  name: string
  uid: string
}

/** What the Pods need to know of the cluster beyond their own VM. */
export interface ClusterShape {
  clusterId: string
  clusterName: string
  /** Every master, in any order; the first by index runs the Hive daemons. */
  masters: readonly VmRef[]
  /** Where the Hive metastore's database is: absent, a local Derby on the first master's volume. */
  metastore?: 'mysql' | 'dataCatalog'
  /** Whether the nodes run a user script at start (its text is in the cluster's Secret). */
  userScript: boolean
}

export const shapeOf = (plan: ClusterSetup): ClusterShape => ({
  clusterId: plan.clusterId,
  clusterName: plan.clusterName,
  masters: plan.masters,
  ...(plan.metastore ? { metastore: plan.metastore.kind } : {}),
  userScript: plan.userScript !== undefined,
})

/**
 * The clear values the cluster's Secret holds. The caller opens the sealed passwords through
 * `ProviderDeps.openSecret` and reads a user script given by URL; nothing here is ever put in a
 * ConfigMap or an env literal.
 */
export interface ClusterSecrets {
  metastorePassword?: string
  adminPassword?: string
  userScript?: string
}

/**
 * Only what this provider runs: core Hadoop on Hadoop 3 (hde-2.x). The server refuses the rest
 * at create with these codes (400); the builders refuse them too, as a terminal error.
 */
export const supportProblem = (
  type: ClusterType,
  version: ClusterVersion,
):
  | { code: 'CLUSTER_TYPE_NOT_SUPPORTED' | 'CLUSTER_VERSION_NOT_SUPPORTED'; field: string; message: string }
  | undefined => {
  if (type !== 'hadoop')
    return {
      code: 'CLUSTER_TYPE_NOT_SUPPORTED',
      field: 'clusterType',
      message: `the kubernetes provider runs hadoop clusters, not ${type}`,
    }
  if (!version.startsWith('hde-2.'))
    return {
      code: 'CLUSTER_VERSION_NOT_SUPPORTED',
      field: 'clusterVersion',
      message: `the kubernetes provider runs hde-2.x, not ${version}`,
    }
  return undefined
}

export const checkSupported = (type: ClusterType, version: ClusterVersion): void => {
  const problem = supportProblem(type, version)
  if (problem) throw new TerminalProviderError(`${problem.code}: ${problem.message}`)
}

// ---------------------------------------------------------------------------------------------
// Names

/** Room for the longest suffix (`-task-` + a 10-character tag) within 63. */
const BASE_MAX = 63 - 16

/** The cluster's name stem: from its id, which is never reused (its name may be, after a delete). */
export const baseName = (clusterId: string): string => dnsLabel(['hde', clusterId], BASE_MAX)
export const ownerName = (clusterId: string): string => `${baseName(clusterId)}-owner`
/** The headless Service, which is also every Pod's `subdomain`. */
export const serviceName = (clusterId: string): string => baseName(clusterId)
export const roleConfigMapName = (clusterId: string, role: VmRole): string => `${baseName(clusterId)}-${role}`
export const secretName = (clusterId: string): string => `${baseName(clusterId)}-secrets`
export const excludeConfigMapName = (clusterId: string): string => `${baseName(clusterId)}-exclude`
export const decommissionJobName = (plan: DecommissionPlan): string =>
  `${baseName(plan.clusterId)}-decom-${keyTag(plan.key)}`
export const taskJobName = (plan: TaskPlan): string => `${baseName(plan.clusterId)}-task-${keyTag(plan.key)}`

/**
 * A VM's Pod: its name in lower case, exactly the hostname the rendered configuration names
 * (`hostnameOf`), so one that is not a DNS label cannot be made to work and is refused.
 */
export const podName = (vm: string): string => {
  const name = hostnameOf(vm)
  if (!DNS_LABEL.test(name))
    throw new TerminalProviderError(
      `VM name ${vm} is not a valid Kubernetes name in lower case (DNS-1123 label)`,
    )
  return name
}
export const claimName = (vm: string): string => `${podName(vm)}-data`

/** A node's name in DNS: `{pod}.{service}.{namespace}.svc.{domain}`. */
export const nodeFqdn = (clusterId: string, vm: string, s: ManifestSettings): string =>
  `${podName(vm)}.${serviceName(clusterId)}.${s.namespace}.svc.${s.clusterDomain}`

// ---------------------------------------------------------------------------------------------
// Metadata

const clusterLabels = (clusterId: string, component: string): Labels => ({
  'app.kubernetes.io/managed-by': 'hadoop-eco',
  'app.kubernetes.io/part-of': 'hadoop-eco',
  [LABEL_CLUSTER]: labelValue(clusterId),
  [LABEL_COMPONENT]: component,
})

export const ownerReference = (owner: Owner): OwnerReference => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: owner.name,
  uid: owner.uid,
  // No blockOwnerDeletion: it needs `update` on the owner's finalizers, a verb the Role avoids.
  controller: true,
})

const meta = (name: string, labels: Labels, s: ManifestSettings, owner: Owner | undefined): ObjectMeta => ({
  name,
  namespace: s.namespace,
  labels,
  ...(owner ? { ownerReferences: [ownerReference(owner)] } : {}),
})

// ---------------------------------------------------------------------------------------------
// Cluster-wide objects

/** The object every other one of the cluster is owned by; applied first, its UID read back. */
export const ownerConfigMap = (
  c: { clusterId: string; clusterName: string },
  s: ManifestSettings,
): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: meta(ownerName(c.clusterId), clusterLabels(c.clusterId, 'owner'), s, undefined),
  data: { clusterId: c.clusterId, clusterName: c.clusterName },
})

/** Every port a node serves, so the Service documents them (DNS alone needs none). */
const SERVICE_PORTS: readonly (readonly [string, number])[] = [
  ['nn-rpc', 8020],
  ['nn-http', 9870],
  ['jn-rpc', 8485],
  ['zk-client', 2181],
  ['rm-http', 8088],
  ['rm-scheduler', 8030],
  ['rm-tracker', 8031],
  ['rm-rpc', 8032],
  ['dn-http', 9864],
  ['dn-data', 9866],
  ['dn-ipc', 9867],
  ['nm-http', 8042],
  ['hs2-thrift', 10000],
  ['hms-thrift', 9083],
]

export const headlessService = (clusterId: string, owner: Owner, s: ManifestSettings): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: meta(serviceName(clusterId), clusterLabels(clusterId, 'network'), s, owner),
  spec: {
    clusterIP: 'None',
    // Daemons find each other before they are ready (a NameNode waits for its JournalNodes, a
    // DataNode registers with a NameNode still starting): names must resolve from the start.
    publishNotReadyAddresses: true,
    selector: { [LABEL_CLUSTER]: labelValue(clusterId), [LABEL_COMPONENT]: 'node' },
    ports: SERVICE_PORTS.map(([name, port]) => ({ name, port, targetPort: port, protocol: 'TCP' as const })),
  },
})

/**
 * ConfigMap keys are file names; two files of one role with the same name in different
 * directories (none today) get their path, flattened, instead.
 */
export const configKeys = (files: readonly RenderedFile[]): Map<string, string> => {
  const base = new Map<string, number>()
  for (const f of files) base.set(posix.basename(f.path), (base.get(posix.basename(f.path)) ?? 0) + 1)
  const keys = new Map<string, string>()
  for (const f of files) {
    const name = posix.basename(f.path)
    const key = base.get(name) === 1 ? name : f.path.replace(/^\/+/, '').replace(/\//g, '_')
    if (!DATA_KEY.test(key))
      throw new TerminalProviderError(`config file ${f.path} cannot be a ConfigMap key`)
    keys.set(f.path, key)
  }
  return keys
}

export const roleConfigMap = (
  clusterId: string,
  role: VmRole,
  files: readonly RenderedFile[],
  owner: Owner,
  s: ManifestSettings,
): ConfigMap => {
  const keys = configKeys(files)
  const data: Record<string, string> = {}
  for (const f of [...files].sort((a, b) => cmp(keys.get(a.path)!, keys.get(b.path)!)))
    data[keys.get(f.path)!] = f.content
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(
      roleConfigMapName(clusterId, role),
      { ...clusterLabels(clusterId, 'config'), [LABEL_ROLE]: role },
      s,
      owner,
    ),
    data,
  }
}

export const SECRET_KEYS = {
  metastorePassword: 'metastore-password',
  adminPassword: 'admin-password',
  userScript: 'user-script.sh',
} as const

export const clusterSecret = (
  clusterId: string,
  values: ClusterSecrets,
  owner: Owner,
  s: ManifestSettings,
): Secret => {
  const data: Record<string, string> = {}
  for (const k of Object.keys(SECRET_KEYS).sort() as (keyof ClusterSecrets)[]) {
    const v = values[k]
    if (v !== undefined) data[SECRET_KEYS[k]] = Buffer.from(v, 'utf8').toString('base64')
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(secretName(clusterId), clusterLabels(clusterId, 'secrets'), s, owner),
    type: 'Opaque',
    data,
  }
}

// ---------------------------------------------------------------------------------------------
// Resources

/** Whole millicores and MiB, split over `n` containers; the first ones take the remainder. */
const split = (total: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0))

/**
 * Requests: the flavor times the scale (DESIGN section 12), split evenly over the Pod's
 * containers so that their sum, what the scheduler reserves, is exactly the scaled flavor.
 * Limits: memory only, the flavor's own (a node never holds more than its VM would); no CPU
 * limit, since throttling a JVM's collector stalls daemons that a VM would not.
 */
export const containerResources = (flavor: Flavor, scale: number, n: number): ResourceRequirements[] => {
  if (!Number.isFinite(scale) || scale <= 0)
    throw new TerminalProviderError(`resource scale ${scale} must be a positive number`)
  const cpu = split(Math.max(n, Math.round(flavor.vcpus * 1000 * scale)), n)
  const mem = split(Math.max(n, Math.round(flavor.memoryMiB * scale)), n)
  const limit = split(flavor.memoryMiB, n)
  return cpu.map((c, i) => ({
    requests: { cpu: `${c}m`, memory: `${mem[i]!}Mi` },
    limits: { memory: `${Math.max(mem[i]!, limit[i]!)}Mi` },
  }))
}

// ---------------------------------------------------------------------------------------------
// Volumes

const DATA_MOUNT: VolumeMount = { name: 'data', mountPath: '/data' }
const LOGS_MOUNT: VolumeMount = { name: 'logs', mountPath: '/var/log' }
const SCRIPT_DIR = '/opt/hadoop-eco/secrets'
const TASK_DIR = '/opt/hadoop-eco/task'

/**
 * Directories the renders own outright are mounted whole (a ConfigMap volume is updated in place
 * when the ConfigMap changes); a file in a directory the image also uses (`/etc/profile.d`) is
 * mounted alone, so the image's other files stay.
 */
const OWNED_DIRS = ['/etc/hadoop/conf', '/etc/hive/conf', '/etc/spark/conf', '/etc/hbase/conf', '/etc/trino']
const HADOOP_CONF = '/etc/hadoop/conf'

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

const volumeNameOf = (dir: string): string => dnsLabel(['conf', dir])

/**
 * The config volumes and mounts of a role: one volume per directory with `items` naming its
 * files. The masters' Hadoop directory also projects the exclude ConfigMap (`dfs.exclude`,
 * `yarn.exclude`), written by a decommission: optional, since it exists only after the first.
 */
export const configVolumes = (
  clusterId: string,
  role: VmRole,
  files: readonly RenderedFile[],
): { volumes: Volume[]; mounts: VolumeMount[] } => {
  const keys = configKeys(files)
  const byDir = new Map<string, RenderedFile[]>()
  for (const f of files) {
    const dir = posix.dirname(f.path)
    byDir.set(dir, [...(byDir.get(dir) ?? []), f])
  }
  const volumes: Volume[] = []
  const mounts: VolumeMount[] = []
  const cm = roleConfigMapName(clusterId, role)
  for (const dir of [...byDir.keys()].sort(cmp)) {
    const items: KeyToPath[] = byDir
      .get(dir)!
      .map((f) => ({ key: keys.get(f.path)!, path: posix.basename(f.path) }))
      .sort((a, b) => cmp(a.path, b.path))
    const name = volumeNameOf(dir)
    if (dir === HADOOP_CONF && role === 'master')
      volumes.push({
        name,
        projected: {
          sources: [
            { configMap: { name: cm, items } },
            { configMap: { name: excludeConfigMapName(clusterId), optional: true } },
          ],
        },
      })
    else volumes.push({ name, configMap: { name: cm, items } })
    if (OWNED_DIRS.includes(dir)) mounts.push({ name, mountPath: dir, readOnly: true })
    else
      for (const it of items)
        mounts.push({ name, mountPath: posix.join(dir, it.path), subPath: it.path, readOnly: true })
  }
  return { volumes, mounts }
}

// ---------------------------------------------------------------------------------------------
// Containers

const probe = (how: { http: number } | { tcp: number }): Probe => ({
  ...('http' in how ? { httpGet: { path: '/', port: how.http } } : { tcpSocket: { port: how.tcp } }),
  initialDelaySeconds: 10,
  periodSeconds: 10,
  timeoutSeconds: 5,
  failureThreshold: 3,
})

const secure = (): Container['securityContext'] => ({
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
})

/** The Apache images run as uid 1000 (`hadoop`, `hive`); Spark's as 185. */
const HADOOP_UID = 1000
const SPARK_UID = 185

const hadoopEnv: EnvVar[] = [
  { name: 'HADOOP_CONF_DIR', value: HADOOP_CONF },
  { name: 'YARN_CONF_DIR', value: HADOOP_CONF },
  { name: 'HADOOP_LOG_DIR', value: '/var/log/hadoop' },
  { name: 'HIVE_CONF_DIR', value: '/etc/hive/conf' },
  { name: 'SPARK_CONF_DIR', value: '/etc/spark/conf' },
]

/** A daemon: its name, image, script (bash, foreground: the container lives as long as it does) and probe. */
interface Daemon {
  name: string
  image: keyof Images
  script: string
  port?: { name: string; number: number; probe: 'http' | 'tcp' }
  env?: EnvVar[]
}

const bash = (script: string): string[] => ['/bin/bash', '-c', script]

const lines = (...ls: string[]): string =>
  ['set -eu', 'mkdir -p /var/log/hadoop /var/log/hive', ...ls].join('\n')

const NAME_DIR = '/data/hadoop/dfs/name/current'

/** The daemons of one VM: DESIGN section 12's probes, per role, HA and first master. */
export const daemonsOf = (vm: VmRef, shape: ClusterShape, s: ManifestSettings): Daemon[] => {
  if (vm.role === 'worker')
    return [
      {
        name: 'datanode',
        image: 'hadoop',
        script: lines('exec hdfs datanode'),
        port: { name: 'dn-http', number: 9864, probe: 'http' },
      },
      {
        name: 'nodemanager',
        image: 'hadoop',
        script: lines('exec yarn nodemanager'),
        port: { name: 'nm-http', number: 8042, probe: 'http' },
      },
    ]
  const masters = [...shape.masters].sort((a, b) => a.index - b.index)
  const first = masters[0]?.name === vm.name
  const ha = masters.length > 1
  const out: Daemon[] = []
  if (ha) {
    const myid = masters.findIndex((m) => m.name === vm.name) + 1
    const servers = masters.map((m, i) => `server.${i + 1}=${nodeFqdn(shape.clusterId, m.name, s)}:2888:3888`)
    out.push(
      {
        name: 'zookeeper',
        image: 'zookeeper',
        script: [
          'set -eu',
          'mkdir -p /data/zookeeper /tmp/zk',
          `echo ${myid} > /data/zookeeper/myid`,
          'cat > /tmp/zk/zoo.cfg <<EOF',
          'tickTime=2000',
          'initLimit=10',
          'syncLimit=5',
          'dataDir=/data/zookeeper',
          'clientPort=2181',
          // Peers reach this one by its Service name, which resolves to the Pod's IP, not to
          // the address it would bind by default.
          'quorumListenOnAllIPs=true',
          '4lw.commands.whitelist=ruok,srvr',
          ...servers,
          'EOF',
          'export ZOO_LOG_DIR=/tmp/zk',
          'exec zkServer.sh --config /tmp/zk start-foreground',
        ].join('\n'),
        port: { name: 'zk-client', number: 2181, probe: 'tcp' },
      },
      {
        name: 'journalnode',
        image: 'hadoop',
        script: lines('exec hdfs journalnode'),
        port: { name: 'jn-rpc', number: 8485, probe: 'tcp' },
      },
    )
  }
  // A NameNode formats its volume once: the first master formats (and, with HA, the failover
  // znode), the others copy its namespace; each retries until its peers answer.
  const format = !ha
    ? [`if [ ! -d ${NAME_DIR} ]; then hdfs namenode -format -nonInteractive; fi`]
    : first
      ? [
          `if [ ! -d ${NAME_DIR} ]; then`,
          '  until hdfs namenode -format -nonInteractive; do sleep 5; done',
          '  until hdfs zkfc -formatZK -nonInteractive; do sleep 5; done',
          'fi',
        ]
      : [
          `if [ ! -d ${NAME_DIR} ]; then`,
          '  until hdfs namenode -bootstrapStandby -nonInteractive; do sleep 5; done',
          'fi',
        ]
  out.push({
    name: 'namenode',
    image: 'hadoop',
    script: lines(...format, 'exec hdfs namenode'),
    port: { name: 'nn-http', number: 9870, probe: 'http' },
  })
  if (ha)
    out.push({
      name: 'zkfc',
      image: 'hadoop',
      script: lines(`until [ -d ${NAME_DIR} ]; do sleep 5; done`, 'exec hdfs zkfc'),
    })
  out.push({
    name: 'resourcemanager',
    image: 'hadoop',
    script: lines('exec yarn resourcemanager'),
    port: { name: 'rm-http', number: 8088, probe: 'http' },
  })
  if (first) {
    if (shape.metastore !== 'dataCatalog') {
      // The password reaches the metastore from the Secret, as a Hive setting on its command
      // line inside the Pod: never in a ConfigMap, an env literal or a rendered file.
      const mysql = shape.metastore === 'mysql'
      const db = mysql ? 'mysql' : 'derby'
      const pw = mysql ? ' -passWord "$METASTORE_DB_PASSWORD"' : ''
      const conf = mysql ? ' --hiveconf javax.jdo.option.ConnectionPassword="$METASTORE_DB_PASSWORD"' : ''
      out.push({
        name: 'hive-metastore',
        image: 'hive',
        script: lines(
          'mkdir -p /data/hive',
          'cd /data/hive',
          `schematool -dbType ${db} -info${pw} >/dev/null 2>&1 || schematool -dbType ${db} -initSchema${pw}`,
          `exec hive --service metastore${conf}`,
        ),
        port: { name: 'hms-thrift', number: 9083, probe: 'tcp' },
        ...(mysql
          ? {
              env: [
                {
                  name: 'METASTORE_DB_PASSWORD',
                  valueFrom: {
                    secretKeyRef: { name: secretName(shape.clusterId), key: SECRET_KEYS.metastorePassword },
                  },
                },
              ],
            }
          : {}),
      })
    }
    out.push({
      name: 'hiveserver2',
      image: 'hive',
      script: lines(
        'until hdfs dfs -mkdir -p /tmp /user/hive/warehouse; do sleep 5; done',
        'hdfs dfs -chmod 1777 /tmp || true',
        'hdfs dfs -chmod 1777 /user/hive/warehouse || true',
        'exec hive --service hiveserver2',
      ),
      port: { name: 'hs2-thrift', number: 10000, probe: 'tcp' },
    })
  }
  return out
}

const dnsSearch = (clusterId: string, s: ManifestSettings) => ({
  // The renders name nodes by hostname alone (`hadoopmst-x-1`); this makes it resolve.
  searches: [`${serviceName(clusterId)}.${s.namespace}.svc.${s.clusterDomain}`],
})

// ---------------------------------------------------------------------------------------------
// Per VM

/** Everything a VM's Pod is built from. */
export interface PodInput {
  vm: VmPlan
  shape: ClusterShape
  /** The VM's role's rendered files (`renderClusterConfigs(...)[vm.role]`). */
  files: readonly RenderedFile[]
  owner: Owner
}

export const vmLabels = (vm: VmPlan): Labels => ({
  ...clusterLabels(vm.clusterId, 'node'),
  [LABEL_ROLE]: vm.role,
  [LABEL_INDEX]: String(vm.index),
})

export const vmPod = ({ vm, shape, files, owner }: PodInput, s: ManifestSettings): Pod => {
  checkSupported(vm.clusterType, vm.clusterVersion)
  const name = podName(vm.name)
  const { volumes: confVolumes, mounts: confMounts } = configVolumes(vm.clusterId, vm.role, files)
  const daemons = daemonsOf(vm, shape, s)
  const resources = containerResources(vm.flavor, s.resourceScale, daemons.length)
  const mounts = [DATA_MOUNT, LOGS_MOUNT, ...confMounts]
  const containers: Container[] = daemons.map((d, i) => ({
    name: d.name,
    image: s.images[d.image],
    command: bash(d.script),
    env: [...hadoopEnv, ...(d.env ?? [])],
    ...(d.port
      ? {
          ports: [{ name: d.port.name, containerPort: d.port.number }],
          readinessProbe: probe(d.port.probe === 'http' ? { http: d.port.number } : { tcp: d.port.number }),
        }
      : {}),
    resources: resources[i]!,
    volumeMounts: mounts,
    securityContext: secure(),
  }))
  const volumes: Volume[] = [
    { name: 'data', persistentVolumeClaim: { claimName: claimName(vm.name) } },
    { name: 'logs', emptyDir: {} },
    ...confVolumes,
  ]
  const spec: PodSpec = {
    hostname: name,
    subdomain: serviceName(vm.clusterId),
    dnsConfig: dnsSearch(vm.clusterId, s),
    restartPolicy: 'Always',
    enableServiceLinks: false,
    // The daemons never talk to the Kubernetes API.
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: 60,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: HADOOP_UID,
      runAsGroup: HADOOP_UID,
      fsGroup: HADOOP_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers,
    volumes,
  }
  if (shape.userScript) {
    // The user script runs before the daemons, on every node, with the node's configuration and
    // volume; it is in the Secret (a script may carry tokens), mounted read-only.
    volumes.push({
      name: 'user-script',
      secret: {
        secretName: secretName(vm.clusterId),
        items: [{ key: SECRET_KEYS.userScript, path: SECRET_KEYS.userScript }],
        defaultMode: 0o440,
      },
    })
    const whole = containerResources(vm.flavor, s.resourceScale, 1)[0]!
    spec.initContainers = [
      {
        name: 'user-script',
        image: s.images.hadoop,
        command: ['/bin/bash', `${SCRIPT_DIR}/${SECRET_KEYS.userScript}`],
        env: [
          ...hadoopEnv,
          { name: 'HADOOP_ECO_CLUSTER_NAME', value: vm.clusterName },
          { name: 'HADOOP_ECO_ROLE', value: vm.role },
          { name: 'HADOOP_ECO_INDEX', value: String(vm.index) },
        ],
        // As much as the whole Pod: an init container's request adds nothing to what it reserves.
        resources: whole,
        volumeMounts: [...mounts, { name: 'user-script', mountPath: SCRIPT_DIR, readOnly: true }],
        securityContext: secure(),
      },
    ]
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...meta(name, vmLabels(vm), s, owner), annotations: { [ANNOTATION_VM]: vm.name } },
    spec,
  }
}

export const vmClaim = (vm: VmPlan, owner: Owner, s: ManifestSettings): PersistentVolumeClaim => {
  if (!Number.isInteger(vm.volumeSizeGb) || vm.volumeSizeGb <= 0)
    throw new TerminalProviderError(`volume size ${vm.volumeSizeGb} GB is not a positive whole number`)
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(claimName(vm.name), { ...vmLabels(vm), [LABEL_COMPONENT]: 'volume' }, s, owner),
    spec: {
      accessModes: ['ReadWriteOnce'],
      // The console's GB are GiB on KakaoCloud's block storage.
      resources: { requests: { storage: `${vm.volumeSizeGb}Gi` } },
      ...(s.storageClassName !== undefined ? { storageClassName: s.storageClassName } : {}),
    },
  }
}

// ---------------------------------------------------------------------------------------------
// A whole cluster

export interface ClusterInput {
  install: InstallPlan
  /** Every VM the cluster should have now. */
  vms: readonly VmPlan[]
  configs: RenderedConfigs
  secrets: ClusterSecrets
  owner: Owner
}

/**
 * Everything of a cluster but its owner and its Jobs, in a fixed order: the Service, the
 * ConfigMaps and the Secret (what Pods mount), then per VM (by role, then index) its claim and
 * its Pod. Apply in this order and a Pod never waits for what it mounts.
 */
export const clusterManifests = (input: ClusterInput, s: ManifestSettings): Manifest[] => {
  const { install, configs, owner } = input
  checkSupported(install.clusterType, install.clusterVersion)
  const shape = shapeOf(install)
  const userScript = input.secrets.userScript
  if (shape.userScript && userScript === undefined)
    throw new Error('the install plan has a user script: pass its text in secrets.userScript')
  const vms = [...input.vms].sort((a, b) =>
    a.role === b.role ? a.index - b.index : a.role === 'master' ? -1 : 1,
  )
  const out: Manifest[] = [
    headlessService(install.clusterId, owner, s),
    roleConfigMap(install.clusterId, 'master', configs.master, owner, s),
    roleConfigMap(install.clusterId, 'worker', configs.worker, owner, s),
    clusterSecret(install.clusterId, input.secrets, owner, s),
  ]
  for (const vm of vms) {
    if (vm.clusterId !== install.clusterId)
      throw new Error(`VM ${vm.name} is not of cluster ${install.clusterId}`)
    out.push(vmClaim(vm, owner, s), vmPod({ vm, shape, files: configs[vm.role], owner }, s))
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Jobs

const jobPodSpec = (
  clusterId: string,
  configs: readonly RenderedFile[],
  container: Omit<Container, 'volumeMounts' | 'securityContext' | 'resources'> & {
    extraMounts?: VolumeMount[]
  },
  extraVolumes: Volume[],
  uid: number,
  s: ManifestSettings,
): PodSpec => {
  const { volumes, mounts } = configVolumes(clusterId, 'master', configs)
  const { extraMounts, ...c } = container
  return {
    dnsConfig: dnsSearch(clusterId, s),
    restartPolicy: 'Never',
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      fsGroup: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        ...c,
        // A client, not a node: small and fixed, whatever the flavors.
        resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '2Gi' } },
        volumeMounts: [{ name: 'logs', mountPath: '/var/log' }, ...mounts, ...(extraMounts ?? [])],
        securityContext: secure(),
      },
    ],
    volumes: [{ name: 'logs', emptyDir: {} }, ...volumes, ...extraVolumes],
  }
}

/**
 * Waits until every leaving DataNode is decommissioned, refreshing the NameNodes (and the
 * ResourceManager) each round: the kubelet updates the NameNodes' copy of the exclude file
 * within a minute or so of the ConfigMap, and the first refresh may come before it. A host the
 * NameNode does not know at all (it never registered) has nothing to drain.
 */
const DECOMMISSION_SCRIPT = [
  'set -u',
  'echo "decommissioning: $HOSTS"',
  'while :; do',
  '  hdfs dfsadmin -refreshNodes >/dev/null || true',
  '  yarn rmadmin -refreshNodes >/dev/null 2>&1 || true',
  '  all=$(hdfs dfsadmin -report 2>/dev/null) || { sleep 10; continue; }',
  '  done_=$(hdfs dfsadmin -report -decommissioned 2>/dev/null) || { sleep 10; continue; }',
  '  pending=',
  '  for h in $HOSTS; do',
  '    if printf "%s\\n" "$all" | grep -Eq "^Hostname: $h(\\.|$)"; then',
  '      printf "%s\\n" "$done_" | grep -Eq "^Hostname: $h(\\.|$)" || pending="$pending $h"',
  '    fi',
  '  done',
  '  if [ -z "$pending" ]; then echo "decommissioned: $HOSTS"; exit 0; fi',
  '  echo "waiting for:$pending"',
  '  sleep 10',
  'done',
].join('\n')

/**
 * The decommission of DESIGN section 12: the exclude ConfigMap (projected into the masters'
 * Hadoop directory as `dfs.exclude` and `yarn.exclude`, FQDNs one per line) and a Job that
 * refreshes the NameNodes until the hosts report Decommissioned, then exits 0. Its success is
 * the signal that their Pods may go.
 */
export const decommissionManifests = (
  plan: DecommissionPlan,
  masterConfigs: readonly RenderedFile[],
  owner: Owner,
  s: ManifestSettings,
): [ConfigMap, Job] => {
  if (plan.nodes.length === 0) throw new Error('a decommission needs nodes')
  const nodes = [...plan.nodes].sort((a, b) => a.index - b.index || cmp(a.name, b.name))
  for (const n of nodes)
    if (n.role !== 'worker') throw new TerminalProviderError(`only workers are decommissioned, not ${n.name}`)
  const exclude = nodes.map((n) => `${nodeFqdn(plan.clusterId, n.name, s)}\n`).join('')
  const labels = clusterLabels(plan.clusterId, 'decommission')
  const name = decommissionJobName(plan)
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        ...meta(excludeConfigMapName(plan.clusterId), clusterLabels(plan.clusterId, 'config'), s, owner),
        annotations: { [ANNOTATION_KEY]: plan.key },
      },
      data: { 'dfs.exclude': exclude, 'yarn.exclude': exclude },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { ...meta(name, labels, s, owner), annotations: { [ANNOTATION_KEY]: plan.key } },
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: s.decommissionDeadlineSeconds,
        template: {
          metadata: { labels },
          spec: jobPodSpec(
            plan.clusterId,
            masterConfigs,
            {
              name: 'decommission',
              image: s.images.hadoop,
              command: bash(DECOMMISSION_SCRIPT),
              env: [
                ...hadoopEnv,
                { name: 'HADOOP_USER_NAME', value: 'hadoop' },
                { name: 'HOSTS', value: nodes.map((n) => podName(n.name)).join(' ') },
              ],
            },
            [],
            HADOOP_UID,
            s,
          ),
        },
      },
    },
  ]
}

/** A task file as read from Object Storage by the caller. */
export interface TaskFile {
  /** The object's name (the URL's last segment); sanitized into a file name here. */
  name: string
  content: Uint8Array
}

/** A ConfigMap holds at most 1 MiB; leave room for its metadata. */
export const MAX_TASK_FILE_BYTES = 1_000_000

const fileNameOf = (name: string, type: 'hive' | 'spark'): string => {
  const base = posix
    .basename(name)
    .replace(/[^-._a-zA-Z0-9]+/g, '_')
    .replace(/^\.+/, '')
  return base === '' ? (type === 'hive' ? 'task.hql' : 'task.jar') : base.slice(-200)
}

/**
 * The userTask as a Job (DESIGN section 12): `beeline -f` / `-e` against the first master's
 * HiveServer2, or `spark-submit --master yarn`. The user's options and parameters reach the
 * command through env variables, split into words but never evaluated (`set -f`, no `eval`),
 * so `;` or `$(...)` in them are plain text. The task file, read by the caller from Object
 * Storage, is in a ConfigMap of the same name as the Job.
 */
export const taskManifests = (
  plan: TaskPlan,
  input: { masters: readonly VmRef[]; masterConfigs: readonly RenderedFile[]; file?: TaskFile; owner: Owner },
  s: ManifestSettings,
): Manifest[] => {
  const name = taskJobName(plan)
  const labels = { ...clusterLabels(plan.clusterId, 'task'), [LABEL_TASK_RUN]: labelValue(plan.runId) }
  const annotations = { [ANNOTATION_KEY]: plan.key }
  const [first] = [...input.masters].sort((a, b) => a.index - b.index)
  if (!first) throw new Error('a task needs the cluster masters')
  const out: Manifest[] = []
  const volumes: Volume[] = []
  const mounts: VolumeMount[] = []
  let path: string | undefined
  if (input.file) {
    if (input.file.content.byteLength > MAX_TASK_FILE_BYTES)
      throw new TerminalProviderError(
        `TASK_FILE_TOO_LARGE: the task file ${input.file.name} has ${input.file.content.byteLength} bytes; at most ${MAX_TASK_FILE_BYTES} for now`,
      )
    const key = fileNameOf(input.file.name, plan.type)
    path = `${TASK_DIR}/${key}`
    out.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...meta(name, labels, s, input.owner), annotations },
      binaryData: { [key]: Buffer.from(input.file.content).toString('base64') },
    })
    volumes.push({ name: 'task', configMap: { name, items: [{ key, path: key }] } })
    mounts.push({ name: 'task', mountPath: TASK_DIR, readOnly: true })
  } else if (plan.fileUrl !== undefined) throw new Error('the task plan names a file: pass its content')
  const env: EnvVar[] = [
    ...hadoopEnv,
    { name: 'HADOOP_USER_NAME', value: 'hadoop' },
    { name: 'EXEC_OPTS', value: plan.execOpts ?? '' },
    { name: 'EXEC_PARAMS', value: plan.execParams ?? '' },
  ]
  let script: string
  let image: string
  let uid: number
  if (plan.type === 'hive') {
    const url = `jdbc:hive2://${nodeFqdn(plan.clusterId, first.name, s)}:10000/default`
    env.push({ name: 'HIVE_URL', value: url })
    if (path !== undefined) env.push({ name: 'TASK_FILE', value: path })
    else if (plan.query !== undefined) env.push({ name: 'HIVE_QUERY', value: plan.query })
    else throw new TerminalProviderError('a hive task needs a query or a file')
    script = [
      'set -euf',
      'if [ -n "${TASK_FILE:-}" ]; then',
      '  exec beeline -u "$HIVE_URL" -n hadoop $EXEC_OPTS -f "$TASK_FILE"',
      'fi',
      'exec beeline -u "$HIVE_URL" -n hadoop $EXEC_OPTS -e "$HIVE_QUERY"',
    ].join('\n')
    image = s.images.hive
    uid = HADOOP_UID
  } else {
    if (path === undefined) throw new TerminalProviderError('a spark task needs a file')
    env.push(
      { name: 'TASK_FILE', value: path },
      { name: 'DEPLOY_MODE', value: plan.deployMode ?? 'client' },
      // In client mode the driver runs here, and executors call it back at this address.
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    )
    script = [
      'set -euf',
      'exec /opt/spark/bin/spark-submit --master yarn --deploy-mode "$DEPLOY_MODE" \\',
      '  --conf spark.driver.host="$POD_IP" $EXEC_OPTS "$TASK_FILE" $EXEC_PARAMS',
    ].join('\n')
    image = s.images.spark
    uid = SPARK_UID
  }
  out.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...meta(name, labels, s, input.owner), annotations },
    spec: {
      // A failed task is a failed run (its terminationPolicy applies); a re-run is a new Job.
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: jobPodSpec(
          plan.clusterId,
          input.masterConfigs,
          { name: 'task', image, command: bash(script), env, extraMounts: mounts },
          volumes,
          uid,
          s,
        ),
      },
    },
  })
  return out
}
