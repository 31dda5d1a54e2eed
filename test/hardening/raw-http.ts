/**
 * One HTTP/1.1 exchange over a plain TCP socket: the request bytes go out exactly as given (no
 * client library to validate or normalize them), and the response is parsed by hand.
 */
import { connect } from 'node:net'

export interface RawResponse {
  status: number
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>
  body: Buffer
  /** Everything the server sent, for failure messages. */
  raw: Buffer
}

export class HangError extends Error {}

/**
 * Sends `request` and reads until the server closes the connection (the request asks it to),
 * failing with HangError if that takes longer than `timeoutMs`.
 */
export const rawExchange = (port: number, request: Buffer, timeoutMs: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ port, host: '127.0.0.1' })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(
        new HangError(
          `no complete answer within ${timeoutMs} ms; got ${JSON.stringify(String(Buffer.concat(chunks)).slice(0, 300))}`,
        ),
      )
    }, timeoutMs)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (c: Buffer) => chunks.push(c))
    // The server may reset the connection after answering a request it refused: what was
    // read until then is the answer.
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })

const decodeChunked = (b: Buffer): Buffer => {
  const out: Buffer[] = []
  let i = 0
  for (;;) {
    const eol = b.indexOf('\r\n', i)
    if (eol < 0) throw new Error('chunked body: missing chunk size line')
    const size = parseInt(b.subarray(i, eol).toString('latin1').split(';')[0]!, 16)
    if (!Number.isFinite(size)) throw new Error('chunked body: bad chunk size')
    if (size === 0) return Buffer.concat(out)
    out.push(b.subarray(eol + 2, eol + 2 + size))
    i = eol + 2 + size + 2
  }
}

/** Parses the first response in `raw` (a HEAD answer or a 204 has no body). */
export const parseResponse = (all: Buffer, method: string): RawResponse => {
  // Interim answers (100 Continue) come before the real one.
  let raw = all
  while (/^HTTP\/1\.[01] 1\d\d/.test(raw.subarray(0, 16).toString('latin1')) && raw.indexOf('\r\n\r\n') >= 0)
    raw = raw.subarray(raw.indexOf('\r\n\r\n') + 4)
  const end = raw.indexOf('\r\n\r\n')
  if (end < 0)
    throw new Error(`not an HTTP response: ${JSON.stringify(raw.toString('latin1').slice(0, 300))}`)
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n')
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '')
  if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`)
  const status = Number(m[1])
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) throw new Error(`bad header line ${JSON.stringify(line)}`)
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  const rest = raw.subarray(end + 4)
  let body: Buffer
  if (method === 'HEAD' || status === 204 || status === 304) body = Buffer.alloc(0)
  else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = decodeChunked(rest)
  else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length'])
    if (rest.length < n) throw new Error(`body cut short: ${rest.length} of ${n} bytes`)
    body = rest.subarray(0, n)
  } else body = rest
  return { status, headers, body, raw: all }
}
