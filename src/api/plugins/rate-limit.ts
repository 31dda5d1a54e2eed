import { AppError } from '../../domain/errors.js'

/**
 * A sliding-window counter per key (a credential, a client address): the count of the current
 * minute plus the previous minute's, weighted by how much of it still overlaps the last 60 s.
 * Two Map lookups and a few multiplications per request; memory is the keys seen in two
 * windows, and a window's keys are dropped whole when it ages out.
 *
 * Counts are per process: with N replicas behind a balancer a caller can get up to N times the
 * limit. That is the trade for keeping the check off the database.
 */
export interface WindowCounter {
  /** Counts one event for `key`; returns 0 if it is within the limit, else seconds to wait. */
  hit(key: string): number
  /** Seconds to wait before `key` may act again (0: now), without counting anything. */
  check(key: string): number
  /** Counts one event for `key` without checking it. */
  add(key: string): void
  /** Takes back one event counted in the current window (a provisional count that was not due). */
  remove(key: string): void
}

/** Keys per window before the oldest are forgotten: a flood of fresh keys cannot exhaust memory. */
const MAX_KEYS = 100_000

export const createWindowCounter = ({
  limit,
  windowMs = 60_000,
  now = Date.now,
}: {
  limit: number
  windowMs?: number
  now?: () => number
}): WindowCounter => {
  let start = Math.floor(now() / windowMs) * windowMs
  let current = new Map<string, number>()
  let previous = new Map<string, number>()

  const roll = (t: number) => {
    if (t < start + windowMs) return
    const next = Math.floor(t / windowMs) * windowMs
    previous = next === start + windowMs ? current : new Map()
    current = new Map()
    start = next
  }

  const wait = (key: string, t: number): number => {
    const c = current.get(key) ?? 0
    const p = previous.get(key) ?? 0
    const into = (t - start) / windowMs
    if (p * (1 - into) + c < limit) return 0
    // When will p * (1 - x) + c drop below the limit? Within this window if c alone is under it,
    // else in the next window, once this window's count has aged enough.
    const ms =
      c < limit
        ? (1 - (limit - c) / p) * windowMs - (t - start)
        : start + windowMs - t + (1 - limit / c) * windowMs
    // +1 ms: the condition is strict, so the exact boundary is still one too many.
    return Math.max(1, Math.ceil((ms + 1) / 1000))
  }

  const add = (key: string) => {
    const c = current.get(key)
    if (c === undefined && current.size >= MAX_KEYS) current.delete(current.keys().next().value as string)
    current.set(key, (c ?? 0) + 1)
  }

  return {
    hit(key) {
      const t = now()
      roll(t)
      const w = wait(key, t)
      if (w === 0) add(key)
      return w
    },
    check(key) {
      const t = now()
      roll(t)
      if (current.size === 0 && previous.size === 0) return 0
      return wait(key, t)
    },
    add(key) {
      roll(now())
      add(key)
    },
    remove(key) {
      roll(now())
      const c = current.get(key)
      if (c === undefined) return
      if (c > 1) current.set(key, c - 1)
      else current.delete(key)
    },
  }
}

export interface AbuseLimits {
  /** Before authenticating: refuses an address that failed to authenticate too often. */
  beforeAuth(address: string): AppError | undefined
  /**
   * Counts a failed authentication (credentials given but wrong) against the address. A check
   * that must wait for the database counts as failed when it starts, so guesses sent in
   * parallel cannot all pass `beforeAuth` while the first ones are still being checked...
   */
  authFailed(address: string): void
  /** ... and takes that count back if it succeeds (or the database, not the guess, failed). */
  retractFailure(address: string): void
  /** After authenticating: counts the request against the credential's budget. */
  perCredential(credentialId: string): AppError | undefined
}

/** The two limits of HADOOP_ECO_RATE_LIMIT and HADOOP_ECO_AUTH_FAILURE_LIMIT (0 disables either). */
export const createAbuseLimits = ({
  rateLimit,
  authFailureLimit,
  now = Date.now,
}: {
  rateLimit: number
  authFailureLimit: number
  now?: () => number
}): AbuseLimits => {
  const requests = rateLimit > 0 ? createWindowCounter({ limit: rateLimit, now }) : undefined
  const failures = authFailureLimit > 0 ? createWindowCounter({ limit: authFailureLimit, now }) : undefined
  const refuse = (code: 'RATE_LIMITED' | 'TOO_MANY_AUTH_FAILURES', message: string, seconds: number) => {
    const e = new AppError(code, `${message}; retry in ${seconds} s`)
    e.retryAfter = seconds
    return e
  }
  return {
    beforeAuth(address) {
      const wait = failures?.check(address) ?? 0
      if (wait === 0) return undefined
      return refuse(
        'TOO_MANY_AUTH_FAILURES',
        `more than ${authFailureLimit} failed authentications a minute from this address`,
        wait,
      )
    },
    retractFailure(address) {
      failures?.remove(address)
    },
    authFailed(address) {
      failures?.add(address)
    },
    perCredential(credentialId) {
      const wait = requests?.hit(credentialId) ?? 0
      if (wait === 0) return undefined
      return refuse('RATE_LIMITED', `more than ${rateLimit} requests a minute with this credential`, wait)
    },
  }
}
