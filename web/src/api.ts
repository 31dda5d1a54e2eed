// The console's one way to the server: the SDK, in session mode. The browser keeps only the
// HttpOnly session cookie; the CSRF token lives in this module's client, in memory.
import { QueryCache, QueryClient, MutationCache } from '@tanstack/react-query'
import { ApiError, HadoopEcoClient, UnauthorizedError } from '../../src/sdk/index.js'

export const client = new HadoopEcoClient({
  endpoint: window.location.origin,
  auth: 'session',
  // A console click should fail fast and say so; the list polls again a second later anyway.
  maxRetries: 1,
  timeoutMs: 30_000,
})

/** Set by the session layer: what to do when the server says the session is gone. */
let onSessionLost: () => void = () => {}
export const whenSessionLost = (fn: () => void) => {
  onSessionLost = fn
}

// A 401 from the admin API is about the admin token, not the session.
const lost = (e: unknown) => {
  if (e instanceof UnauthorizedError && !e.path.startsWith('/_admin')) onSessionLost()
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: lost }),
  mutationCache: new MutationCache({ onError: lost }),
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; a 5xx or a lost connection might.
      retry: (count, e) => !(e instanceof ApiError && e.status < 500) && count < 2,
      refetchOnWindowFocus: true,
    },
  },
})

/** The text to show for a failed call: the server's message, else the SDK's. */
export const errorText = (e: unknown): string => {
  if (e instanceof ApiError) return e.body?.message ?? e.message
  if (e instanceof Error) return e.message
  return String(e)
}
