/**
 * Calls that arrive in the same turn of the event loop go to the database as one query
 * (PostgreSQL: one round trip for fifty concurrent GETs, or fifty creates, instead of fifty).
 * The query starts after every call of its batch was made, so each answer follows every commit
 * its request could have seen, as a query of its own would. Calls with the same key share one
 * slot (the first one's item goes to the query) and one answer. A failed query fails its whole
 * batch: `load` must not half-apply a write.
 */
export const batchedByKey = <I, V>(
  keyOf: (item: I) => string,
  load: (items: I[]) => Promise<Map<string, V>>,
  maxBatch = 200,
): ((item: I) => Promise<V | undefined>) => {
  type Waiter = { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }
  let pending = new Map<string, { item: I; waiters: Waiter[] }>()
  let scheduled = false
  const flush = () => {
    scheduled = false
    const batch = pending
    pending = new Map()
    const keys = [...batch.keys()]
    for (let i = 0; i < keys.length; i += maxBatch) {
      const part = keys.slice(i, i + maxBatch)
      load(part.map((k) => batch.get(k)!.item)).then(
        (found) => {
          for (const k of part) for (const w of batch.get(k)!.waiters) w.resolve(found.get(k))
        },
        (e: unknown) => {
          for (const k of part) for (const w of batch.get(k)!.waiters) w.reject(e)
        },
      )
    }
  }
  return (item) =>
    new Promise<V | undefined>((resolve, reject) => {
      const key = keyOf(item)
      const slot = pending.get(key)
      if (slot) slot.waiters.push({ resolve, reject })
      else pending.set(key, { item, waiters: [{ resolve, reject }] })
      if (!scheduled) {
        scheduled = true
        // setImmediate, not a microtask: every request parsed in this I/O phase joins the batch.
        setImmediate(flush)
      }
    })
}

/** Reads by key, batched as above: `load` answers the keys it found. */
export const batchedReads = <V>(
  load: (keys: string[]) => Promise<Map<string, V>>,
  maxBatch = 200,
): ((key: string) => Promise<V | undefined>) => batchedByKey((k: string) => k, load, maxBatch)

/** Rows read by a key they share (a cluster's VMs), batched as above: each key gets its rows, in the order `load` returns them. */
export const batchedGroups = <R, V>(
  load: (keys: string[]) => Promise<R[]>,
  groupOf: (row: R) => string,
  toValue: (row: R) => V,
): ((key: string) => Promise<V[]>) => {
  const read = batchedReads(async (keys) => {
    const out = new Map<string, V[]>(keys.map((k) => [k, []]))
    for (const row of await load(keys)) out.get(groupOf(row))?.push(toValue(row))
    return out
  })
  return async (key) => (await read(key)) ?? []
}
