import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { ClusterRecord } from '../domain/cluster.js'
import type { ClusterSortField, SortKey } from '../domain/paging.js'
import { CLUSTER_STATUSES } from '../domain/statuses.js'
import {
  advance,
  comparator,
  openWindow,
  pageOf,
  windowable,
  type ListWindow,
  type WindowFilter,
} from './list-window.js'

/** A small seeded generator, so a failure can be replayed. */
const rng = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
  return seed / 2 ** 31
}

const rank = new Map([...CLUSTER_STATUSES].sort().map((s, i) => [s, i]))

/**
 * Against a model: the whole table in memory, the result recomputed by brute force after every
 * batch of writes. The window is advanced by the rows each batch wrote; whenever it answers, its
 * page and total must be the model's; when it declines, it is opened again from the model, as
 * the store reads the page again.
 */
describe('list window', () => {
  const sorts: SortKey<ClusterSortField>[][] = [
    [],
    [
      { field: 'status', dir: 'asc' },
      { field: 'createdAt', dir: 'desc' },
    ],
    [{ field: 'runningAt', dir: 'asc' }],
    [
      { field: 'runningAt', dir: 'desc' },
      { field: 'workerCnt', dir: 'asc' },
    ],
  ]
  const filters: WindowFilter[] = [
    { name: 't1', includeTerminated: true },
    { name: 't1', includeTerminated: false },
    { includeTerminated: true },
  ]

  for (const [si, sort] of sorts.entries())
    for (const [fi, filter] of filters.entries())
      it(`answers what a fresh read answers (sort ${si}, filter ${fi})`, () => {
        const random = rng(1 + si * 10 + fi)
        const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
        const table = new Map<string, ClusterRecord>()
        let seq = 0
        const make = (s: number): ClusterRecord =>
          ({
            seq: s,
            id: randomUUID(),
            project: 'p',
            name: `${pick(['a', 'b'])}-t${Math.floor(random() * 3)}-${s}`,
            status: pick(CLUSTER_STATUSES),
            createdAt: Math.floor(random() * 50),
            runningAt: random() < 0.3 ? null : Math.floor(random() * 20),
            terminatedAt: random() < 0.2 ? 5 : null,
            workerCnt: Math.floor(random() * 4),
            masterCnt: 1,
          }) as ClusterRecord
        for (let i = 0; i < 200; i++) {
          const r = make(++seq)
          table.set(r.id, r)
        }
        const compare = comparator(sort, rank)
        const result = () =>
          [...table.values()]
            .filter(
              (r) =>
                (filter.name === undefined || r.name.includes(filter.name)) &&
                (filter.includeTerminated || r.terminatedAt === null),
            )
            .sort(compare)
        const size = 7
        const margin = 5
        // A read, as the store makes it: with the matching rows among the last made.
        const open = (page: number): ListWindow => {
          const all = result()
          const from = Math.max(0, page * size - margin)
          const maxSeq = Math.max(...[...table.values()].map((r) => r.seq))
          const recent = [...table.values()].filter((r) => r.seq > maxSeq - 30)
          return (
            openWindow(
              from,
              all.slice(from, page * size + size + margin),
              all.length,
              maxSeq,
              rank,
              filter,
              recent,
            ) ?? {
              lo: from,
              rows: [],
              total: all.length,
              maxSeq,
              outside: new Map(),
            }
          )
        }
        let answered = 0
        let declined = 0
        const perPage = new Map<number, number>()
        for (const page of [0, 1, 3, 6]) {
          let w = open(page)
          // Sequence numbers handed out but not yet committed: a late commit has a low seq.
          const reserved: number[] = []
          for (let step = 0; step < 300; step++) {
            const changed = new Map<string, ClusterRecord>()
            for (let k = Math.floor(random() * 3) + 1; k > 0; k--) {
              const roll = random()
              if (roll < 0.35 || table.size === 0) {
                const late = reserved.length > 0 && random() < 0.2
                const r = make(late ? reserved.shift()! : ++seq)
                table.set(r.id, r)
                changed.set(r.id, r)
              } else if (roll < 0.4) {
                reserved.push(++seq)
              } else {
                // Mostly rows the window can know (its own, and those written since it opened),
                // sometimes any row: the window must decline what it cannot place.
                const known = [...w.rows.map((r) => r.id), ...w.outside.keys(), ...changed.keys()]
                const old =
                  known.length > 0 && random() < 0.85 ? table.get(pick(known))! : pick([...table.values()])
                const r: ClusterRecord = {
                  ...old,
                  status: random() < 0.7 ? pick(CLUSTER_STATUSES) : old.status,
                  runningAt: random() < 0.5 ? Math.floor(random() * 20) : old.runningAt,
                  workerCnt: random() < 0.3 ? Math.floor(random() * 4) : old.workerCnt,
                  terminatedAt: random() < 0.15 ? (old.terminatedAt === null ? 9 : null) : old.terminatedAt,
                }
                table.set(r.id, r)
                changed.set(r.id, r)
              }
            }
            const next =
              w.rows.length > 0 ? advance(w, [...changed.values()], filter, compare, rank) : undefined
            const rows = next && pageOf(next, page * size, size)
            const all = result()
            if (next && rows) {
              answered++
              expect(next.total).toBe(all.length)
              expect(rows.map((r) => r.id)).toEqual(
                all.slice(page * size, page * size + size).map((r) => r.id),
              )
              expect(rows).toEqual(all.slice(page * size, page * size + size))
              w = next
            } else {
              declined++
              w = open(page)
            }
            perPage.set(page, (perPage.get(page) ?? 0) + (next && rows ? 1 : 0))
          }
        }
        // The model must exercise both: a window that always declined would prove nothing.
        expect(answered).toBeGreaterThan(300)
        expect(declined).toBeGreaterThan(5)
        for (const n of perPage.values()) expect(n).toBeGreaterThan(30)
      })

  it('sorts as PostgreSQL does: NULL last ascending and first descending, ties by id', () => {
    const r = (id: string, runningAt: number | null) => ({ id, runningAt, createdAt: 1 }) as ClusterRecord
    const rows = [
      r('00000000-0000-4000-8000-000000000002', null),
      r('00000000-0000-4000-8000-000000000001', 5),
      r('00000000-0000-4000-8000-000000000003', 5),
    ]
    const ids = (sort: SortKey<ClusterSortField>[]) =>
      [...rows].sort(comparator(sort, rank)).map((x) => x.id.slice(-1))
    expect(ids([{ field: 'runningAt', dir: 'asc' }])).toEqual(['1', '3', '2'])
    expect(ids([{ field: 'runningAt', dir: 'desc' }])).toEqual(['2', '1', '3'])
    expect(ids([])).toEqual(['1', '2', '3'])
  })

  it('declines a row it cannot place: one the read could see, written since, outside the window', () => {
    const row = (seq: number, createdAt: number) =>
      ({
        seq,
        id: randomUUID(),
        name: `x-${seq}`,
        status: 'Running',
        createdAt,
        terminatedAt: null,
      }) as ClusterRecord
    const filter = { includeTerminated: true }
    const compare = comparator([], rank)
    // Newest first: seq 3 (createdAt 30) is before the window of seq 2 and seq 1.
    const newest = row(3, 30)
    const w = openWindow(1, [row(2, 20), row(1, 10)], 3, 3, rank, filter)!
    // The highest seq the read could see is not new: where it was is unknown.
    expect(advance(w, [{ ...newest, createdAt: 5 }], filter, compare, rank)).toBeUndefined()
    // One above it is: it adds to the total, before the window.
    const added = advance(w, [row(4, 40)], filter, compare, rank)!
    expect([added.lo, added.total, added.rows.length]).toEqual([2, 4, 2])
  })

  it('follows the filters and sorts it can, and only those', () => {
    expect(windowable({ includeTerminated: true }, [], 20)).toBe(true)
    expect(
      windowable({ name: 'abc', includeTerminated: false }, [{ field: 'status', dir: 'asc' }], 100),
    ).toBe(true)
    expect(windowable({ includeTerminated: true }, [], 101)).toBe(false)
    expect(windowable({ name: 'ä', includeTerminated: true }, [], 20)).toBe(false)
    expect(windowable({ apiKeyStatus: 'x', includeTerminated: true }, [], 20)).toBe(false)
    expect(windowable({ includeTerminated: true }, [{ field: 'name', dir: 'asc' }], 20)).toBe(false)
    expect(windowable({ includeTerminated: true }, [{ field: 'elapsedTime', dir: 'asc' }], 20)).toBe(false)
  })
})
