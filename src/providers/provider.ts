/**
 * The port between the reconciler and infrastructure. Small and structural (no vendor types),
 * so a Kubernetes provider can implement it later. Every call is idempotent by a deterministic
 * key chosen by the caller: calling again observes instead of acting twice, which is what lets
 * the reconciler retry after a crash without creating a VM twice. Every call takes an AbortSignal.
 */
export interface VmSpec {
  /** Deterministic: `${clusterId}/${vmName}`. */
  key: string
  clusterId: string
  clusterName: string
  name: string
  isMaster: boolean
  index: number
  flavorName: string
  /** Scale-out nodes boot and install as one step in the simulator's timing. */
  purpose: 'create' | 'scale-out'
}

export interface VmState {
  key: string
  phase: 'booting' | 'running' | 'failed' | 'terminating' | 'gone'
  instanceId: string
  ip: string
  /** When the current phase is expected to end (epoch ms), for the reconciler's requeue. */
  readyAt: number
  error?: string
}

export interface OperationState {
  phase: 'running' | 'succeeded' | 'failed'
  readyAt: number
  error?: string
}

export interface OperationSpec {
  /** Deterministic: e.g. `${clusterId}/install`. */
  key: string
  clusterId: string
  clusterName: string
  nodes: readonly string[]
}

export interface TaskSpec extends OperationSpec {
  type: 'hive' | 'spark'
}

/**
 * Terminal failures (a VM that cannot be provisioned, an installation that failed) are
 * reported as states (`failed`); anything a call throws is taken as transient and retried by the
 * reconciler with backoff.
 */
export interface Provider {
  /** Creates the VM, or returns the one this key already created. */
  createVm(spec: VmSpec, signal?: AbortSignal): Promise<VmState>
  /** Deletes the VM (idempotent; a key never created is simply gone). */
  deleteVm(key: string, signal?: AbortSignal): Promise<VmState>
  /** Installs the Hadoop stack on `nodes`: starts it, or reports the one started with this key. */
  install(op: OperationSpec, signal?: AbortSignal): Promise<OperationState>
  /** Drains HDFS/YARN from `nodes` before they are deleted. */
  decommission(op: OperationSpec, signal?: AbortSignal): Promise<OperationState>
  /** Runs the cluster's userTask. */
  runTask(op: TaskSpec, signal?: AbortSignal): Promise<OperationState>
  /** Forgets everything (admin reset). */
  reset(): Promise<void>
}
