import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, createCluster, expectError } from './util.js'

const MiB = 1024 * 1024

/** A create body padded with an ignored field to exactly `bytes` bytes of JSON. */
const bodyOfSize = (bytes: number, name: string): string => {
  const base = JSON.stringify(validBody({ name, pad: '' }))
  const pad = 'x'.repeat(bytes - Buffer.byteLength(base))
  const text = JSON.stringify(validBody({ name, pad }))
  expect(Buffer.byteLength(text)).toBe(bytes)
  return text
}

describe('HTTP behaviour', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  const post = (payload: string, contentType: string | undefined, headers = s.headers) =>
    s.app.inject({
      method: 'POST',
      url: BASE,
      headers: { ...headers, ...(contentType ? { 'content-type': contentType } : {}) },
      payload,
    })

  describe('request bodies', () => {
    it('accepts a body of exactly 1 MiB and answers 413 PAYLOAD_TOO_LARGE above it', async () => {
      const ok = await post(bodyOfSize(MiB, 'exactly-one-mib'), 'application/json')
      expect(ok.statusCode, ok.body).toBe(200)
      const big = await post(bodyOfSize(MiB + 1, 'over-one-mib'), 'application/json')
      const body = expectError(big, 413, 'PAYLOAD_TOO_LARGE')
      expect(body.error).toBe('Payload Too Large')
      expect((await api(s).list('name=over-one-mib')).json().totalElements).toBe(0)
    })

    it.each([
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ])('answers 415 UNSUPPORTED_MEDIA_TYPE for Content-Type %s', async (type) => {
      const res = await post(JSON.stringify(validBody({ name: 'wrong-type' })), type)
      const body = expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE')
      expect(body.error).toBe('Unsupported Media Type')
      expect((await api(s).list('name=wrong-type')).json().totalElements).toBe(0)
    })

    it('accepts application/json with a charset', async () => {
      const res = await post(
        JSON.stringify(validBody({ name: 'with-charset' })),
        'application/json; charset=utf-8',
      )
      expect(res.statusCode, res.body).toBe(200)
    })

    it.each(['{bad', '{"name": "x",}', "{'name': 'x'}", '[1, 2'])(
      'answers 400 INVALID_JSON for a malformed body %j',
      async (payload) => {
        expectError(await post(payload, 'application/json'), 400, 'INVALID_JSON')
      },
    )

    it('answers 400 INVALID_JSON for an empty create body', async () => {
      expectError(await post('', 'application/json'), 400, 'INVALID_JSON')
    })

    it('refuses a prototype-poisoning body instead of acting on it', async () => {
      const res = await post(
        JSON.stringify(validBody({ name: 'proto-poison' })).replace(/}$/, ',"__proto__":{"x":1}}'),
        'application/json',
      )
      expectError(res, 400, 'INVALID_JSON')
    })

    it('answers 400 INVALID_JSON to a body nested deeper than 128 levels, Idempotency-Key or not', async () => {
      const nested = (name: string, depth: number) =>
        JSON.stringify(validBody({ name })).replace(/}$/, `,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`)
      // The key made the server hash the parsed body with JSON.stringify, which overflowed the stack: a 500.
      for (const key of [undefined, 'deep-1']) {
        const res = await post(nested('too-deep', 10_000), 'application/json', {
          ...s.headers,
          ...(key ? { 'idempotency-key': key } : {}),
        })
        expect(expectError(res, 400, 'INVALID_JSON').message).toMatch(/nests deeper than 128 levels/)
      }
      const scale = await s.app.inject({
        method: 'POST',
        url: `${BASE}/any/scale-out`,
        headers: { ...s.headers, 'content-type': 'application/json', 'idempotency-key': 'deep-2' },
        payload: `{"scaleCnt":1,"x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
      })
      expectError(scale, 400, 'INVALID_JSON')
      expect((await api(s).list('name=too-deep')).json().totalElements).toBe(0)
      // Nesting within the limit is an ignored unknown field, as before.
      const ok = await post(nested('deep-enough', 120), 'application/json', {
        ...s.headers,
        'idempotency-key': 'deep-3',
      })
      expect(ok.statusCode, ok.body).toBe(200)
    })

    it('deletes with a Content-Type: application/json header and no body (as generic clients send)', async () => {
      const id = await createCluster(s, { name: 'delete-with-ct' })
      const res = await s.app.inject({
        method: 'DELETE',
        url: `${BASE}/${id}`,
        headers: { ...s.headers, 'content-type': 'application/json' },
      })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toEqual({ id, name: 'delete-with-ct', status: 'Terminating' })
    })

    it('answers 401, not a body error, to a caller without credentials', async () => {
      expectError(await post('{bad', 'application/json', {}), 401, 'UNAUTHORIZED')
      expectError(await post('x'.repeat(MiB + 10), 'application/json', {}), 401, 'UNAUTHORIZED')
      expectError(await post('{}', 'text/plain', {}), 401, 'UNAUTHORIZED')
    })
  })

  describe('X-Request-Id', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

    it('is on every response, success or error, API or operations', async () => {
      const responses = [
        await api(s).create(validBody({ name: 'req-id' })),
        await api(s).list(),
        await api(s).get('nope'),
        await api(s, {}).list(),
        await post('{bad', 'application/json'),
        await post('x', 'text/plain'),
        await s.app.inject({ url: '/no/such/route' }),
        await s.app.inject({ url: '/healthz' }),
        await s.app.inject({ url: '/readyz' }),
        await s.app.inject({ url: '/metrics' }),
        await s.app.inject({ url: '/openapi.json' }),
        await s.app.inject({ url: '/_admin/faults' }),
      ]
      const ids = responses.map((r) => r.headers['x-request-id'])
      for (const id of ids) expect(id).toMatch(uuid)
      expect(new Set(ids).size).toBe(ids.length)
    })

    it('echoes a valid incoming X-Request-Id and replaces an invalid one', async () => {
      const given = 'client-req:42.abc_DEF-1'
      const res = await s.app.inject({ url: `${BASE}`, headers: { ...s.headers, 'x-request-id': given } })
      expect(res.headers['x-request-id']).toBe(given)
      const err = await s.app.inject({
        url: `${BASE}/missing`,
        headers: { ...s.headers, 'x-request-id': given },
      })
      expect(err.headers['x-request-id']).toBe(given)
      for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', 'new\u00e9'])
        expect(
          (await s.app.inject({ url: '/healthz', headers: { 'x-request-id': bad } })).headers['x-request-id'],
        ).toMatch(uuid)
    })
  })

  describe('unknown routes', () => {
    it('answers 404 NOT_FOUND with the envelope', async () => {
      const body = expectError(await s.app.inject({ url: '/v2/hadoop-eco/nothing' }), 404, 'NOT_FOUND')
      expect(body.path).toBe('/v2/hadoop-eco/nothing')
    })

    it('answers a cluster id too long to exist with 404 and the envelope', async () => {
      const res = await s.app.inject({
        url: `${BASE}/${'a'.repeat(500)}`,
        headers: { ...s.headers, 'x-request-id': 'long-1' },
      })
      expectError(res, 404, 'NOT_FOUND')
      expect(res.headers['x-request-id']).toBe('long-1')
    })

    /** One raw exchange with a real listener: Node answers these before Fastify's router sees them. */
    let port: number | undefined
    const rawHttp = async (request: string) => {
      const { connect } = await import('node:net')
      port ??= Number(new URL(await s.app.listen({ port: 0, host: '127.0.0.1' })).port)
      const raw = await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = []
        const socket = connect({ port: port!, host: '127.0.0.1' }, () => socket.write(request))
        socket.on('data', (c: Buffer) => chunks.push(c))
        socket.on('error', reject)
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
      })
      const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
      expect(Object.keys(body).sort()).toEqual([
        'code',
        'error',
        'errors',
        'message',
        'path',
        'status',
        'timestamp',
      ])
      return { raw, body }
    }

    it('answers CONNECT with 405 and the envelope instead of dropping the connection', async () => {
      const { raw, body } = await rawHttp('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
      expect(raw).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/)
      expect(raw).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/i)
      expect(body).toMatchObject({ status: 405, error: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' })
    })

    it('answers an Expect other than 100-continue with 417 and the envelope (Node sent a bare 417)', async () => {
      const payload = JSON.stringify(validBody({ name: 'expects-much' }))
      const { raw, body } = await rawHttp(
        `POST ${BASE} HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\n` +
          `X-Request-Id: expect-1\r\nExpect: the-unexpected\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
      )
      expect(raw).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/)
      expect(raw).toMatch(/\r\nx-request-id: expect-1\r\n/i)
      expect(body).toMatchObject({
        status: 417,
        error: 'Expectation Failed',
        code: 'EXPECTATION_FAILED',
        path: BASE,
      })
      expect((await api(s).list('name=expects-much')).json().totalElements).toBe(0)
    })

    it('answers an HTTP/1.1 request without Host with 400 and the envelope (Node sent a bare 400)', async () => {
      const { raw, body } = await rawHttp(
        `GET ${BASE} HTTP/1.1\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\nConnection: close\r\n\r\n`,
      )
      expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      expect(raw).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i)
      expect(body).toMatchObject({ status: 400, code: 'MALFORMED_REQUEST', path: BASE })
      // HTTP/1.0 has no Host requirement.
      const old = await rawHttp(`GET /v2/hadoop-eco/nothing HTTP/1.0\r\n\r\n`)
      expect(old.body).toMatchObject({ status: 404, code: 'NOT_FOUND' })
    })

    it('answers a malformed URL with 400 INVALID_PARAMETER and the envelope', async () => {
      const res = await s.app.inject({ url: `${BASE}/%E0%A4%A`, headers: s.headers })
      expectError(res, 400, 'INVALID_PARAMETER')
    })
  })

  describe('operations endpoints', () => {
    it('/openapi.json lists every seed path and operation', async () => {
      const res = await s.app.inject({ url: '/openapi.json' })
      expect(res.statusCode).toBe(200)
      const doc = res.json()
      expect(doc.openapi).toMatch(/^3\./)
      const ops = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
        ([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
      )
      expect(ops).toEqual(
        expect.arrayContaining([
          'POST /v2/hadoop-eco/clusters',
          'GET /v2/hadoop-eco/clusters',
          'GET /v2/hadoop-eco/clusters/{clusterId}',
          'GET /v2/hadoop-eco/clusters/{clusterId}/vms',
          'DELETE /v2/hadoop-eco/clusters/{clusterId}',
          'POST /v2/hadoop-eco/clusters/{clusterId}/scale-out',
          'POST /v2/hadoop-eco/clusters/{clusterId}/scale-in',
          'DELETE /v2/hadoop-eco/clusters/{clusterId}/scale-in',
          'GET /v2/hadoop-eco/clusters/{clusterId}/events',
        ]),
      )
    })

    it('/openapi.json documents what each query parameter holds, with its bounds and default', async () => {
      const doc = (await s.app.inject({ url: '/openapi.json' })).json()
      const params = doc.paths['/v2/hadoop-eco/clusters'].get.parameters as {
        name: string
        schema: unknown
      }[]
      const schema = (name: string) => params.find((p) => p.name === name)?.schema
      expect(schema('page')).toEqual({ type: 'integer', minimum: 0, default: 0 })
      expect(schema('size')).toEqual({ type: 'integer', minimum: 1, maximum: 1000, default: 20 })
      expect(schema('includeTerminated')).toEqual({ type: 'boolean', default: true })
      expect(schema('sort')).toEqual({ type: 'array', items: { type: 'string' } })
    })

    it('/docs serves the API browser', async () => {
      const res = await s.app.inject({ url: '/docs' })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/text\/html/)
      expect(res.body).toMatch(/swagger/i)
    })

    it('/healthz answers 200 while the process is up', async () => {
      const res = await s.app.inject({ url: '/healthz' })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ status: 'ok' })
    })

    it('/readyz answers 503 while the reconciler is not running, 200 once it runs', async () => {
      const down = await s.app.inject({ url: '/readyz' })
      expect(down.statusCode).toBe(503)
      expect(down.json()).toEqual({ status: 'not ready', checks: { database: 'ok', reconciler: 'stopped' } })
      s.reconciler.start()
      try {
        const up = await s.app.inject({ url: '/readyz' })
        expect(up.statusCode).toBe(200)
        expect(up.json()).toEqual({ status: 'ready', checks: { database: 'ok', reconciler: 'ok' } })
      } finally {
        await s.reconciler.stop()
      }
    })

    it('/metrics: requests per route, clusters per project and status, the engine, standard process names', async () => {
      await createCluster(s, { name: 'metrics-one' })
      await api(s).get('not-there')
      const res = await s.app.inject({ url: '/metrics' })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/plain/)
      const text = res.body
      expect(text).toContain('# TYPE hadoop_eco_http_requests_total counter')
      expect(text).toMatch(
        /^hadoop_eco_http_requests_total\{method="POST",route="\/v2\/hadoop-eco\/clusters",status_code="200"\} [1-9]\d*$/m,
      )
      expect(text).toMatch(
        /^hadoop_eco_http_requests_total\{method="GET",route="\/v2\/hadoop-eco\/clusters\/:clusterId",status_code="404"\} [1-9]\d*$/m,
      )
      const statuses = [
        ...text.matchAll(/^hadoop_eco_clusters\{project="proj-a",status="([^"]+)"\} (\d+)$/gm),
      ]
      const byStatus = Object.fromEntries(statuses.map((m) => [m[1], Number(m[2])]))
      const listed = (await api(s).list('size=1000')).json().content as { status: string }[]
      const expected: Record<string, number> = {}
      for (const c of listed) expected[c.status] = (expected[c.status] ?? 0) + 1
      expect(byStatus).toEqual(expected)
      expect(byStatus.Initializing).toBeGreaterThan(0)
      // The standard process and Node.js metrics under their usual names, once.
      expect(text).toMatch(/^process_cpu_seconds_total \d/m)
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m)
      expect(text).not.toContain('process_process_')
      expect(text).not.toContain('hadoop_eco_process_')
      // The engine's: its queue now, then its passes and provider calls once it has worked.
      expect(text).toMatch(/^hadoop_eco_reconcile_queue_depth\{state="due"\} [1-9]\d*$/m)
      await s.step()
      const after = (await s.app.inject({ url: '/metrics' })).body
      expect(after).toMatch(/^hadoop_eco_reconcile_passes_total\{outcome="requeued"\} [1-9]\d*$/m)
      expect(after).toMatch(/^hadoop_eco_reconcile_pass_duration_seconds_count [1-9]\d*$/m)
      expect(after).toMatch(
        /^hadoop_eco_provider_calls_total\{operation="createVm",outcome="ok"\} [1-9]\d*$/m,
      )
      expect(after).toMatch(
        /^hadoop_eco_provider_call_duration_seconds_count\{operation="observe"\} [1-9]\d*$/m,
      )
      expect(after).toContain('# TYPE hadoop_eco_reconcile_lease_losses_total counter')
    })
  })
})
