import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../domain/errors.js'
import { VM_STATUSES } from '../../domain/statuses.js'

/** At most this many names in the Warning header; the rest are counted. */
const MAX_NAMED = 10
const MAX_NAME_LENGTH = 64

/**
 * A parameter name as a quoted-string may hold it (RFC 9110 section 5.6.4), and a header value
 * Node accepts: `"` and `\` escaped, anything outside printable ASCII percent-encoded, long
 * names cut.
 */
const quotable = (name: string): string => {
  const cut = name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}...` : name
  return cut.replace(/["\\]|[^\x20-\x7e]/gu, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`
    try {
      return encodeURIComponent(c)
    } catch {
      return '?' // a lone surrogate
    }
  })
}

/**
 * preHandler of the list routes: a query parameter the route does not know is ignored, as
 * Spring does, but no longer silently (`?status=Running` on the cluster list filters nothing).
 * The answer carries an RFC 7234 Warning naming them, code 299 (a persistent warning):
 * `Warning: 299 hadoop-eco "unknown query parameter(s) ignored: status"`.
 */
export const warnUnknownQuery = (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
  const known = (req.routeOptions.schema?.querystring as { properties?: Record<string, unknown> } | undefined)
    ?.properties
  const unknown = Object.keys((req.query ?? {}) as Record<string, unknown>).filter(
    (name) => name !== '' && !(known && Object.hasOwn(known, name)),
  )
  if (unknown.length > 0) {
    const named = unknown.slice(0, MAX_NAMED).map(quotable).join(', ')
    const more = unknown.length > MAX_NAMED ? ` and ${unknown.length - MAX_NAMED} more` : ''
    reply.header('warning', `299 hadoop-eco "unknown query parameter(s) ignored: ${named}${more}"`)
  }
  done()
}

/**
 * preHandler of the VM list: `status` is a case-insensitive substring filter like the others, so
 * `run` finds Running VMs; a value that is part of no VM status (`Runing`) can only ever give an
 * empty page, and is refused instead, naming the statuses.
 */
export const checkVmStatusFilter = (req: FastifyRequest, _reply: FastifyReply, done: (e?: Error) => void) => {
  const raw = (req.query as { status?: unknown } | undefined)?.status
  if (raw === undefined || raw === '') return done()
  const value = String(raw).toLowerCase()
  if (VM_STATUSES.some((s) => s.toLowerCase().includes(value))) return done()
  const message = `status must be one of ${VM_STATUSES.join(', ')} (or a case-insensitive part of one); got ${JSON.stringify(String(raw).slice(0, MAX_NAME_LENGTH))}`
  done(new AppError('INVALID_PARAMETER', message, [{ field: 'status', code: 'INVALID_PARAMETER', message }]))
}
