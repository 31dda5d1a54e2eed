import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { AppError, type FieldError } from '../domain/errors.js'
import type { ConsoleSessionStore } from '../store/console-sessions.js'
import type { ConsoleSession, ConsoleSignIn } from '../wire/schemas.js'
import type { Caller } from './clusters.js'
import { hashSecret, type CredentialService } from './credentials.js'

/** The session cookie (DESIGN section 13): an HttpOnly, SameSite=Strict token, nothing else. */
export const SESSION_COOKIE = 'hadoop_eco_session'

/** A session that authenticated a request. */
export interface LiveSession {
  caller: Caller
  csrfToken: string
  expiresAt: number
  /** This request moved the session's end: the cookie's Max-Age should follow. */
  renewed: boolean
}

/**
 * The end of a session is written at most once per this interval: a console that polls every
 * second would otherwise write on every GET. Half the idle time when that is shorter (short
 * idle times in tests), so a session in use can never expire between two of its writes.
 */
const MAX_TOUCH_INTERVAL_MS = 60_000

/** `POST /_console/session`'s body, checked field by field like every other body. */
export const parseSignIn = (body: unknown): ConsoleSignIn => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new AppError('INVALID_TYPE', 'request body must be a JSON object', [
      { field: '', code: 'INVALID_TYPE', message: 'request body must be a JSON object' },
    ])
  const b = body as Record<string, unknown>
  const errors: FieldError[] = []
  for (const field of ['credentialId', 'credentialSecret'] as const) {
    const v = b[field]
    // The value is never echoed: it may be a secret.
    if (v === undefined || v === null || v === '')
      errors.push({ field, code: 'FIELD_REQUIRED', message: `${field} is required` })
    else if (typeof v !== 'string')
      errors.push({ field, code: 'INVALID_TYPE', message: `${field} must be a string` })
  }
  if (errors.length > 0) throw AppError.fromFields(errors)
  return { credentialId: b.credentialId as string, credentialSecret: b.credentialSecret as string }
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()
/**
 * Compared in constant time (digests of equal length), so timing tells nothing about how much
 * of a guessed token was right.
 */
const sameToken = (given: string | undefined, expected: string): boolean =>
  typeof given === 'string' && given !== '' && timingSafeEqual(digest(given), digest(expected))

/**
 * Web console sessions (DESIGN section 13), kept in the database only: no process caches one,
 * so a sign-out or a revoked credential ends a session on every replica at once. A session
 * ends after `idleMs` without a request.
 */
export const createConsoleSessionService = ({
  store,
  credentials,
  now,
  idleMs,
}: {
  store: ConsoleSessionStore
  credentials: Pick<CredentialService, 'authenticate'>
  now: () => number
  idleMs: number
}) => {
  const touchEvery = Math.min(MAX_TOUCH_INTERVAL_MS, Math.floor(idleMs / 2))
  const view = (
    credentialId: string,
    project: string,
    csrfToken: string,
    expiresAt: number,
  ): ConsoleSession => ({
    credentialId,
    projectId: project,
    csrfToken,
    expiresAt: new Date(expiresAt).toISOString(),
    idleTimeoutMs: idleMs,
  })
  const gone = () =>
    new AppError('UNAUTHORIZED', 'the console session expired or was signed out; sign in again')

  return {
    idleMs,

    /**
     * Checks the credential and opens a session. The cookie's token is 256 random bits, so its
     * SHA-256 is all the database needs to find it again.
     */
    async signIn(
      input: ConsoleSignIn,
      {
        admit = () => {},
        replacing,
      }: {
        /** Throws to refuse the caller (its rate limit) before any session exists. */
        admit?: (caller: Caller) => void
        /** The cookie the browser sent, if any: its session ends, one browser holds one. */
        replacing?: string
      } = {},
    ): Promise<{ token: string; session: ConsoleSession; caller: Caller }> {
      const caller = await credentials.authenticate(input.credentialId, input.credentialSecret)
      admit(caller)
      if (replacing) await store.delete(hashSecret(replacing))
      const t = now()
      // Sign-ins are rare next to requests: a good moment to forget the sessions that ended.
      await store.purgeExpired(t)
      const token = randomBytes(32).toString('base64url')
      const csrfToken = randomBytes(32).toString('base64url')
      await store.insert({
        tokenHash: hashSecret(token),
        credentialId: caller.credentialId,
        project: caller.project,
        csrfToken,
        createdAt: t,
        lastSeenAt: t,
        expiresAt: t + idleMs,
      })
      return { token, session: view(caller.credentialId, caller.project, csrfToken, t + idleMs), caller }
    },

    /**
     * The live session of a cookie's token, its end moved on (at most once per `touchEvery`):
     * 401 when there is none. A request that may change something (`mutation`) must carry the
     * session's CSRF token, else 403, and then moves nothing.
     */
    async resume(
      token: string | undefined,
      { mutation = false, csrfToken }: { mutation?: boolean; csrfToken?: string } = {},
    ): Promise<LiveSession> {
      if (!token) throw new AppError('UNAUTHORIZED', 'no console session; sign in')
      const tokenHash = hashSecret(token)
      const t = now()
      const s = await store.getLive(tokenHash, t)
      if (!s) throw gone()
      if (mutation && !sameToken(csrfToken, s.csrfToken))
        throw new AppError(
          'CSRF_TOKEN_INVALID',
          'a console request that changes something must carry the X-CSRF-Token its sign-in answered',
        )
      const caller = { credentialId: s.credentialId, project: s.project, owner: s.owner }
      if (t - s.lastSeenAt < touchEvery)
        return { caller, csrfToken: s.csrfToken, expiresAt: s.expiresAt, renewed: false }
      // False when another request (or replica) moved it further meanwhile, or it was just
      // signed out: either way this request was authenticated by a live session.
      const renewed = await store.touch(tokenHash, t, t + idleMs)
      return { caller, csrfToken: s.csrfToken, expiresAt: renewed ? t + idleMs : s.expiresAt, renewed }
    },

    /** What `GET /_console/session` answers for a live session. */
    view: (s: LiveSession): ConsoleSession =>
      view(s.caller.credentialId, s.caller.project, s.csrfToken, s.expiresAt),

    /** Ends the token's session now; no-op when it had ended already. */
    async signOut(token: string | undefined): Promise<void> {
      if (token) await store.delete(hashSecret(token))
    },
  }
}

export type ConsoleSessionService = ReturnType<typeof createConsoleSessionService>
