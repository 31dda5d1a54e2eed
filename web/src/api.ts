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

/** Why the session is gone, as the server showed it. */
export type SessionLoss = 'ended' | 'replaced'

/** Set by the session layer: what to do when the server says the session is gone. */
let onSessionLost: (why: SessionLoss) => void = () => {}
export const whenSessionLost = (fn: (why: SessionLoss) => void) => {
  onSessionLost = fn
}

/**
 * A 401 UNAUTHORIZED means the session ended (other 401s, such as a re-run's missing API key,
 * and the admin API's, which is about its token, do not). A 403 CSRF_TOKEN_INVALID means the
 * browser's cookie now names another session (a sign-in in another tab) than the one whose token
 * this page holds.
 */
const lost = (e: unknown) => {
  if (!(e instanceof ApiError) || e.path.startsWith('/_admin')) return
  if (e instanceof UnauthorizedError && e.code === 'UNAUTHORIZED') onSessionLost('ended')
  else if (e.status === 403 && e.code === 'CSRF_TOKEN_INVALID') onSessionLost('replaced')
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
