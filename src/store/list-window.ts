import type { ClusterRecord } from '../domain/cluster.js'
import type { ClusterSortField, SortKey } from '../domain/paging.js'

/**
 * PostgreSQL: a list page kept current from the rows written since it was read, instead of
 * read again (clusters.ts). A million clusters, a name filter matching 10,000 of them: reading
 * the page costs 40 ms, and when every create matches the filter, every list after a create
 * would pay it.
 *
 * A window is a run of consecutive rows of the sorted, filtered result around the page, with
 * its exact position (`lo`) and the exact total. Each row written since moves it exactly when
 * where the row was and where it is now are both known: inside the window, among the rows
 * seen since the read (`outside`, with their last state), or not there at all (a row inserted
 * since: its seq is above every seq the read could see, `maxSeq`). A row whose name does not
 * match was never in the result (names never change). Anything else answers undefined, and
 * the page is read again. Sort keys are compared in JS only where that order is exactly
 * PostgreSQL's: numbers (NULLs last ascending, first descending, as PostgreSQL sorts them), the
 * status by its rank in the database's own order, and the tie-breaking id as a lowercase UUID.
 */

/** What placing a row takes: its sort keys, its name, whether it ended. */
export type Placed = Pick<
  ClusterRecord,
  'id' | 'seq' | 'name' | 'status' | 'createdAt' | 'runningAt' | 'masterCnt' | 'workerCnt' | 'terminatedAt'
>

export interface ListWindow {
  /** Position of rows[0] in the whole sorted result. */
  readonly lo: number
  readonly rows: readonly ClusterRecord[]
  readonly total: number
  /** No row of the project whose name matches has a higher seq at this window's snapshot. */
  readonly maxSeq: number
  /** Rows written since the read that are outside the window: their state, null if not in the result. */
  readonly outside: ReadonlyMap<string, Placed | null>
}

export interface WindowFilter {
  name?: string | undefined
  apiKeyStatus?: string | undefined
  includeTerminated: boolean
}

const ASCII = /^[\x20-\x7e]*$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Rows seen outside a window that it remembers; past this, the page is read again. */
const MAX_OUTSIDE = 1000

type Value = (r: Placed, statusRank: ReadonlyMap<string, number>) => number | null
const VALUES: Partial<Record<ClusterSortField, Value>> = {
  status: (r, rank) => rank.get(r.status) ?? Number.NaN,
  createdAt: (r) => r.createdAt,
  runningAt: (r) => r.runningAt,
  masterCnt: (r) => r.masterCnt,
  workerCnt: (r) => r.workerCnt,
}

/** Whether a page of this list can be kept as a window: its filter and sort are ones JS can follow exactly. */
export const windowable = (filter: WindowFilter, sort: readonly SortKey<ClusterSortField>[], size: number) =>
  size <= 100 &&
  filter.apiKeyStatus === undefined &&
  (filter.name === undefined || ASCII.test(filter.name)) &&
  sort.every((k) => VALUES[k.field] !== undefined)

