import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, expectError } from '../api/util.js'

let s: TestServer | undefined
afterEach(async () => {
  await s?.cleanup()
  s = undefined
})

const wrong = { 'credential-id': 'test-id', 'credential-secret': 'wrong-secret-0000' }

describe('per-credential rate limit (HADOOP_ECO_RATE_LIMIT)', () => {
  it('answers 429 with Retry-After past the limit, per credential, and lets the caller back in', async () => {
    let t = Date.UTC(2026, 0, 1, 9, 0, 30)
    s = await startTestServer({ rateLimit: 5 }, { rateClock: () => t })
    for (let i = 0; i < 5; i++) expect((await api(s).list()).statusCode).toBe(200)
    const limited = await api(s).list()
    const body = expectError(limited, 429, 'RATE_LIMITED')
    expect(body.message).toMatch(/more than 5 requests a minute/)
    const retryAfter = Number(limited.headers['retry-after'])
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 61).toBe(true)
    // a refused create changes nothing
    expectError(await api(s).create(validBody({ name: 'limited' })), 429, 'RATE_LIMITED')
    // another credential has its own budget
    expect((await api(s, s.otherHeaders).list()).statusCode).toBe(200)
    t += retryAfter * 1000
    const back = await api(s).list()
    expect(back.statusCode).toBe(200)
    expect(back.json().totalElements).toBe(0)
  })

  it('0 disables it', async () => {
    s = await startTestServer({ rateLimit: 0 })
    for (let i = 0; i < 300; i++) expect((await api(s).get('nope')).statusCode).toBe(404)
  })

  it('the default (600,000 a minute) is far above anything a suite or benchmark sends', async () => {
    // a server on the default limits, its rate clock stopped: every request lands in one minute
    const t = Date.UTC(2026, 0, 1, 9, 0, 30)
    s = await startTestServer({}, { rateClock: () => t })
    for (let i = 0; i < 1000; i++) expect((await api(s).get('nope')).statusCode).toBe(404)
    // the defaults are in force, not switched off: the default failure limit (300) still blocks
    const guess = () => s!.app.inject({ method: 'GET', url: BASE, headers: wrong, remoteAddress: '10.0.0.5' })
    for (let i = 0; i < 300; i++) expectError(await guess(), 401, 'UNAUTHORIZED')
    const blocked = expectError(await guess(), 429, 'TOO_MANY_AUTH_FAILURES')
    expect(blocked.message).toMatch(/more than 300 failed authentications/)
    const { loadConfig } = await import('../../src/config.js')
    expect(loadConfig({}).rateLimit).toBe(600_000)
    expect(loadConfig({}).authFailureLimit).toBe(300)
    expect(loadConfig({ HADOOP_ECO_RATE_LIMIT: '0', HADOOP_ECO_AUTH_FAILURE_LIMIT: '0' })).toMatchObject({
      rateLimit: 0,
      authFailureLimit: 0,
    })
    expect(() => loadConfig({ HADOOP_ECO_RATE_LIMIT: '-1' })).toThrow(/HADOOP_ECO_RATE_LIMIT/)
  })
})

