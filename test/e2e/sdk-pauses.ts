import { vi } from 'vitest'

/** The frame of the SDK's one pause function (`sleep` in src/sdk/transport.ts) in a stack. */
const SDK_SLEEP = /\n\s+at sleep \([^\n]*[\\/]src[\\/]sdk[\\/]transport\.ts:\d+/

/**
 * Records the pauses the SDK takes: between the attempts of a call (backoff or Retry-After) and
 * between the polls of waitFor, in milliseconds, in order. The SDK has no clock to inject and
 * the e2e server runs in this process, so timers cannot be faked wholesale: this watches
 * setTimeout and keeps only the timers the SDK's pause function sets (not its per-attempt
 * deadline, nor any timer of the server's). With `skip`, those pauses end at once, so a test can
 * check a long schedule without waiting it out. Call `restore()` when done.
 */
export const recordSdkPauses = ({ skip = false }: { skip?: boolean } = {}) => {
  const pauses: number[] = []
  const real = globalThis.setTimeout
  const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
    fn: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    if (SDK_SLEEP.test(new Error().stack ?? '')) {
      pauses.push(ms ?? 0)
      if (skip) ms = 0
    }
    return real(fn, ms, ...args)
  }) as typeof setTimeout)
  return { pauses, restore: () => spy.mockRestore() }
}
