/**
 * Reads by key that arrive in the same turn of the event loop go to the database as one query
 * (PostgreSQL: one round trip for fifty concurrent GETs instead of fifty). The query starts
 * after every read of its batch was asked for, so each answer follows every commit its
 * request could have seen, as a read of its own would. A failed query fails its whole batch.
 */
export const batchedReads = <V>(
  load: (keys: string[]) => Promise<Map<string, V>>,
  maxBatch = 200,
): ((key: string) => Promise<V | undefined>) => {
  let pending = new Map<string, { resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[]>()
  let scheduled = false
  const flush = () => {
    scheduled = false
    const batch = pending
    pending = new Map()
    const keys = [...batch.keys()]
    for (let i = 0; i < keys.length; i += maxBatch) {
      const part = keys.slice(i, i + maxBatch)
      load(part).then(
        (found) => {
          for (const k of part) for (const w of batch.get(k)!) w.resolve(found.get(k))
        },
        (e: unknown) => {
          for (const k of part) for (const w of batch.get(k)!) w.reject(e)
        },
      )
    }
  }
  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      const waiting = pending.get(key)
      if (waiting) waiting.push({ resolve, reject })
      else pending.set(key, [{ resolve, reject }])
      if (!scheduled) {
        scheduled = true
        // setImmediate, not a microtask: every request parsed in this I/O phase joins the batch.
        setImmediate(flush)
      }
    })
}
