/**
 * The simulator's durable memory: one record per thing it was asked to do, keyed by a key it
 * chooses itself. It declares the interface; the store implements it (the only SQL lives there),
 * so a restart loses nothing and two replicas share one simulated cloud.
 */
export interface SimRecord {
  key: string
  clusterId: string
  kind: string
  startedAt: number
  /** When the thing is done (a VM booted, an installation finished). */
  readyAt: number
  /** `ok`, `fail`, or `lost` (a VM that vanished behind the control plane's back). */
  outcome: string
  /** JSON: what the simulator made (instance id, ip, the plan's purpose...). */
  detail: string
}

export interface SimRecordStore {
  get(key: string): Promise<SimRecord | undefined>
  /** The records of those keys that exist, by key (one read). */
  getMany(keys: readonly string[]): Promise<Map<string, SimRecord>>
  /** Inserts unless the key exists; returns the record stored either way (first writer wins). */
  ensure(record: SimRecord): Promise<SimRecord>
  /** Overwrites a record (a VM lost, or booted again after a loss). */
  replace(record: SimRecord): Promise<void>
  /** Every record of one cluster. */
  list(clusterId: string): Promise<SimRecord[]>
  deleteAll(): Promise<void>
}
