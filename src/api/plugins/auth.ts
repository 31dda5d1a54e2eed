import type { FastifyInstance } from 'fastify'
import { AppError } from '../../domain/errors.js'
import type { Caller } from '../../services/clusters.js'
import type { CredentialService } from '../../services/credentials.js'
import type { AbuseLimits } from './rate-limit.js'

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
  }
}

export interface AuthDeps {
  credentials: Pick<CredentialService, 'authenticate' | 'authenticateCached'>
  limits: AbuseLimits
}

/**
 * Credential-ID / Credential-Secret on every request of `app`'s routes, with the abuse limits:
 * sets `req.caller`. Authentication runs before the body is read (a stranger gets 401, never a
 * body error such as 413 or 415), and synchronously when the credential is cached: this hook
 * runs on every API request.
 */
export const registerAuthentication = (app: FastifyInstance, { credentials, limits }: AuthDeps) => {
  app.decorateRequest('caller', undefined as unknown as Caller)
  app.addHook('onRequest', (req, _reply, done) => {
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
