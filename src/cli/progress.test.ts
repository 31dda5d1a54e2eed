import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import type { Cluster } from '../sdk/index.js'
import { makeColors } from './output.js'
import { createProgress } from './progress.js'

const sink = (isTTY: boolean) => {
  const chunks: string[] = []
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk))
        cb()
      },
    }),
    { isTTY },
  )
  return { stream, text: () => chunks.join('') }
}
const at = (status: string) => ({ id: 'id-1', name: 'etl', status }) as unknown as Cluster

describe('createProgress', () => {
  it('starts from the status the request answered, so a change before the first poll still shows', () => {
    const { stream, text } = sink(false)
    const p = createProgress(stream, makeColors({ isTTY: false }, {}), 'etl', () => 0, 'Terminating')
    p.update(at('Terminating'))
    p.update(at('Terminated(User)'))
    expect(text()).toMatch(/ etl Terminating -> Terminated\(User\) \(\+0\.0s\)\n$/)
    expect(text().split('\n').filter(Boolean)).toHaveLength(1)
  })

  it('on a terminal: a spinner line rewritten in place, one kept line per status change', () => {
    const { stream, text } = sink(true)
    let now = 0
    const p = createProgress(stream, makeColors({ isTTY: false }, {}), 'id-1', () => now)
    p.update(at('Creating'))
    now = 1500
    p.update(at('Installing'))
    p.update(at('Installing'))
    now = 4200
    p.done(true, 'etl is Running')
    const out = text()
    expect(out).toContain('\r\x1b[K') // the line is cleared and redrawn, not appended
    expect(out).toMatch(/⠋ etl {2}Installing {2}1\.5s/)
    expect(out).toContain('   1.5s  Creating → Installing\n')
    expect(out.match(/→ Installing/g)).toHaveLength(1) // a repeated status prints nothing
    expect(out.endsWith('\r\x1b[K✔ etl is Running (4.2s)\n')).toBe(true)
  })

  it('elsewhere: plain timestamped lines, no escape codes', () => {
    const { stream, text } = sink(false)
    let now = Date.UTC(2026, 0, 1)
    const p = createProgress(stream, makeColors(stream, {}), 'id-1', () => now)
    p.update(at('Terminating'))
    now += 800
    p.update(at('Terminated(Error)'))
    p.done(false, 'etl ended Terminated(Error)')
    expect(text()).toBe(
      [
        '2026-01-01T00:00:00.000Z etl Terminating (+0.0s)',
        '2026-01-01T00:00:00.800Z etl Terminating -> Terminated(Error) (+0.8s)',
        'etl ended Terminated(Error) (0.8s)',
        '',
      ].join('\n'),
    )
  })

  it('colours only a terminal without NO_COLOR', () => {
    expect(makeColors({ isTTY: true }, {}).status('Running')).toBe('\x1b[32mRunning\x1b[39m')
    expect(makeColors({ isTTY: true }, { NO_COLOR: '1' }).status('Running')).toBe('Running')
    expect(makeColors({ isTTY: false }, {}).red('x')).toBe('x')
  })
})
