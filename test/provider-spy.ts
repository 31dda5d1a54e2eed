import type { Provider } from '../src/providers/provider.js'

export interface ProviderCall {
  method: keyof Provider
  clusterId: string
  /** The VM a createVm or deleteVm was for. */
  vm?: string
  /** A plan's purpose or an operation's key. */
  detail?: string
}

/**
 * Wraps a provider and records every call it gets, so a test counts what the reconciler asked
 * for (a VM created twice shows as two createVm calls, whatever the provider does with them).
 * `before` runs ahead of each call: to slow it down, make it hang or make it throw.
 */
export const spyOn = (
  inner: Provider,
  before?: (call: ProviderCall, signal: AbortSignal) => Promise<void>,
) => {
  const calls: ProviderCall[] = []
  const record = async (call: ProviderCall, signal: AbortSignal) => {
    calls.push(call)
    if (before) await before(call, signal)
  }
  const provider: Provider = {
    async observe(clusterId, signal) {
      await record({ method: 'observe', clusterId }, signal)
      return inner.observe(clusterId, signal)
    },
    async createVm(plan, signal) {
      await record(
        { method: 'createVm', clusterId: plan.clusterId, vm: plan.name, detail: plan.purpose },
        signal,
      )
      return inner.createVm(plan, signal)
    },
    async deleteVm(clusterId, vm, signal) {
      await record({ method: 'deleteVm', clusterId, vm: vm.name }, signal)
      return inner.deleteVm(clusterId, vm, signal)
    },
    async install(plan, signal) {
      await record({ method: 'install', clusterId: plan.clusterId, detail: plan.key }, signal)
      return inner.install(plan, signal)
    },
    async decommission(plan, signal) {
      await record({ method: 'decommission', clusterId: plan.clusterId, detail: plan.key }, signal)
      return inner.decommission(plan, signal)
    },
    async runTask(plan, signal) {
      await record({ method: 'runTask', clusterId: plan.clusterId, detail: plan.key }, signal)
      return inner.runTask(plan, signal)
    },
    async releaseCluster(clusterId, signal) {
      await record({ method: 'releaseCluster', clusterId }, signal)
      return inner.releaseCluster(clusterId, signal)
    },
  }
  const count = (method: keyof Provider, clusterId?: string) =>
    calls.filter((c) => c.method === method && (clusterId === undefined || c.clusterId === clusterId)).length
  return { provider, calls, count }
}
