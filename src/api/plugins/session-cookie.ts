import type { FastifyReply, FastifyRequest } from 'fastify'
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
 * plain-http deployment on a LAN still works. The value is base64url: nothing to encode.
 */
const serialize = (req: FastifyRequest, value: string, maxAgeSeconds: number): string =>
  [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    ...(maxAgeSeconds === 0 ? ['Expires=Thu, 01 Jan 1970 00:00:00 GMT'] : []),
    'HttpOnly',
    'SameSite=Strict',
    ...(req.protocol === 'https' ? ['Secure'] : []),
  ].join('; ')

/** Sets (or renews) the cookie so the browser keeps it exactly as long as the server does. */
export const setSessionCookie = (reply: FastifyReply, req: FastifyRequest, token: string, idleMs: number) =>
  reply.header('set-cookie', serialize(req, token, Math.ceil(idleMs / 1000)))

export const clearSessionCookie = (reply: FastifyReply, req: FastifyRequest) =>
  reply.header('set-cookie', serialize(req, '', 0))
