/**
 * Concurrent calls for one key share one run, without serving anything older than the call:
 * a call may take the answer of a run that started after it arrived (what that run reads is at
 * least as new as the call), while a run that started before it only makes it wait, after
 * which it looks again. Under a stream of callers, each run serves everyone who arrived while
 * the previous one was under way.
 */
export const singleFlight = <T>() => {
  const flights = new Map<string, { id: number; result: Promise<T> }>()
  let ids = 0
  return async (key: string, run: () => Promise<T>): Promise<T> => {
    const arrived = ids
    for (;;) {
      const flight = flights.get(key)
      if (!flight) break
      if (flight.id > arrived) return flight.result
      // Its answer may predate this call, and its failure is not this call's.
      await flight.result.catch(() => undefined)
    }
    const id = ++ids
    const result = run()
    flights.set(key, { id, result })
    try {
      return await result
    } finally {
      if (flights.get(key)?.id === id) flights.delete(key)
    }
  }
}
