import { describe, expect, it } from 'vitest'
import { batchedReads } from './batched-reads.js'

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
})
