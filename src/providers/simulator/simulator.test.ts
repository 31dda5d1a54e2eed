import { describe, expect, it } from 'vitest'
import type { VmPlan } from '../../domain/plans.js'
import type { SimRecord, SimRecordStore } from './records.js'
import { createSimulatorProvider } from './simulator.js'

/** The simulator's records in memory: first writer wins, every call answered a turn later. */
const memoryRecords = (): SimRecordStore => {
  const rows = new Map<string, SimRecord>()
  const later = <T>(f: () => T) => new Promise<T>((resolve) => setImmediate(() => resolve(f())))
  return {
    get: (key) => later(() => rows.get(key)),
    getMany: (keys) =>
      later(() => new Map(keys.flatMap((k) => (rows.has(k) ? [[k, rows.get(k)!] as const] : [])))),
    ensure: (r) =>
      later(() => {
        if (!rows.has(r.key)) rows.set(r.key, r)
        return rows.get(r.key)!
      }),
    replace: (r) => later(() => void rows.set(r.key, r)),
    list: (clusterId) => later(() => [...rows.values()].filter((r) => r.clusterId === clusterId)),
    deleteAll: () => later(() => rows.clear()),
  }
}

describe('simulator provider', () => {
  it('takes one provisioning verdict per cluster, whichever of its VMs asks first', async () => {
    let faults = 1
    let asked = 0
    const simulator = createSimulatorProvider({
      records: memoryRecords(),
      objects: {} as never,
      clock: { now: () => 1_000 },
      timeScale: 0,
      openSecret: () => '',
      // The fault is used up by the first call, which answers last: a VM deciding the verdict
      // on its own would store another VM's "ok" first.
      clusterFault: async () => {
        asked++
        const hit = faults > 0
        if (hit) faults--
        await new Promise((r) => setTimeout(r, hit ? 20 : 0))
        return hit
      },
    })
    const plan = (name: string, index: number) =>
      ({
        clusterId: 'c1',
        clusterName: 'prov-a',
        name,
        role: 'worker',
        index,
        purpose: 'create',
        run: 1,
      }) as VmPlan
    const vms = await Promise.all(
      [1, 2, 3, 4].map((i) => simulator.createVm(plan(`HadoopWRK-prov-a-${i}`, i), undefined as never)),
    )
    expect(vms.map((v) => v.phase)).toEqual(['failed', 'failed', 'failed', 'failed'])
    expect(asked).toBe(1)
  })
})
