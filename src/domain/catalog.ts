import { createHash } from 'node:crypto'

export const CLUSTER_TYPES = ['hadoop', 'hbase', 'trino', 'dataflow'] as const
export type ClusterType = (typeof CLUSTER_TYPES)[number]

export const CLUSTER_VERSIONS = ['hde-1.1.2', 'hde-2.0.1', 'hde-2.1.0', 'hde-2.2.0'] as const
export type ClusterVersion = (typeof CLUSTER_VERSIONS)[number]

const FLAVOR_FAMILIES = ['m2a', 'c2a', 'r2a'] as const
const FLAVOR_SIZES = [
  'large',
  'xlarge',
  '2xlarge',
  '4xlarge',
  '8xlarge',
  '12xlarge',
  '16xlarge',
  '24xlarge',
] as const

/** A stable UUID per name, so a flavorId never changes between runs or replicas. */
const stableUuid = (seed: string): string => {
  const h = createHash('sha1').update(`hadoop-eco/flavor/${seed}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** DESIGN section 9: vCPUs per size, and GiB of memory per vCPU per family. */
const VCPUS: Readonly<Record<(typeof FLAVOR_SIZES)[number], number>> = {
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
  '12xlarge': 48,
  '16xlarge': 64,
  '24xlarge': 96,
}
const GIB_PER_VCPU: Readonly<Record<(typeof FLAVOR_FAMILIES)[number], number>> = { c2a: 2, m2a: 4, r2a: 8 }

export interface Flavor {
  id: string
  name: string
  vcpus: number
  memoryMiB: number
}

export const FLAVORS: ReadonlyMap<string, Flavor> = new Map(
  FLAVOR_FAMILIES.flatMap((f) =>
    FLAVOR_SIZES.map((s) => {
      const name = `${f}.${s}`
      const vcpus = VCPUS[s]
      return [name, { id: stableUuid(name), name, vcpus, memoryMiB: vcpus * GIB_PER_VCPU[f] * 1024 }] as const
    }),
  ),
)

export const isClusterType = (v: unknown): v is ClusterType =>
  typeof v === 'string' && (CLUSTER_TYPES as readonly string[]).includes(v)
export const isClusterVersion = (v: unknown): v is ClusterVersion =>
  typeof v === 'string' && (CLUSTER_VERSIONS as readonly string[]).includes(v)

/** Engines each cluster type ships; userTask and metastore rules depend on them. */
export const ENGINES: Readonly<Record<ClusterType, { hive: boolean; spark: boolean }>> = {
  hadoop: { hive: true, spark: true },
  hbase: { hive: false, spark: false },
  trino: { hive: true, spark: false },
  dataflow: { hive: false, spark: false },
}

export type UiUrlField =
  'nameNodeUrl' | 'resourceManagerUrl' | 'hueUrl' | 'hmasterUrl' | 'trinoUrl' | 'druidUrl' | 'supersetUrl'

const UI_PORTS: Readonly<Record<Exclude<UiUrlField, 'nameNodeUrl'>, number>> = {
  resourceManagerUrl: 8088,
  hueUrl: 8888,
  hmasterUrl: 16010,
  trinoUrl: 8780,
  druidUrl: 3008,
  supersetUrl: 4000,
}

const UI_FIELDS: Readonly<Record<ClusterType, readonly UiUrlField[]>> = {
  hadoop: ['nameNodeUrl', 'resourceManagerUrl', 'hueUrl'],
  hbase: ['nameNodeUrl', 'resourceManagerUrl', 'hmasterUrl'],
  trino: ['nameNodeUrl', 'resourceManagerUrl', 'hueUrl', 'trinoUrl'],
  dataflow: ['nameNodeUrl', 'resourceManagerUrl', 'druidUrl', 'supersetUrl'],
}

/** DESIGN section 5: `http://{first master ip}:{port}`; the NameNode UI moved from 50070 in Hadoop 3. */
export const uiUrls = (
  type: ClusterType,
  version: string,
  masterIp: string,
): Partial<Record<UiUrlField, string>> => {
  const out: Partial<Record<UiUrlField, string>> = {}
  for (const f of UI_FIELDS[type]) {
    const port = f === 'nameNodeUrl' ? (version.startsWith('hde-1.') ? 50070 : 9870) : UI_PORTS[f]
    out[f] = `http://${masterIp}:${port}`
  }
  return out
}

/** The image each version boots; shown as GET's `imageName`. */
export const imageName = (version: string): string => `HadoopEco-${version}-ubuntu-22.04`

export const MAX_WORKERS = 1000
