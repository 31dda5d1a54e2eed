import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { REASON_PHRASES, type ErrorCode } from '../../domain/errors.js'
import { envelope } from './errors.js'

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
/** The client's X-Request-Id when it is a sane token, else a fresh one. */
export const requestIdOf = (req: IncomingMessage): string => {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
}

const pathOf = (req: IncomingMessage) => (req.url ?? '').split('?')[0] ?? ''

/**
 * The error envelope as a whole HTTP/1.1 response that closes the connection, for the answers
 * Node gives before Fastify sees a request. `raw` is the same response as bytes, for a socket
 * Node's HTTP layer has let go of.
 */
export const edgeResponse = (
  status: number,
  code: ErrorCode,
  message: string,
  path: string,
  requestId: string,
) => {
  const body = JSON.stringify(envelope(status, code, message, path))
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Request-Id': requestId,
    Connection: 'close',
  }
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  return { status, headers, body, raw: `HTTP/1.1 ${status} ${REASON_PHRASES[status]}\r\n${head}\r\n${body}` }
}

/**
 * Fastify's `clientErrorHandler`: requests Node's parser refuses (bad request line, headers too
 * large, too slow) still get the envelope and a request id.
 */
export const answerClientError = (err: Error, socket: Duplex) => {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ECONNRESET' || socket.destroyed) return
  // The request whose body was being read when the client half-closed the connection.
  const incoming = (socket as { parser?: { incoming?: IncomingMessage | null } }).parser?.incoming
  const cutShort = code === 'HPE_INVALID_EOF_STATE' && incoming && !incoming.complete ? incoming : undefined
  const [status, errorCode, message]: [number, ErrorCode, string] =
    code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'request headers are larger than 16 KiB']
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request was not received in time']
        : cutShort?.headers['content-length'] !== undefined
          ? [
              400,
              'CONTENT_LENGTH_MISMATCH',
              `the body ended before its Content-Length (${cutShort.headers['content-length']} bytes)`,
            ]
          : cutShort
            ? [400, 'UPLOAD_INCOMPLETE', 'the connection ended before the request body was complete']
            : [400, 'MALFORMED_REQUEST', 'the request is not valid HTTP/1.1']
  // A response already under way cannot be replaced by another.
  const ongoing = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !ongoing?.headersSent)
    socket.write(
      edgeResponse(
        status,
        errorCode,
        message,
        cutShort ? pathOf(cutShort) : '',
        cutShort ? requestIdOf(cutShort) : randomUUID(),
      ).raw,
    )
  socket.destroy()
}

/**
 * CONNECT (a proxy tunnel) never reaches the router, and without a listener Node drops the
 * connection without a word: answer 405 with the envelope instead.
 */
export const answerConnect = (req: IncomingMessage, socket: Duplex) => {
  const r = edgeResponse(405, 'METHOD_NOT_ALLOWED', 'CONNECT is not supported', pathOf(req), requestIdOf(req))
  socket.on('error', () => undefined)
  socket.end(r.raw, () => socket.destroy())
}

/**
 * Likewise an Expect other than 100-continue: Node would answer a bare 417 itself. Written
 * through `res`, not the socket, because a pipelined request's answer must wait its turn.
 */
export const answerExpectation = (req: IncomingMessage, res: ServerResponse) => {
  const r = edgeResponse(
    417,
    'EXPECTATION_FAILED',
    'the only expectation supported is "Expect: 100-continue"',
    pathOf(req),
    requestIdOf(req),
  )
  res.writeHead(r.status, r.headers)
  res.end(r.body)
}
