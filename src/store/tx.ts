import type { Kysely } from 'kysely'
import type { Tables } from './tables.js'

declare const brand: unique symbol

/**
 * A transaction as the layers above the store see it: something to hand back to store
 * functions, never to query with. Only `store/` knows it is a Kysely handle.
 */
export type Tx = { readonly [brand]: 'Tx' }

/** Store-internal: the Kysely handle behind a Tx. */
export const kx = (tx: Tx): Kysely<Tables> => tx as unknown as Kysely<Tables>
/** Store-internal: a Kysely handle handed upwards as a Tx. */
export const asTx = (trx: Kysely<Tables>): Tx => trx as unknown as Tx
