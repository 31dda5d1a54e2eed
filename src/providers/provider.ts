import type { DecommissionPlan, InstallPlan, SealedSecret, TaskPlan, VmPlan, VmRef } from '../domain/plans.js'

/**
 * The port between the reconciler and infrastructure, in the manner of controller-runtime
 * driving a cloud: the reconciler hands over whole plans (what should exist), asks what really
 * exists (`observe`), and never assumes a call took effect until it reads it back. Small and
 * structural, no vendor types. Every call:
 * - is idempotent: the same plan again reports what the first call started, so a retry after a
 *   crash or a timeout never makes a second VM or a second installation;
 * - takes an AbortSignal, and may be abandoned by the caller when it fires (a timeout, a lost
 *   lease, shutdown): a provider must tolerate being asked again after an abandoned call.
 */

/** A VM as the provider sees it. */
export interface ObservedVm extends VmRef {
  phase: 'booting' | 'running' | 'failed' | 'terminating' | 'gone'
  instanceId: string
  ip: string
  /** When the current phase should end, if the provider can tell (a hint for the next look). */
  readyAt?: number
  /** On `failed`: a stable code when the provider knows one (`CONFIG_FILE_NOT_FOUND`...). */
  reason?: string
  error?: string
}

export interface OperationState {
  phase: 'running' | 'succeeded' | 'failed'
  readyAt?: number
  /**
   * On failure: a stable code (`INSTALL_FAILED`, `CONFIG_FILE_NOT_FOUND`, `TASK_FILE_NOT_FOUND`,
   * `TASK_FAILED`...) and a readable message (which names the URL when a file is missing).
   */
  reason?: string
  error?: string
}

export interface TaskState extends OperationState {
  /** The task's exit code, once it ended (absent when it never started, e.g. no task file). */
  exitCode?: number
  /**
   * The log so far, when the plan has no log bucket: the server keeps it. With a log bucket the
   * provider writes the log objects itself and leaves this out.
   */
  log?: string
}

/** What exists for one cluster right now. */
export interface Observation {
  vms: ObservedVm[]
}

export interface Provider {
  /** Reports every VM the provider holds for the cluster (gone ones may be omitted). */
  observe(clusterId: string, signal: AbortSignal): Promise<Observation>
  /** Creates the VM the plan describes, or reports the one that already has its name. */
  createVm(plan: VmPlan, signal: AbortSignal): Promise<ObservedVm>
  /** Deletes a VM. Final: a deleted name is never brought back. A name never created is simply gone. */
  deleteVm(clusterId: string, vm: VmRef, signal: AbortSignal): Promise<ObservedVm>
  /** Installs the stack on the plan's nodes: starts it, or reports the one started with this key. */
  install(plan: InstallPlan, signal: AbortSignal): Promise<OperationState>
  /** Drains HDFS and YARN from the plan's nodes before they are deleted. */
  decommission(plan: DecommissionPlan, signal: AbortSignal): Promise<OperationState>
  /** Runs one task run of the cluster's userTask. */
  runTask(plan: TaskPlan, signal: AbortSignal): Promise<TaskState>
  /**
   * Removes what the cluster still holds besides its VMs (a network, its configuration and
   * secrets), once they are deleted; true when nothing is left. Asked again until it is.
   */
  releaseCluster(clusterId: string, signal: AbortSignal): Promise<boolean>
}

/** What every provider is given besides its own settings. */
export interface ProviderDeps {
  /** Opens a sealed password. The only way a provider reads a secret; never log the result. */
  openSecret: (secret: SealedSecret) => string
}

/**
 * A failure no retry will fix (a quota the account lacks, a plan the infrastructure refuses):
 * the reconciler ends the cluster at once with reason PROVIDER_ERROR. Any other error a call
 * throws is taken as transient and retried with backoff, up to the attempt cap.
 */
export class TerminalProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TerminalProviderError'
  }
}
