import { describe, expect, it } from 'vitest'
import { createWindowCounter } from './rate-limit.js'

const clock = (t0 = 1_000_000_020_000) => {
  let t = t0
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('sliding-window counter', () => {
  it('allows `limit` hits a minute per key, then says how long to wait', () => {
    const c = clock(60_000 * 1000) // at a window start
    const w = createWindowCounter({ limit: 3, now: c.now })
    expect([w.hit('a'), w.hit('a'), w.hit('a')]).toEqual([0, 0, 0])
    const wait = w.hit('a')
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThanOrEqual(61)
    // Another key has its own budget.
    expect(w.hit('b')).toBe(0)
  })

  it('a refused hit is not counted, and the wait it names is enough', () => {
    const c = clock(60_000 * 1000 + 30_000)
    const w = createWindowCounter({ limit: 10, now: c.now })
    for (let i = 0; i < 10; i++) expect(w.hit('k')).toBe(0)
    const wait = w.hit('k')
    expect(wait).toBeGreaterThan(0)
    for (let i = 0; i < 100; i++) expect(w.hit('k')).toBeGreaterThan(0)
    c.advance(wait * 1000)
    expect(w.hit('k')).toBe(0)
  })

  it('weights the previous window by its overlap with the last minute', () => {
    const c = clock(60_000 * 1000)
    const w = createWindowCounter({ limit: 10, now: c.now })
    for (let i = 0; i < 10; i++) w.hit('k')
    c.advance(60_000 + 15_000) // a quarter into the next window: 7.5 of the 10 still count
    expect([w.hit('k'), w.hit('k'), w.hit('k')]).toEqual([0, 0, 0]) // 7.5 + 3 > 10 from here
    expect(w.hit('k')).toBeGreaterThan(0)
  })

  it('forgets everything after two quiet windows', () => {
    const c = clock(60_000 * 1000)
    const w = createWindowCounter({ limit: 1, now: c.now })
    w.hit('k')
    expect(w.hit('k')).toBeGreaterThan(0)
    c.advance(120_000)
    expect(w.hit('k')).toBe(0)
  })

  it('check and add count failures without charging the check', () => {
    const c = clock()
    const w = createWindowCounter({ limit: 2, now: c.now })
    expect(w.check('ip')).toBe(0)
    w.add('ip')
    expect(w.check('ip')).toBe(0)
    w.add('ip')
    expect(w.check('ip')).toBeGreaterThan(0)
    expect(w.check('other')).toBe(0)
  })
})
