import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react'
import { Navigate, useLocation } from 'react-router'
import { UnauthorizedError, type ConsoleSession } from '../../src/sdk/index.js'
import { client, errorText, queryClient, whenSessionLost } from './api.js'
import { Loading, ErrorAlert } from './components/feedback.js'

interface SessionState {
  /** undefined while the server is asked; null when signed out. */
  session: ConsoleSession | null | undefined
  /** Why the user is on the sign-in page, when it was not their choice (or their sign-out). */
  notice: string | undefined
  signIn: (credentialId: string, credentialSecret: string) => Promise<void>
  signOut: () => Promise<void>
}

const SessionContext = createContext<SessionState | undefined>(undefined)

export const useSession = (): SessionState => {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside <SessionProvider>')
  return s
}

/** The signed-in session of the page. The secret goes to the server once and is never kept. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<ConsoleSession | null | undefined>(undefined)
  const [notice, setNotice] = useState<string>()
  const [startError, setStartError] = useState<unknown>()
  const signedIn = useRef(false)

  const end = useCallback((why: string | undefined) => {
    signedIn.current = false
    setSession(null)
    setNotice(why)
    client.admin.setToken(undefined)
    queryClient.clear()
  }, [])

  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    // Several polls can fail together when the session ends: the first one says so.
    whenSessionLost((why) => {
      if (!signedIn.current) return
      end(
        why === 'replaced'
          ? 'This browser signed in again elsewhere, so this page’s session is no longer the current one. Sign in to continue.'
          : 'Your session has ended. Sign in again to continue.',
      )
    })
    let live = true
    setStartError(undefined)
    client.session.current().then(
      (s) => {
        if (!live) return
        signedIn.current = true
        setSession(s)
      },
      (e: unknown) => {
        if (!live) return
        if (e instanceof UnauthorizedError) setSession(null)
        else setStartError(e)
      },
    )
    return () => {
      live = false
    }
  }, [end, attempt])

  // The page polls, and every poll keeps the server's session alive: inactivity is the user's,
  // so the page itself signs out after the idle time with no key, click or touch.
  useEffect(() => {
    if (!session) return
    let last = Date.now()
    const touch = () => {
      last = Date.now()
    }
    const events = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const
    for (const e of events) window.addEventListener(e, touch, { passive: true })
    const timer = window.setInterval(
      () => {
        if (Date.now() - last < session.idleTimeoutMs) return
        signedIn.current = false
        client.session.signOut().then(
          () => end('You were signed out after a period of inactivity.'),
          () => end('You were signed out after a period of inactivity.'),
        )
      },
      Math.min(30_000, Math.max(1000, session.idleTimeoutMs / 10)),
    )
    return () => {
      for (const e of events) window.removeEventListener(e, touch)
      window.clearInterval(timer)
    }
  }, [session, end])

  const signIn = useCallback(async (credentialId: string, credentialSecret: string) => {
    const s = await client.session.signIn({ credentialId, credentialSecret })
    signedIn.current = true
    setNotice(undefined)
    setSession(s)
  }, [])

  // Signed out only when the server says so (or says the session was gone already): a failed
  // sign-out keeps the page as it is and says why, since a reload would still be signed in.
  const signOut = useCallback(async () => {
    try {
      await client.session.signOut()
    } catch (e) {
      if (!(e instanceof UnauthorizedError)) throw e
    }
    end('You have signed out.')
  }, [end])

  const value = useMemo(() => ({ session, notice, signIn, signOut }), [session, notice, signIn, signOut])
  if (startError)
    return (
      <main className="page narrow">
        <h1>Hadoop Eco</h1>
        <ErrorAlert title="The server could not be reached" onRetry={() => setAttempt((n) => n + 1)}>
          {errorText(startError)}
        </ErrorAlert>
      </main>
    )
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}

/** Pages behind sign-in: an unknown session waits, no session goes to the sign-in page. */
export function RequireSession({ children }: { children: ReactNode }) {
  const { session } = useSession()
  const location = useLocation()
  if (session === undefined) return <Loading what="your session" />
  if (session === null)
    return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />
  return children
}
