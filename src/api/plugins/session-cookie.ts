import type { FastifyReply, FastifyRequest } from 'fastify'
// reply.setCookie: @fastify/cookie is registered by app.ts.
import type {} from '@fastify/cookie'
import { SESSION_COOKIE } from '../../services/console-sessions.js'

/**
 * The web console's session cookie (DESIGN section 13), read on every request that has no
 * credential headers, so read without a general cookie parser: the value is a base64url token,
 * never encoded. The server sets one, for path /: two mean someone planted another (from a
 * sibling domain, or over plain http) to make the browser work in their session, so neither
 * is taken.
 */
export const sessionToken = (req: FastifyRequest): string | undefined => {
  const header = req.headers.cookie
  if (!header) return undefined
  let found: string | undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue
    if (found !== undefined) return undefined
    found = part.slice(eq + 1).trim()
  }
  return found === '' ? undefined : found
}

/**
 * HttpOnly: page scripts never see it (an injected script cannot steal it). SameSite=Strict:
 * the browser sends it only with requests this site starts, the first defence against forged
 * requests (the CSRF token is the second). Secure when the request came over https, so a
 * plain-http deployment on a LAN still works.
 */
const attributes = (req: FastifyRequest, maxAge: number) => ({
  path: '/',
  httpOnly: true,
  sameSite: 'strict' as const,
  secure: req.protocol === 'https',
  maxAge,
})

/** Sets (or renews) the cookie so the browser keeps it exactly as long as the server does. */
export const setSessionCookie = (reply: FastifyReply, req: FastifyRequest, token: string, idleMs: number) =>
  reply.setCookie(SESSION_COOKIE, token, attributes(req, Math.ceil(idleMs / 1000)))

export const clearSessionCookie = (reply: FastifyReply, req: FastifyRequest) =>
  reply.setCookie(SESSION_COOKIE, '', attributes(req, 0))
