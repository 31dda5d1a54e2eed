import type { Kysely } from 'kysely'
import { simulatorInvariants } from './providers/simulator/invariants.js'
import {
  checkInvariants as checkStore,
  formatInvariantReport,
  type InvariantReport,
} from './store/invariants.js'
import type { Tables } from './store/tables.js'

/**
 * Every invariant of a database a server left behind: the store's own, then the simulator's
 * over its records, on one snapshot. The soak, the shutdown test and the replica tests run it.
 */
export const checkInvariants = (db: Kysely<Tables>): Promise<InvariantReport> =>
  checkStore(db, { providerChecks: simulatorInvariants })

export { formatInvariantReport, type InvariantReport }
