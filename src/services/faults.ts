import { globMatches, type FaultKind } from '../domain/faults.js'
import type { FaultRow, FaultStore } from '../store/faults.js'

/**
 * Answers "does a fault hit this?" for the API (apiError, on every request) and the simulator.
 * The list is cached for a second so the hot path does not query for it; a local change
 * invalidates at once, other replicas see it within the refresh interval.
 */
export const createFaultService = ({
  store,
  refreshMs = 1000,
}: {
  store: FaultStore
  refreshMs?: number
}) => {
  let cached: FaultRow[] = []
  let loadedAt = -Infinity
  let loading: Promise<FaultRow[]> | undefined
  const list = async (): Promise<FaultRow[]> => {
    if (Date.now() - loadedAt < refreshMs) return cached
    // A failed load is not kept: the next request tries again instead of failing forever.
    loading ??= store.list().then(
      (rows) => {
        cached = rows
        loadedAt = Date.now()
        loading = undefined
        return rows
      },
      (e: unknown) => {
        loading = undefined
        throw e
      },
    )
    return loading
  }
  const take = async (kind: FaultKind, matches: (f: FaultRow) => boolean): Promise<FaultRow | undefined> => {
    for (const f of await list()) {
      if (f.fault !== kind || !matches(f)) continue
      if (await store.consume(f.id)) {
        if (f.times_left !== null) loadedAt = -Infinity
        return f
      }
    }
    return undefined
  }
  return {
    invalidate() {
      loadedAt = -Infinity
    },
    /** True when the cached list is fresh and empty: nothing can match, no need to look. */
    noneCached: () => cached.length === 0 && Date.now() - loadedAt < refreshMs,
    /** An apiError fault for this path, consumed; undefined when none applies. */
    async apiFault(path: string): Promise<{ status: number } | undefined> {
      if (cached.length === 0 && Date.now() - loadedAt < refreshMs) return undefined
      const f = await take('apiError', (r) => r.path_glob !== null && globMatches(r.path_glob, path))
      return f ? { status: f.status ?? 500 } : undefined
    },
    async clusterFault(kind: Exclude<FaultKind, 'apiError'>, clusterName: string): Promise<boolean> {
      return !!(await take(
        kind,
        (r) => r.cluster_name_glob !== null && globMatches(r.cluster_name_glob, clusterName),
      ))
    },
  }
}

export type FaultService = ReturnType<typeof createFaultService>
