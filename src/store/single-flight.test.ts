import { describe, expect, it } from 'vitest'
import { singleFlight } from './single-flight.js'

/** A run whose answer the test gives when it wants. */
const gate = () => {
  const runs: { n: number; resolve: (v: string) => void; reject: (e: Error) => void }[] = []
  const run = () =>
    new Promise<string>((resolve, reject) => {
      runs.push({ n: runs.length + 1, resolve, reject })
    })
  return { runs, run }
}
const tick = () => new Promise((r) => setImmediate(r))

describe('singleFlight', () => {
  it('gives a call only answers of runs that started after it arrived', async () => {
    const flight = singleFlight<string>()
    const { runs, run } = gate()
    const first = flight('k', run)
    // Arrives while run 1 is under way: it must not take run 1's answer (it may predate it).
    const second = flight('k', run)
    const third = flight('k', run)
    expect(runs).toHaveLength(1)
    runs[0]!.resolve('one')
    await tick()
    // Run 2 started after both waiters arrived: they share it.
    expect(runs).toHaveLength(2)
    const fourth = flight('k', run) // arrived during run 2: waits for run 3
    runs[1]!.resolve('two')
    await tick()
    expect(runs).toHaveLength(3)
    runs[2]!.resolve('three')
    expect(await Promise.all([first, second, third, fourth])).toEqual(['one', 'two', 'two', 'three'])
  })

  it("keys do not wait for each other, and an earlier failure is not a later call's", async () => {
    const flight = singleFlight<string>()
    const { runs, run } = gate()
    const a = flight('a', run)
    const b = flight('b', run)
    expect(runs).toHaveLength(2)
    const a2 = flight('a', run)
    runs[0]!.reject(new Error('lost connection'))
    await expect(a).rejects.toThrow('lost connection')
    await tick()
    expect(runs).toHaveLength(3)
    runs[2]!.resolve('a again')
    runs[1]!.resolve('b')
    expect(await Promise.all([a2, b])).toEqual(['a again', 'b'])
    // Nothing left in flight: the next call runs at once.
    const a3 = flight('a', run)
    expect(runs).toHaveLength(4)
    runs[3]!.resolve('fresh')
    expect(await a3).toBe('fresh')
  })
})