describe('failed authentications per client address (HADOOP_ECO_AUTH_FAILURE_LIMIT)', () => {
  const from = (remoteAddress: string, headers: Record<string, string>, url = BASE) =>
    s!.app.inject({ method: 'GET', url, headers, remoteAddress })

  it('blocks an address after too many wrong secrets, even with the right one, until the window moves', async () => {
    let t = Date.UTC(2026, 0, 1, 9, 0, 0)
    s = await startTestServer({ authFailureLimit: 3 }, { rateClock: () => t })
    // missing headers are a client's mistake, not a guess: they do not count
    for (let i = 0; i < 10; i++) expectError(await from('10.0.0.1', {}), 401, 'UNAUTHORIZED')
    for (let i = 0; i < 3; i++) expectError(await from('10.0.0.1', wrong), 401, 'UNAUTHORIZED')
    const blocked = await from('10.0.0.1', s.headers)
    const body = expectError(blocked, 429, 'TOO_MANY_AUTH_FAILURES')
    expect(body.message).toMatch(/more than 3 failed authentications/)
    const retryAfter = Number(blocked.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    // another address is not affected
    expect((await from('10.0.0.2', s.headers)).statusCode).toBe(200)
    // X-Forwarded-For is not believed unless HADOOP_ECO_TRUST_PROXY says so
    expectError(
      await from('10.0.0.1', { ...s.headers, 'x-forwarded-for': '192.0.2.9' }),
      429,
      'TOO_MANY_AUTH_FAILURES',
    )
    t += retryAfter * 1000
    expect((await from('10.0.0.1', s.headers)).statusCode).toBe(200)
  })

  it('counts guesses sent in parallel before they are checked, not after', async () => {
    s = await startTestServer({ authFailureLimit: 3 })
    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        from('10.0.0.7', { 'credential-id': `guess-${i}`, 'credential-secret': 'guess-secret-1' }),
      ),
    )
    const statuses = guesses.map((r) => r.statusCode)
    expect(statuses.filter((x) => x === 401)).toHaveLength(3)
    expect(statuses.filter((x) => x === 429)).toHaveLength(17)
  })

  it('a right credential checked against the database is not counted as a failure', async () => {
    s = await startTestServer({ authFailureLimit: 2 })
    // distinct valid credentials, none cached yet: each one goes to the database
    for (let i = 0; i < 5; i++) {
      const c = await s.credentials.create('proj-a')
      expect(
        (await from('10.0.0.8', { 'credential-id': c.id, 'credential-secret': c.secret })).statusCode,
      ).toBe(200)
    }
    expect((await from('10.0.0.8', s.headers)).statusCode).toBe(200)
  })

  it('a credential created right after its id was probed works at once', async () => {
    s = await startTestServer()
    const h = { 'credential-id': 'late-id', 'credential-secret': 'late-secret-123' }
    expectError(await from('10.0.0.9', h), 401, 'UNAUTHORIZED')
    await s.credentials.create('proj-a', undefined, { id: 'late-id', secret: 'late-secret-123' })
    expect((await from('10.0.0.9', h)).statusCode).toBe(200)
  })

  it('counts wrong admin tokens too', async () => {
    s = await startTestServer({ authFailureLimit: 2 })
    for (let i = 0; i < 2; i++)
      expectError(
        await from('10.0.0.3', { authorization: 'Bearer wrong-token-123' }, '/_admin/faults'),
        401,
        'UNAUTHORIZED',
      )
    expectError(
      await from('10.0.0.3', { authorization: `Bearer ${ADMIN_TOKEN}` }, '/_admin/faults'),
      429,
      'TOO_MANY_AUTH_FAILURES',
    )
    expectError(await from('10.0.0.3', s.headers), 429, 'TOO_MANY_AUTH_FAILURES')
  })

  it('behind a trusted proxy, limits the address the proxy names', async () => {
    s = await startTestServer({ authFailureLimit: 1, trustProxy: true })
    expectError(await from('127.0.0.1', { ...wrong, 'x-forwarded-for': '198.51.100.1' }), 401, 'UNAUTHORIZED')
    expectError(
      await from('127.0.0.1', { ...s.headers, 'x-forwarded-for': '198.51.100.1' }),
      429,
      'TOO_MANY_AUTH_FAILURES',
    )
    expect((await from('127.0.0.1', { ...s.headers, 'x-forwarded-for': '198.51.100.2' })).statusCode).toBe(
      200,
    )
  })
})

