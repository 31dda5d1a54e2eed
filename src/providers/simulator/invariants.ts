import { Check, type InvariantCheck } from '../../domain/invariants.js'
import { isTerminated } from '../../domain/statuses.js'
import type { SimRecord } from './records.js'

export interface SimulatorCheckInput {
  clusters: { id: string; name: string; status: string }[]
  vms: { clusterId: string; name: string; instanceId: string; live: boolean }[]
  simRecords: SimRecord[]
}

/**
 * The simulator's side of the invariants: its records against the control plane's VM rows.
 * Each recorded VM is the instance the simulator made; a Running cluster's VMs at the provider
 * (created, not deleted, not lost) are exactly its live rows; a terminated cluster left none.
 */
export const simulatorInvariants = ({ clusters, vms, simRecords }: SimulatorCheckInput): InvariantCheck[] => {
  const check = new Check(
    'provider-vms',
    'simulator: each recorded VM is the instance the provider made; Running: the provider VMs not deleted are exactly the live VMs; Terminated(*): none left undeleted',
  )
  const byCluster = new Map<string, SimRecord[]>()
  for (const r of simRecords) byCluster.set(r.clusterId, [...(byCluster.get(r.clusterId) ?? []), r])
  const rowsOf = new Map<string, SimulatorCheckInput['vms']>()
  for (const v of vms) rowsOf.set(v.clusterId, [...(rowsOf.get(v.clusterId) ?? []), v])
  for (const c of clusters) {
    const records = byCluster.get(c.id)
    if (!records) continue
    check.checked++
    const label = `cluster ${c.name} (${c.id}, ${c.status})`
    const nameOf = (r: SimRecord) => r.key.slice(r.key.indexOf('/') + 1)
    const made = new Map(
      records
        .filter((r) => r.kind === 'vm' && r.outcome !== 'lost')
        .map((r) => [nameOf(r), (JSON.parse(r.detail) as { instanceId?: string }).instanceId ?? ''] as const),
    )
    const deleted = new Set(records.filter((r) => r.kind === 'vm-delete').map(nameOf))
    const rows = rowsOf.get(c.id) ?? []
    for (const v of rows) {
      const instance = made.get(v.name)
      if (instance === undefined && v.live)
        check.fail(`${label}: VM ${v.name} is live but the provider has no such VM`)
      else if (instance !== undefined && instance !== v.instanceId)
        check.fail(`${label}: VM ${v.name} is recorded as ${v.instanceId}, the provider made ${instance}`)
    }
    const undeleted = [...made.keys()].filter((name) => !deleted.has(name)).sort()
    if (isTerminated(c.status) && undeleted.length > 0)
      check.fail(`${label}: provider VMs never deleted (orphans): ${undeleted.join(', ')}`)
    if (c.status === 'Running') {
      const live = rows
        .filter((v) => v.live)
        .map((v) => v.name)
        .sort()
      if (undeleted.join() !== live.join())
        check.fail(`${label}: provider VMs [${undeleted.join(', ')}] but live VM rows [${live.join(', ')}]`)
    }
  }
  return [check.result()]
}
