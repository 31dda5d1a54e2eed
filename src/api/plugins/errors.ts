import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, REASON_PHRASES, type ErrorCode, type FieldError } from '../../domain/errors.js'

/** The wire envelope: Spring Boot's error body plus a stable code and the field list (DESIGN section 2). */
export const envelope = (
  status: number,
  code: ErrorCode | string,
  message: string,
  path: string,
  errors: readonly FieldError[] = [],
) => ({
  timestamp: new Date().toISOString(),
  status,
  error: REASON_PHRASES[status] ?? 'Error',
  code,
  message,
  path,
  errors: errors.map((e) => ({ field: e.field, code: e.code, message: e.message })),
})

const pathOf = (req: FastifyRequest) => req.url.split('?')[0] ?? req.url

export const sendError = (reply: FastifyReply, req: FastifyRequest, err: AppError) => {
  if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter))
  reply.code(err.status).type('application/json')
  // A HEAD answer has no body (RFC 9110 section 9.3.2): Node drops it on a socket, and
  // app.inject() now sees the same.
  if (req.method === 'HEAD') return reply.send()
  return reply.send(envelope(err.status, err.code, err.message, pathOf(req), err.errors))
}

/**
 * A request no route serves: 405 with `Allow` when the path has other methods, else 404
 * (`allowed` from plugins/method-not-allowed.ts).
 */
export const sendUnrouted = (reply: FastifyReply, req: FastifyRequest, allowed: readonly string[]) => {
  const path = pathOf(req)
  if (allowed.length === 0)
    return sendError(reply, req, new AppError('NOT_FOUND', `no route for ${req.method} ${path}`))
  reply.header('allow', allowed.join(', '))
  return sendError(
    reply,
    req,
    new AppError(
      'METHOD_NOT_ALLOWED',
      `${req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
    ),
  )
}

/** Fastify's own errors, translated into catalogue codes. */
const fromFastify = (err: FastifyError): AppError | undefined => {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'request body is larger than 1 MiB')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('INVALID_JSON', 'request body is empty; send a JSON object')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('INVALID_JSON', 'request body is not valid JSON')
    default:
      break
  }
  if (err.validation) {
    const errors: FieldError[] = err.validation.map((v) => ({
      field:
        (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.') ||
        String(v.params?.missingProperty ?? ''),
      code: 'INVALID_PARAMETER',
      message: v.message ?? 'invalid',
    }))
    return new AppError('INVALID_PARAMETER', err.message, errors)
  }
  if (err instanceof SyntaxError || err.statusCode === 400)
    return new AppError('INVALID_JSON', 'request body is not valid JSON')
  if (err.statusCode === 413) return new AppError('PAYLOAD_TOO_LARGE', 'request body is larger than 1 MiB')
  if (err.statusCode === 415)
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json')
  return undefined
}

/** How long a client should wait before retrying while the database is unavailable. */
const UNAVAILABLE_RETRY_S = 2

export const registerErrorHandling = (
  app: FastifyInstance,
  {
    isUnavailable,
    allowedMethods,
  }: { isUnavailable: (error: unknown) => boolean; allowedMethods: (url: string) => string[] },
) => {
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const known = error instanceof AppError ? error : fromFastify(error)
    if (known) return sendError(reply, req, known)
    if (isUnavailable(error)) {
      // A transient state of the database, not of the request: say when to come back.
      req.log.warn(
        { reqId: req.id, err: { code: (error as { code?: unknown }).code, message: error.message } },
        'database unavailable',
      )
      const e = new AppError('DATABASE_UNAVAILABLE', 'the database is unavailable; retry later')
      e.retryAfter = UNAVAILABLE_RETRY_S
      return sendError(reply, req, e)
    }
    // Unknown errors are logged in full and never echoed: they may carry internals.
    req.log.error({ reqId: req.id, err: error }, 'unhandled error')
    return sendError(reply, req, new AppError('INTERNAL_ERROR', 'internal server error'))
  })
  // app.ts answers these in onRequest, before a body is read; this is the fallback.
  app.setNotFoundHandler((req, reply) => sendUnrouted(reply, req, allowedMethods(req.url)))
}
