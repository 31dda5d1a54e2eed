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

export interface ListWindow {
  /** Position of rows[0] in the whole sorted result. */
  readonly lo: number
  readonly rows: readonly ClusterRecord[]
  readonly total: number
  /** No row of the result at this window's snapshot has a higher seq. */
  readonly maxSeq: number
  /** maxSeq when the window was read: the next read can ask for the rows made since. */
  readonly readSeq: number
  /** Rows written since the read that are outside the window: their state, null if not in the result. */
  readonly outside: ReadonlyMap<string, ClusterRecord | null>
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

type Value = (r: ClusterRecord, statusRank: ReadonlyMap<string, number>) => number | null
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
  return (a: ClusterRecord, b: ClusterRecord): number => {
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
const placeable = (r: ClusterRecord, statusRank: ReadonlyMap<string, number>) =>
  statusRank.has(r.status) && UUID.test(r.id)

/** Whether a row's name can ever put it in the result (names never change). */
const nameMatches = (filter: WindowFilter, r: ClusterRecord) =>
  filter.name === undefined || (ASCII.test(r.name) && r.name.toLowerCase().includes(filter.name))

/**
 * A fresh window from a read of the rows at positions lo, lo + 1, ... `recent` are rows of the
 * project read in the same snapshot (those made since the previous read): the window knows
 * where they are, so a write to one of them moves it instead of making it read again (a
 * cluster is written again moments after its create, by the reconciler).
 */
export const openWindow = (
  lo: number,
  rows: readonly ClusterRecord[],
  total: number,
  maxSeq: number,
  statusRank: ReadonlyMap<string, number>,
  filter: WindowFilter,
  recent: readonly ClusterRecord[] = [],
): ListWindow | undefined => {
  if (rows.length === 0 || !rows.every((r) => placeable(r, statusRank))) return undefined
  const inWindow = new Set(rows.map((r) => r.id))
  const outside = new Map<string, ClusterRecord | null>()
  for (const r of recent.slice(0, MAX_OUTSIDE)) {
    if (inWindow.has(r.id) || !nameMatches(filter, r) || !placeable(r, statusRank)) continue
    outside.set(r.id, filter.includeTerminated || r.terminatedAt === null ? r : null)
  }
  return { lo, rows, total, maxSeq, readSeq: maxSeq, outside }
}

/**
 * The window after `changed` (every row of the project written since the window's snapshot,
 * each once, as it is now), or undefined when one of them cannot be placed exactly.
 */
export const advance = (
  w: ListWindow,
  changed: readonly ClusterRecord[],
  filter: WindowFilter,
  compare: (a: ClusterRecord, b: ClusterRecord) => number,
  statusRank: ReadonlyMap<string, number>,
): ListWindow | undefined => {
  let { lo, total, maxSeq } = w
  const rows = [...w.rows]
  const outside = new Map(w.outside)
  for (const r of changed) {
    const wasNew = r.seq > maxSeq
    maxSeq = Math.max(maxSeq, r.seq)
    if (!nameMatches(filter, r)) continue
    if (!placeable(r, statusRank)) return undefined
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
  return { lo, rows, total, maxSeq, readSeq: w.readSeq, outside }
}

/** The page at `offset` from the window, or undefined when the window does not hold all of it. */
export const pageOf = (w: ListWindow, offset: number, size: number): ClusterRecord[] | undefined => {
  if (offset >= w.total) return []
  const end = Math.min(offset + size, w.total)
  if (offset < w.lo || end > w.lo + w.rows.length) return undefined
  return w.rows.slice(offset - w.lo, end - w.lo)
}
