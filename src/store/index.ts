import { createClusterStore } from './clusters.js'
import { createConsoleSessionStore } from './console-sessions.js'
import { createCredentialStore } from './credentials.js'
import type { Database } from './db.js'
import { createEventStore } from './events.js'
import { createFaultStore } from './faults.js'
import { createIdempotencyStore } from './idempotency.js'
import { createApiKeyStore, createJobRequestStore } from './job-clusters.js'
import { createProviderBindingStore } from './provider-binding.js'
import { createRetentionStore } from './retention.js'
import { createSecretsStore } from './secrets.js'
import { createSimRecordStore } from './sim-ops.js'
import { createTaskRunStore } from './task-runs.js'
import { asTx, type Tx } from './tx.js'
import { createVmStore } from './vms.js'
import { createWorkStore } from './work.js'

export const createStore = (database: Database) => ({
  database,
  clusters: createClusterStore(database),
  vms: createVmStore(database),
  events: createEventStore(database),
  credentials: createCredentialStore(database),
  idempotency: createIdempotencyStore(database),
  work: createWorkStore(database),
  faults: createFaultStore(database),
  secrets: createSecretsStore(database),
  simRecords: createSimRecordStore(database),
  taskRuns: createTaskRunStore(database),
  apiKeys: createApiKeyStore(database),
  jobRequests: createJobRequestStore(database),
  consoleSessions: createConsoleSessionStore(database),
  retention: createRetentionStore(database),
  providerBinding: createProviderBindingStore(database),
  /** All of `fn`'s writes or none; `tx` goes only to store functions. */
  transaction: <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => database.transaction((trx) => fn(asTx(trx))),
})

export type Store = ReturnType<typeof createStore>
export { openDatabase, type Database } from './db.js'
export { DuplicateNameError } from './clusters.js'
export { LeaseLostError } from './work.js'
export { isDatabaseUnavailable } from './db.js'
export type { Tx } from './tx.js'
