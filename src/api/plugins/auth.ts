import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError } from '../../domain/errors.js'
import type { Caller } from '../../services/clusters.js'
import type { ConsoleSessionService, LiveSession } from '../../services/console-sessions.js'
import type { CredentialService } from '../../services/credentials.js'
import type { AbuseLimits } from './rate-limit.js'
import { sessionToken, setSessionCookie } from './session-cookie.js'

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
  }
}

export interface AuthDeps {
  credentials: Pick<CredentialService, 'authenticate' | 'authenticateCached'>
  /**
   * The web console's sessions: the `hadoop_eco_session` cookie authenticates like the headers.
   * Left out where a browser must not ride on the cookie (the object routes: an object can be
   * an HTML page that would run with the session).
   */
  sessions?: Pick<ConsoleSessionService, 'resume' | 'idleMs'>
  limits: AbuseLimits
}

/** Methods that change nothing (RFC 9110 section 9.2.1): the only ones a cookie needs no CSRF token for. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const csrfHeader = (req: FastifyRequest): string | undefined => {
  const raw = req.headers['x-csrf-token']
  return Array.isArray(raw) ? raw[0] : raw
}

/**
 * Credential-ID / Credential-Secret on every request of `app`'s routes, or else the web
 * console's session cookie, with the abuse limits: sets `req.caller`. Authentication runs before
 * the body is read (a stranger gets 401, never a body error such as 413 or 415), and
 * synchronously when the credential is cached: this hook runs on every API request.
 *
 * Header credentials win: a program that sends them is not a browser riding on an ambient
 * cookie, so it needs no CSRF token. A cookie request that may change something must carry the
 * session's `X-CSRF-Token`, checked here, before any body matters, so a forged request does
 * nothing (the cookie is SameSite=Strict as well).
 */
export const registerAuthentication = (app: FastifyInstance, { credentials, sessions, limits }: AuthDeps) => {
  app.decorateRequest('caller', undefined as unknown as Caller)
  app.addHook('onRequest', (req, reply, done) => {
    const blocked = limits.beforeAuth(req.ip)
    if (blocked) return done(blocked)
    const id = req.headers['credential-id'] as string | undefined
    const secret = req.headers['credential-secret'] as string | undefined
    const admit = (caller: Caller) => {
      const limited = limits.perCredential(caller.credentialId)
      if (limited) return done(limited)
      req.caller = caller
      done()
    }
    if (sessions && id === undefined && secret === undefined) {
      const token = sessionToken(req)
      if (token !== undefined) {
        // An unknown or ended session does not count as a failed guess: the token has 256
        // random bits, and a browser whose session ran out sends its cookie until told so.
        const mutation = !SAFE_METHODS.has(req.method)
        sessions.resume(token, { mutation, csrfToken: csrfHeader(req) }).then((session: LiveSession) => {
          // The browser's cookie keeps as long as the session it names.
          if (session.renewed) setSessionCookie(reply, req, token, sessions.idleMs)
          admit(session.caller)
        }, done)
        return
      }
    }
    let caller: Caller | undefined
    try {
      caller = credentials.authenticateCached(id, secret)
    } catch (e) {
      // Only a wrong id or secret counts towards the address's failure limit: guessing needs both.
      if (id && secret && e instanceof AppError && e.code === 'UNAUTHORIZED') limits.authFailed(req.ip)
      return done(e as Error)
    }
    if (caller) return admit(caller)
    // The database must be asked: count the attempt now, so parallel guesses meet the limit
    // while the first ones are still being checked, and take it back if it succeeds.
    const counted = !!(id && secret)
    if (counted) limits.authFailed(req.ip)
    credentials.authenticate(id, secret).then(
      (c) => {
        if (counted) limits.retractFailure(req.ip)
        admit(c)
      },
      (e: unknown) => {
        // A database failure is not the client's failed guess.
        if (counted && !(e instanceof AppError && e.code === 'UNAUTHORIZED')) limits.retractFailure(req.ip)
        done(e as Error)
      },
    )
  })
}
