import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../domain/errors.js'
import { parseSignIn, type ConsoleSessionService } from '../../services/console-sessions.js'
import { ConsoleSessionSchema, ConsoleSignInSchema, ErrorBodySchema } from '../../wire/schemas.js'
import { CONSOLE_SESSION } from '../openapi.js'
import { csrfHeader } from '../plugins/auth.js'
import type { AbuseLimits } from '../plugins/rate-limit.js'
import { clearSessionCookie, sessionToken, setSessionCookie } from '../plugins/session-cookie.js'

export interface ConsoleSessionRouteDeps {
  sessions: ConsoleSessionService
  limits: AbuseLimits
}

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  429: ErrorBodySchema,
  503: ErrorBodySchema,
}

/**
 * DESIGN section 13: the web console signs in with a credential and from then on is
 * authenticated by an HttpOnly cookie (plugins/auth.ts reads it on every API route). The
 * secret is checked once, here, and never stored nor echoed.
 */
export const consoleSessionRoutes = async (scope: FastifyInstance, deps: ConsoleSessionRouteDeps) => {
  const { sessions, limits } = deps
  const app = scope.withTypeProvider<TypeBoxTypeProvider>()
  const path = '/_console/session'
  const tags = ['console']

  // An address that failed too often is refused before its body is read, as on the API routes.
  scope.addHook('onRequest', async (req) => {
    const blocked = limits.beforeAuth(req.ip)
    if (blocked) throw blocked
  })

  app.post(
    path,
    {
      schema: {
        tags,
        summary: 'Sign in to the web console: sets the session cookie',
        security: [],
        body: ConsoleSignInSchema,
        response: { 201: ConsoleSessionSchema, ...errors },
      },
    },
    async (req, reply) => {
      const input = parseSignIn(req.body)
      // Counted as failed until it succeeds, as the header authentication does, so guesses sent
      // in parallel meet the limit while the first ones are still being checked.
      limits.authFailed(req.ip)
      let signedIn: Awaited<ReturnType<ConsoleSessionService['signIn']>>
      let retracted = false
      try {
        signedIn = await sessions.signIn(input, {
          // The credential is right: no failed guess. Its rate limit is checked before a
          // session is stored, so a 429 leaves none behind.
          admit: (caller) => {
            limits.retractFailure(req.ip)
            retracted = true
            const limited = limits.perCredential(caller.credentialId)
            if (limited) throw limited
          },
          replacing: sessionToken(req),
        })
      } catch (e) {
        // A database failure is not the client's failed guess either.
        if (!retracted && !(e instanceof AppError && e.code === 'UNAUTHORIZED')) limits.retractFailure(req.ip)
        throw e
      }
      setSessionCookie(reply, req, signedIn.token, sessions.idleMs)
      return reply.code(201).send(signedIn.session)
    },
  )

  app.get(
    path,
    {
      schema: {
        tags,
        summary: "The cookie's console session (this moves its end, as any request does)",
        security: CONSOLE_SESSION,
        response: { 200: ConsoleSessionSchema, ...errors },
      },
    },
    async (req, reply) => {
      const token = sessionToken(req)
      const session = await sessions.resume(token)
      const limited = limits.perCredential(session.caller.credentialId)
      if (limited) throw limited
      if (session.renewed && token) setSessionCookie(reply, req, token, sessions.idleMs)
      return sessions.view(session)
    },
  )

  app.delete(
    path,
    {
      schema: {
        tags,
        summary: 'Sign out of the web console: ends the session at once, on every replica',
        security: CONSOLE_SESSION,
        headers: Type.Object({
          'x-csrf-token': Type.Optional(Type.String({ description: 'The csrfToken the sign-in answered' })),
        }),
        response: { 204: Type.Null({ description: 'Signed out (or the session had ended)' }), ...errors },
      },
    },
    async (req, reply) => {
      const token = sessionToken(req)
      // A live session is ended only by a request that carries its CSRF token, so a forged
      // sign-out does nothing; one that has ended already needs nothing more than the cookie
      // cleared.
      const live = await sessions
        .resume(token, { mutation: true, csrfToken: csrfHeader(req) })
        .catch((e: unknown) => {
          if (e instanceof AppError && e.code === 'UNAUTHORIZED') return undefined
          throw e
        })
      if (live) await sessions.signOut(token)
      clearSessionCookie(reply, req)
      return reply.code(204).send(null)
    },
  )
}
