/**
 * How the reconciler calls a provider: every call bounded in time and abandoned when its pass
 * ends (lease lost, shutdown), and a failure named after the call that failed.
 */

/** A provider call that failed or took too long: the reconciler backs off and counts attempts. */
export class ProviderCallError extends Error {
  constructor(
    /** Which call, e.g. `createVm HadoopWRK-etl-3`. */
    readonly call: string,
    override readonly cause: unknown,
  ) {
    super(`${call}: ${cause instanceof Error ? cause.message : String(cause)}`)
    this.name = 'ProviderCallError'
  }
}

export class ProviderTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'ProviderTimeoutError'
  }
}

/** Settles with `p`, or rejects as soon as `signal` fires: a call that ignores its signal cannot hold a pass. */
export const untilAborted = <T>(p: Promise<T>, signal: AbortSignal): Promise<T> => {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e as Error)
      },
    )
  })
}

/**
 * Runs `fn` with a signal that fires when `parent` does or after `timeoutMs`: what
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])` means, written out so that the listener
 * on the long-lived parent and the timer are removed as soon as the call settles.
 */
export const withDeadline = async <T>(
  parent: AbortSignal,
  timeoutMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> => {
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(new ProviderTimeoutError(timeoutMs)), timeoutMs)
  const onParent = () => ctl.abort(parent.reason)
  if (parent.aborted) onParent()
  else parent.addEventListener('abort', onParent, { once: true })
  try {
    return await untilAborted(
      Promise.resolve().then(() => fn(ctl.signal)),
      ctl.signal,
    )
  } finally {
    clearTimeout(timer)
    parent.removeEventListener('abort', onParent)
  }
}

/** Maps with at most `limit` calls in flight: a 1,000-worker cluster never fires 1,000 calls at once. */
export const mapLimit = async <T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> => {
  const out: R[] = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
