import { describe, expect, it } from 'vitest'
import { batchedByKey, batchedGroups, batchedReads } from './batched-reads.js'

describe('batchedReads', () => {
  const loader = (fail?: string) => {
    const queries: string[][] = []
    const read = batchedReads(async (keys) => {
      queries.push(keys)
      if (fail && keys.includes(fail)) throw new Error(`cannot read ${fail}`)
      return new Map(keys.filter((k) => !k.startsWith('missing')).map((k) => [k, `row ${k}`]))
    }, 3)
    return { queries, read }
  }

  it('answers the reads of one turn with one query per batch, each key once', async () => {
    const { queries, read } = loader()
    const answers = await Promise.all(['a', 'b', 'a', 'missing-1', 'c', 'd'].map(read))
    expect(answers).toEqual(['row a', 'row b', 'row a', undefined, 'row c', 'row d'])
    // Five distinct keys, at most three a query.
    expect(queries).toEqual([
      ['a', 'b', 'missing-1'],
      ['c', 'd'],
    ])
  })

  it('starts a new query for a read asked after the batch left', async () => {
    const { queries, read } = loader()
    expect(await read('a')).toBe('row a')
    expect(await read('a')).toBe('row a')
    expect(queries).toEqual([['a'], ['a']])
  })

  it('fails every read of a failed query, and only those', async () => {
    const { read } = loader('b')
    const results = await Promise.allSettled(['a', 'b', 'c', 'd'].map(read))
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled'])
    expect(await read('a')).toBe('row a')
  })

  it("hands the load each key's first item, and every caller of a key that key's answer", async () => {
    const seen: { id: string; v: number }[][] = []
    const write = batchedByKey(
      (x: { id: string; v: number }) => x.id,
      async (items) => {
        seen.push(items)
        return new Map(items.filter((x) => x.v > 0).map((x) => [x.id, x.v * 10]))
      },
    )
    const answers = await Promise.all([
      write({ id: 'a', v: 1 }),
      write({ id: 'b', v: 0 }),
      write({ id: 'a', v: 2 }),
      write({ id: 'c', v: 3 }),
    ])
    expect(answers).toEqual([10, undefined, 10, 30])
    expect(seen).toEqual([
      [
        { id: 'a', v: 1 },
        { id: 'b', v: 0 },
        { id: 'c', v: 3 },
      ],
    ])
  })
})

describe('batchedGroups', () => {
  it('gives each key of one turn its own rows from one query, in the query order, and none to a key without rows', async () => {
    const queries: string[][] = []
    const rows = [
      { group: 'c1', n: 1 },
      { group: 'c2', n: 2 },
      { group: 'c1', n: 3 },
    ]
    const read = batchedGroups(
      async (keys: string[]) => {
        queries.push(keys)
        return rows.filter((r) => keys.includes(r.group))
      },
      (r) => r.group,
      (r) => r.n,
    )
    expect(await Promise.all(['c1', 'c2', 'c3'].map(read))).toEqual([[1, 3], [2], []])
    expect(queries).toEqual([['c1', 'c2', 'c3']])
  })
})