/** The list's order (`created_at desc` when none is asked for, then `id`), as a comparator. */
export const comparator = (
  sort: readonly SortKey<ClusterSortField>[],
  statusRank: ReadonlyMap<string, number>,
) => {
  const keys = (sort.length > 0 ? sort : [{ field: 'createdAt', dir: 'desc' } as const]).map((k) => ({
    value: VALUES[k.field]!,
    sign: k.dir === 'asc' ? 1 : -1,
  }))
  return (a: Placed, b: Placed): number => {
    for (const k of keys) {
      const x = k.value(a, statusRank)
      const y = k.value(b, statusRank)
      if (x === y) continue
      // NULL sorts as the largest value: last ascending, first descending.
      const c = x === null ? 1 : y === null ? -1 : x < y ? -1 : 1
      return c * k.sign
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  }
}

/** Whether JS can place this row exactly: a known status and a lowercase UUID id. */
const placeable = (r: Placed, statusRank: ReadonlyMap<string, number>) =>
  statusRank.has(r.status) && UUID.test(r.id)

/**
 * Whether a row's name can ever put it in the result (names never change); undefined for a name
 * outside ASCII, which lower() may fold otherwise than JS.
 */
const nameMatches = (filter: WindowFilter, r: Placed): boolean | undefined =>
  filter.name === undefined || (ASCII.test(r.name) ? r.name.toLowerCase().includes(filter.name) : undefined)

/**
 * A fresh window from a read of the rows at positions lo, lo + 1, ... `recent` are rows of the
 * project read in the same snapshot (the last ones made): the window knows where they are, so
 * a write to one of them moves it instead of making it read again (the reconciler writes a
 * cluster again and again in its first seconds).
 */
export const openWindow = (
  lo: number,
  rows: readonly ClusterRecord[],
  total: number,
  maxSeq: number,
  statusRank: ReadonlyMap<string, number>,
  filter: WindowFilter,
  recent: readonly Placed[] = [],
): ListWindow | undefined => {
  if (rows.length === 0 || !rows.every((r) => placeable(r, statusRank))) return undefined
  const inWindow = new Set(rows.map((r) => r.id))
  const outside = new Map<string, Placed | null>()
  for (const r of recent.slice(0, MAX_OUTSIDE)) {
    if (inWindow.has(r.id) || nameMatches(filter, r) !== true || !placeable(r, statusRank)) continue
    outside.set(r.id, filter.includeTerminated || r.terminatedAt === null ? r : null)
  }
  return { lo, rows, total, maxSeq, outside }
}

/**
 * The window after `changed` (every row of the project written since the window's snapshot
 * whose name may match the filter, each once, as it is now), or undefined when one of them
 * cannot be placed exactly.
 */
export const advance = (
  w: ListWindow,
  changed: readonly ClusterRecord[],
  filter: WindowFilter,
  compare: (a: Placed, b: Placed) => number,
  statusRank: ReadonlyMap<string, number>,
): ListWindow | undefined => {
  let { lo, total, maxSeq } = w
  const rows = [...w.rows]
  const outside = new Map(w.outside)
  for (const r of changed) {
    // Against the window's own snapshot: a create and a later write to it may come in any order.
    const wasNew = r.seq > w.maxSeq
    maxSeq = Math.max(maxSeq, r.seq)
    const matches = nameMatches(filter, r)
    if (matches === false) continue
    if (matches === undefined || !placeable(r, statusRank)) return undefined
    // Where it was.
    const at = rows.findIndex((x) => x.id === r.id)
    if (at >= 0) {
      rows.splice(at, 1)
      total--
    } else if (outside.has(r.id)) {
      const old = outside.get(r.id)
      if (old) {
        if (rows.length === 0) return undefined
        total--
        if (compare(old, rows[0]!) < 0) lo--
      }
    } else if (!wasNew) return undefined
    // Where it is.
    const member = filter.includeTerminated || r.terminatedAt === null
    if (!member) {
      outside.set(r.id, null)
    } else {
      if (rows.length === 0) return undefined
      total++
      if (lo > 0 && compare(r, rows[0]!) < 0) {
        lo++
        outside.set(r.id, r)
      } else if (lo + rows.length < total - 1 && compare(r, rows[rows.length - 1]!) > 0) {
        // After the window, with rows of the result between: the window stays as it is.
        outside.set(r.id, r)
      } else {
        let i = rows.length
        while (i > 0 && compare(r, rows[i - 1]!) < 0) i--
        rows.splice(i, 0, r)
        outside.delete(r.id)
      }
    }
    if (outside.size > MAX_OUTSIDE) return undefined
  }
  return { lo, rows, total, maxSeq, outside }
}

/** The page at `offset` from the window, or undefined when the window does not hold all of it. */
export const pageOf = (w: ListWindow, offset: number, size: number): ClusterRecord[] | undefined => {
  if (offset >= w.total) return []
  const end = Math.min(offset + size, w.total)
  if (offset < w.lo || end > w.lo + w.rows.length) return undefined
  return w.rows.slice(offset - w.lo, end - w.lo)
}
