import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js'

const nest = (depth: number) => `${'{"a":['.repeat(depth / 2)}1${']}'.repeat(depth / 2)}`

describe('nestsDeeperThan', () => {
  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(nestsDeeperThan(nest(MAX_JSON_DEPTH))).toBe(false)
    expect(nestsDeeperThan(`[${nest(MAX_JSON_DEPTH)}]`)).toBe(true)
    expect(nestsDeeperThan('['.repeat(100_000))).toBe(true)
  })

  it('counts only brackets outside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(JSON.stringify({ a: '['.repeat(1000) }), 2)).toBe(false)
    expect(nestsDeeperThan(JSON.stringify({ a: `\\"${'{'.repeat(10)}` }), 2)).toBe(false)
    expect(nestsDeeperThan('{"a\\\\":[[1]]}', 2)).toBe(true)
  })

  it('treats sibling containers as the same level', () => {
    expect(nestsDeeperThan(JSON.stringify({ a: [[1]], b: [[2]], c: { d: [3] } }), 3)).toBe(false)
  })
})
