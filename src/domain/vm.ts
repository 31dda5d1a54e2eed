import type { Vm } from '../wire/schemas.js'
import type { VmStatus } from './statuses.js'

export type VmRole = 'master' | 'worker'

/** DESIGN section 4: `HadoopMST-{name}-{i}` and `HadoopWRK-{name}-{i}`, indexes from 1 per role. */
export const vmName = (clusterName: string, role: VmRole, index: number): string =>
  `${role === 'master' ? 'HadoopMST' : 'HadoopWRK'}-${clusterName}-${index}`

/** One VM a cluster has (or had): what the reconciler records and the API lists. */
export interface VmRecord {
  clusterId: string
  name: string
  role: VmRole
  index: number
  instanceId: string
  ip: string
  status: VmStatus
  flavorName: string
  createdAt: number
  /** When it left the cluster; null while it exists. */
  endedAt: number | null
}

/** The seed's VM list item. */
export const toVm = (v: VmRecord): Vm => ({
  name: v.name,
  instanceId: v.instanceId,
  index: v.index,
  isMaster: v.role === 'master',
  status: v.status,
  flavorName: v.flavorName,
  ip: v.ip,
  createdAt: v.createdAt,
})