describe('size and page bounds', () => {
  it('a body over 1 MiB is 413 and creates nothing', async () => {
    s = await startTestServer()
    const res = await s.app.inject({
      method: 'POST',
      url: BASE,
      headers: { ...s.headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...validBody({ name: 'too-big' }), pad: 'x'.repeat(1024 * 1024) }),
    })
    expectError(res, 413, 'PAYLOAD_TOO_LARGE')
    expect((await api(s).list()).json().totalElements).toBe(0)
  })

  it('a page holds at most 1000 items', async () => {
    s = await startTestServer()
    expect((await api(s).list('size=1000')).statusCode).toBe(200)
    for (const q of ['size=1001', 'size=1000000', 'size=0', 'size=-1', 'page=-1'])
      expectError(await api(s).list(q), 400, 'INVALID_PARAMETER')
  })
})

/** A raw client: bytes in, whatever the server answers (and whether it closed) out. */
const raw = (port: number, chunks: string[], { gapMs = 0, waitMs = 5000 } = {}) =>
  new Promise<{ text: string; closed: boolean; ms: number }>((resolve, reject) => {
    const t0 = Date.now()
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.on('data', (d) => (text += d.toString()))
    socket.on('error', reject)
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ text, closed: false, ms: Date.now() - t0 })
    }, waitMs)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve({ text, closed: true, ms: Date.now() - t0 })
    })
    socket.on('connect', async () => {
      for (const c of chunks) {
        socket.write(c)
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs))
      }
    })
  })

const envelopeOf = (text: string) => {
  const [head = '', body = ''] = text.split('\r\n\r\n')
  return { statusLine: head.split('\r\n')[0], head, body: JSON.parse(body) as Record<string, unknown> }
}

describe('connection deadlines and malformed HTTP (real sockets)', () => {
  const listen = async (over: Parameters<typeof startTestServer>[0] = {}) => {
    s = await startTestServer(over)
    await s.app.listen({ port: 0, host: '127.0.0.1' })
    return (s.app.server.address() as { port: number }).port
  }

  it('headers that never finish get 408 and a closed connection (slowloris)', async () => {
    const port = await listen({ headersTimeoutMs: 300, requestTimeoutMs: 300 })
    const r = await raw(port, [`GET ${BASE} HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\n`])
    expect(r.closed).toBe(true)
    expect(r.ms).toBeLessThan(3000)
    const e = envelopeOf(r.text)
    expect(e.statusLine).toBe('HTTP/1.1 408 Request Timeout')
    expect(e.head.toLowerCase()).toContain('x-request-id:')
    expect(e.body).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT', error: 'Request Timeout' })
  })

  it('a body that trickles in past the request deadline gets 408', async () => {
    const port = await listen({ headersTimeoutMs: 300, requestTimeoutMs: 600 })
    const head =
      `POST ${BASE} HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\n` +
      'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n'
    const r = await raw(port, [head, '{"na', 'me"', ':'], { gapMs: 200 })
    expect(r.closed).toBe(true)
    expect(r.text).toMatch(/^HTTP\/1.1 408/)
    expect((await api(s!).list()).json().totalElements).toBe(0)
  })

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const port = await listen({ keepAliveTimeoutMs: 300 })
    const r = await raw(port, [`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`])
    expect(r.text).toMatch(/^HTTP\/1.1 200/)
    expect(r.closed).toBe(true)
    expect(r.ms).toBeLessThan(3000)
  })

  it('headers over 16 KiB get 431 with the envelope', async () => {
    const port = await listen()
    const r = await raw(port, [`GET ${BASE} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`])
    const e = envelopeOf(r.text)
    expect(e.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(e.body).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' })
  })

  it('a request that is not HTTP gets 400 with the envelope', async () => {
    const port = await listen()
    for (const junk of ['HELLO\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', 'GET /\u0000 HTTP/1.1\r\n\r\n']) {
      const r = await raw(port, [junk])
      const e = envelopeOf(r.text)
      expect(e.statusLine).toBe('HTTP/1.1 400 Bad Request')
      expect(e.body).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST', errors: [] })
      expect(r.closed).toBe(true)
    }
  })
})
