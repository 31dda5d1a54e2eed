/**
 * PostgreSQL text cannot hold U+0000: a query with such a parameter fails as a whole (a 500 for
 * a request that only asked for something that does not exist). No stored value has one (the
 * API refuses it wherever a client's text is stored in a column of its own), so a lookup or a
 * filter carrying one matches nothing, on either backend, without asking the database.
 */
export const hasNul = (s: string): boolean => s.includes('\u0000')

/**
 * Code-unit order, the same in every process: batches that lock rows sort their items by it so
 * that two replicas' batches always take their locks in one order.
 */
export const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
