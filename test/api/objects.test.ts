import { createHash } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers.js'
import { parseResponse, rawExchange } from '../hardening/raw-http.js'
import { waitFor } from '../process.js'

const MAX = 2 * 1024 * 1024

/** A body sent in pieces, without a Content-Length (chunked), as a streaming client sends it. */
const streamOf = (parts: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    async pull(c) {
      const next = parts.shift()
      if (next) c.enqueue(next)
      else c.close()
    },
  })

const bytes = (n: number, seed = 7) => {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * seed + (i >> 8)) & 0xff
  return b
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

interface Envelope {
  status: number
  code: string
  message: string
  path: string
  errors: { field: string; code: string }[]
}

describe('Swift-style object route (DESIGN section 8), over a real socket', () => {
  let s: TestServer
  let base: string
  let port: number
  beforeAll(async () => {
    s = await startTestServer({ objectMaxBytes: MAX })
    base = await s.app.listen({ port: 0, host: '127.0.0.1' })
    port = Number(new URL(base).port)
  })
  afterAll(() => s?.cleanup())

  const call = (
    method: string,
    path: string,
    opts: { body?: RequestInit['body']; headers?: Record<string, string>; as?: 'a' | 'b' | 'none' } = {},
  ) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(opts.as === 'none' ? {} : opts.as === 'b' ? s.otherHeaders : s.headers),
        ...opts.headers,
      },
      ...(opts.body === undefined ? {} : { body: opts.body, duplex: 'half' }),
    } as RequestInit)
  const expectEnvelope = async (res: Response, status: number, code: string): Promise<Envelope> => {
    const text = await res.text()
    expect(res.status, text).toBe(status)
    const body = JSON.parse(text) as Envelope
    expect(body).toMatchObject({ status, code, path: expect.any(String), message: expect.any(String) })
    expect(res.headers.get('x-request-id')).toBeTruthy()
    return body
  }
  const tempFiles = () => readdirSync(join(s.dir, 'objects', '.tmp'))
  const nothingLeft = () => waitFor('temp files removed', async () => tempFiles().length === 0, 5000, 20)

  it('streams an upload in and a download out: PUT 201, GET 200, HEAD 200, list, DELETE 204', async () => {
    const data = bytes(300_000)
    const put = await call('PUT', '/v1/ignored-project/logs/HadoopEco/etl/run-1/task.log', {
      body: streamOf([data.subarray(0, 100_000), data.subarray(100_000, 250_000), data.subarray(250_000)]),
      headers: { 'content-type': 'text/plain' },
    })
    expect(put.status, await put.clone().text()).toBe(201)
    const entry = (await put.json()) as { name: string; bytes: number; lastModified: string }
    expect(entry).toEqual({
      name: 'HadoopEco/etl/run-1/task.log',
      bytes: 300_000,
      lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    })
    expect(put.headers.get('etag')).toMatch(/^".+"$/)

    const get = await call('GET', '/v1/any/logs/HadoopEco/etl/run-1/task.log')
    expect(get.status).toBe(200)
    expect(get.headers.get('content-length')).toBe('300000')
    expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(new Date(get.headers.get('last-modified')!).getTime()).toBe(
      Math.floor(Date.parse(entry.lastModified) / 1000) * 1000,
    )
    expect(get.headers.get('etag')).toBe(put.headers.get('etag'))
    expect(sha(new Uint8Array(await get.arrayBuffer()))).toBe(sha(data))

    const head = await call('HEAD', '/v1/any/logs/HadoopEco/etl/run-1/task.log')
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe('300000')
    expect(head.headers.get('etag')).toBe(put.headers.get('etag'))
    expect(head.headers.get('x-timestamp')).toMatch(/^\d+\.\d{5}$/)
    expect(await head.text()).toBe('')

    await call('PUT', '/v1/any/logs/HadoopEco/other/x.log', { body: 'x' })
    await call('PUT', '/v1/any/logs/top.txt', { body: 'top' })
    const list = await call('GET', '/v1/any/logs?prefix=HadoopEco/')
    expect(list.status).toBe(200)
    expect(await list.json()).toEqual([
      { name: 'HadoopEco/etl/run-1/task.log', bytes: 300_000, lastModified: entry.lastModified },
      { name: 'HadoopEco/other/x.log', bytes: 1, lastModified: expect.any(String) },
    ])
    const all = (await (await call('GET', '/v1/any/logs')).json()) as { name: string }[]
    expect(all.map((o) => o.name)).toEqual([
      'HadoopEco/etl/run-1/task.log',
      'HadoopEco/other/x.log',
      'top.txt',
    ])
    const paged = (await (
      await call('GET', '/v1/any/logs?limit=1&marker=HadoopEco/etl/run-1/task.log')
    ).json()) as {
      name: string
    }[]
    expect(paged.map((o) => o.name)).toEqual(['HadoopEco/other/x.log'])
    await expectEnvelope(await call('GET', '/v1/any/logs?limit=0'), 400, 'INVALID_PARAMETER')

    const del = await call('DELETE', '/v1/any/logs/top.txt')
    expect(del.status).toBe(204)
    await expectEnvelope(await call('GET', '/v1/any/logs/top.txt'), 404, 'OBJECT_NOT_FOUND')
    await expectEnvelope(await call('DELETE', '/v1/any/logs/top.txt'), 404, 'OBJECT_NOT_FOUND')
  })

  it('takes any body as bytes: JSON that is not JSON, form data, no Content-Type, over the 1 MiB JSON limit', async () => {
    for (const [type, body] of [
      ['application/json', '{"not json'],
      ['application/x-www-form-urlencoded', 'a=1&b=2'],
      ['application/octet-stream', '\u0000\u0001'],
      [undefined, 'no type at all'],
    ] as const) {
      const res = await call('PUT', '/v1/p/types/k', { body, headers: type ? { 'content-type': type } : {} })
      expect(res.status, await res.clone().text()).toBe(201)
      expect(await (await call('GET', '/v1/p/types/k')).text()).toBe(body)
    }
    const big = bytes(1_500_000, 13)
    const res = await call('PUT', '/v1/p/types/big.json', {
      body: big,
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(201)
    expect(sha(new Uint8Array(await (await call('GET', '/v1/p/types/big.json')).arrayBuffer()))).toBe(
      sha(big),
    )
    // The cluster routes keep their JSON-only rule and their limit.
    const cluster = await call('POST', '/v2/hadoop-eco/clusters', {
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    })
    await expectEnvelope(cluster, 415, 'UNSUPPORTED_MEDIA_TYPE')
    const tooBig = await call('POST', '/v2/hadoop-eco/clusters', {
      body: `{"name":"${'x'.repeat(1_100_000)}"}`,
      headers: { 'content-type': 'application/json' },
    })
    await expectEnvelope(tooBig, 413, 'PAYLOAD_TOO_LARGE')
    await expectEnvelope(
      await call('PUT', '/v1/p/types/k', { body: 'x', headers: { 'content-type': 'not a type' } }),
      400,
      'INVALID_PARAMETER',
    )
  })

  it('404s say whether the bucket or the object is missing; HEAD answers 404 without a body', async () => {
    await expectEnvelope(await call('GET', '/v1/p/no-such-bucket/k'), 404, 'BUCKET_NOT_FOUND')
    await expectEnvelope(await call('DELETE', '/v1/p/no-such-bucket/k'), 404, 'BUCKET_NOT_FOUND')
    await expectEnvelope(await call('GET', '/v1/p/no-such-bucket'), 404, 'BUCKET_NOT_FOUND')
    await call('PUT', '/v1/p/has-bucket/k', { body: 'x' })
    const miss = await expectEnvelope(await call('GET', '/v1/p/has-bucket/other'), 404, 'OBJECT_NOT_FOUND')
    expect(miss.path).toBe('/v1/p/has-bucket/other')
    const head = await call('HEAD', '/v1/p/has-bucket/other')
    expect(head.status).toBe(404)
    expect(await head.text()).toBe('')
  })

  it('a key and a "folder" of the same name, and a key with a trailing slash, are distinct objects', async () => {
    for (const key of ['a', 'a/b', 'a/', 'sp%20ace%25'])
      expect((await call('PUT', `/v1/p/folders/${key}`, { body: `<${key}>` })).status).toBe(201)
    for (const key of ['a', 'a/b', 'a/'])
      expect(await (await call('GET', `/v1/p/folders/${key}`)).text()).toBe(`<${key}>`)
    expect(await (await call('GET', '/v1/p/folders/sp%20ace%25')).text()).toBe('<sp%20ace%25>')
    const names = ((await (await call('GET', '/v1/p/folders')).json()) as { name: string }[]).map(
      (o) => o.name,
    )
    expect(names).toEqual(['a', 'a/', 'a/b', 'sp ace%'])
  })

  it('refuses ".." segments, NUL, bad buckets and over-long keys with 400, as sent on the wire', async () => {
    const send = async (method: string, path: string) => {
      const raw = await rawExchange(
        port,
        Buffer.from(
          `${method} ${path} HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\n` +
            'Content-Length: 1\r\nConnection: close\r\n\r\nx',
        ),
        5000,
      )
      return parseResponse(raw, method)
    }
    for (const path of [
      '/v1/p/bucket/a/../b',
      '/v1/p/bucket/..',
      '/v1/p/bucket/a/%2e%2e/b',
      '/v1/p/bucket/a%00b',
      `/v1/p/bucket/${'k'.repeat(1025)}`,
    ]) {
      const r = await send('PUT', path)
      expect(r.status, `${path}: ${r.body.toString()}`).toBe(400)
      expect(JSON.parse(r.body.toString())).toMatchObject({ code: 'INVALID_OBJECT_NAME' })
    }
    for (const path of ['/v1/p/Bad_Bucket/k', '/v1/p/ab/k', '/v1/p/192.168.1.1/k']) {
      const r = await send('PUT', path)
      expect(r.status, path).toBe(400)
      expect(JSON.parse(r.body.toString())).toMatchObject({
        code: 'INVALID_OBJECT_NAME',
        errors: [{ field: 'bucket', code: 'INVALID_OBJECT_NAME' }],
      })
    }
    expect((await send('GET', '/v1/p/bucket/a/../b')).status).toBe(400)
    expect((await send('PUT', '/v1/p/bucket/%ZZ')).status).toBe(400)
    // Nothing was written under any of those names.
    expect(existsSync(join(s.dir, 'objects', 'proj-a', 'bucket'))).toBe(false)
  })

  it('refuses more than HADOOP_ECO_OBJECT_MAX_BYTES with 413 and keeps nothing, announced or streamed', async () => {
    await call('PUT', '/v1/p/limits/k', { body: 'old' })
    const announced = await call('PUT', '/v1/p/limits/k', { body: bytes(MAX + 1) })
    await expectEnvelope(announced, 413, 'OBJECT_TOO_LARGE')
    const parts = Array.from({ length: 9 }, () => bytes(256 * 1024))
    const streamed = await call('PUT', '/v1/p/limits/k', { body: streamOf(parts) })
    await expectEnvelope(streamed, 413, 'OBJECT_TOO_LARGE')
    expect(await (await call('GET', '/v1/p/limits/k')).text()).toBe('old')
    expect((await call('PUT', '/v1/p/limits/exact', { body: bytes(MAX) })).status).toBe(201)
    await nothingLeft()
  })

  it('after a 413 in mid-body, the connection carries the next request', async () => {
    // One socket: a chunked upload one byte over the limit, then a second request behind it.
    const chunk = bytes(64 * 1024)
    const chunks: Buffer[] = []
    for (let sent = 0; sent <= MAX; sent += chunk.length) chunks.push(chunk)
    const body = Buffer.concat(
      chunks.map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')])),
    )
    const raw = await rawExchange(
      port,
      Buffer.concat([
        Buffer.from(
          'PUT /v1/p/limits/chunked HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\n' +
            'Transfer-Encoding: chunked\r\n\r\n',
        ),
        body,
        Buffer.from('0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ]),
      10_000,
    )
    const first = parseResponse(raw, 'PUT')
    expect(first.status).toBe(413)
    expect(JSON.parse(first.body.toString())).toMatchObject({ code: 'OBJECT_TOO_LARGE' })
    const rest = raw.subarray(raw.indexOf(first.body) + first.body.length)
    expect(parseResponse(rest, 'GET').status).toBe(200)
    await expectEnvelope(await call('GET', '/v1/p/limits/chunked'), 404, 'OBJECT_NOT_FOUND')
  })

  it('a body shorter than its Content-Length: 400 CONTENT_LENGTH_MISMATCH, nothing kept', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'PUT /v1/p/short/k HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\n' +
            'Content-Length: 100\r\n\r\n' +
            'x'.repeat(50),
        )
        // Half-close: the client says it has sent everything.
        setTimeout(() => socket.end(), 50)
      })
      let text = ''
      socket.on('data', (d: Buffer) => (text += d.toString()))
      socket.on('error', reject)
      socket.on('close', () => resolve(text))
    })
    expect(answer).toMatch(/^HTTP\/1.1 400 /)
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      code: 'CONTENT_LENGTH_MISMATCH',
      path: '/v1/p/short/k',
    })
    await nothingLeft()
    await expectEnvelope(await call('GET', '/v1/p/short/k'), 404, 'BUCKET_NOT_FOUND')
  })

  it('a client that disconnects mid-upload leaves nothing behind, not even its temp file', async () => {
    await call('PUT', '/v1/p/gone/k', { body: 'kept' })
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'PUT /v1/p/gone/k HTTP/1.1\r\nHost: x\r\nCredential-ID: test-id\r\nCredential-Secret: test-secret-1234\r\n' +
            `Content-Length: ${MAX}\r\n\r\n`,
        )
        socket.write(bytes(200_000))
        // The upload is under way (its temp file exists) when the client vanishes.
        void waitFor('upload under way', async () => tempFiles().length > 0, 5000, 5).then(() => {
          socket.destroy()
          resolve()
        })
      })
      socket.on('error', () => undefined)
    })
    await nothingLeft()
    expect(await (await call('GET', '/v1/p/gone/k')).text()).toBe('kept')
    expect(((await (await call('GET', '/v1/p/gone')).json()) as unknown[]).length).toBe(1)
  })

  it('acts in the caller’s project whatever the URL says: two projects never see each other', async () => {
    expect((await call('PUT', '/v1/proj-a/shared/k', { body: 'from a' })).status).toBe(201)
    // proj-b names proj-a in the URL and still reaches only its own objects.
    await expectEnvelope(await call('GET', '/v1/proj-a/shared/k', { as: 'b' }), 404, 'BUCKET_NOT_FOUND')
    await expectEnvelope(await call('GET', '/v1/proj-a/shared', { as: 'b' }), 404, 'BUCKET_NOT_FOUND')
    await expectEnvelope(await call('DELETE', '/v1/proj-a/shared/k', { as: 'b' }), 404, 'BUCKET_NOT_FOUND')
    expect((await call('PUT', '/v1/proj-a/shared/k', { body: 'from b', as: 'b' })).status).toBe(201)
    expect(await (await call('GET', '/v1/x/shared/k')).text()).toBe('from a')
    expect(await (await call('GET', '/v1/x/shared/k', { as: 'b' })).text()).toBe('from b')
    expect(readdirSync(join(s.dir, 'objects')).sort()).toEqual(expect.arrayContaining(['proj-a', 'proj-b']))
  })

  it('asks for a credential before reading a byte', async () => {
    await expectEnvelope(await call('PUT', '/v1/p/auth/k', { body: 'x', as: 'none' }), 401, 'UNAUTHORIZED')
    await expectEnvelope(
      await call('GET', '/v1/p/auth/k', {
        as: 'none',
        headers: { 'credential-id': 'test-id', 'credential-secret': 'no' },
      }),
      401,
      'UNAUTHORIZED',
    )
    await expectEnvelope(await call('GET', '/v1/p/auth/k'), 404, 'BUCKET_NOT_FOUND')
  })

  it('buckets: PUT 201 then 202, DELETE 409 while not empty, then 204, then 404', async () => {
    expect((await call('PUT', '/v1/p/made')).status).toBe(201)
    expect((await call('PUT', '/v1/p/made/')).status).toBe(202)
    expect(await (await call('GET', '/v1/p/made')).json()).toEqual([])
    await call('PUT', '/v1/p/made/k', { body: 'x' })
    await expectEnvelope(await call('DELETE', '/v1/p/made'), 409, 'BUCKET_NOT_EMPTY')
    expect((await call('DELETE', '/v1/p/made/k')).status).toBe(204)
    expect((await call('DELETE', '/v1/p/made', { headers: { 'idempotency-key': 'del-made' } })).status).toBe(
      204,
    )
    // A retried delete with its key is answered as the first; without one, the bucket is gone.
    const replay = await call('DELETE', '/v1/p/made', { headers: { 'idempotency-key': 'del-made' } })
    expect(replay.status).toBe(204)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    await expectEnvelope(await call('DELETE', '/v1/p/made'), 404, 'BUCKET_NOT_FOUND')
    await expectEnvelope(await call('PUT', '/v1/p/Not-Valid'), 400, 'INVALID_OBJECT_NAME')
  })

  it('is documented in /openapi.json under the objects tag', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[] }>>
    }
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/v1/'))
    expect(paths.length).toBeGreaterThanOrEqual(2)
    const ops = paths.flatMap((p) => Object.entries(doc.paths[p]!).map(([m, op]) => [m, op.tags] as const))
    expect(ops.map(([m]) => m).sort()).toEqual(['delete', 'delete', 'get', 'get', 'put', 'put'])
    for (const [, tags] of ops) expect(tags).toEqual(['objects'])
  })
})

describe('the object route with HADOOP_ECO_OBJECT_STORE=s3', () => {
  it('answers 404 with the envelope and says where the objects are', async () => {
    const s = await startTestServer({
      objectStore: { kind: 's3', endpoint: 'http://127.0.0.1:1', region: 'kr-central-2' },
    })
    try {
      const res = await s.app.inject({
        method: 'PUT',
        url: '/v1/p/bucket/k',
        headers: s.headers,
        payload: 'x',
      })
      expect(res.statusCode).toBe(404)
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/S3/) })
      const get = await s.app.inject({ method: 'GET', url: '/v1/p/bucket', headers: s.headers })
      expect(get.statusCode).toBe(404)
    } finally {
      await s.cleanup()
    }
  })
})
