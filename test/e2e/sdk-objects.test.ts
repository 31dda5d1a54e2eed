import { createHash } from 'node:crypto'
import { openAsBlob, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BadRequestError,
  ConflictError,
  HadoopEcoClient,
  NotFoundError,
  ServerError,
  type HadoopEcoClientOptions,
} from '../../src/sdk/index.js'
import { objectPath } from '../../src/sdk/objects.js'
import { CREDENTIAL, OTHER_CREDENTIAL, startE2EServer, type E2EServer } from './harness.js'

/** A fetch that answers 503 itself the first `failures` times, and counts every attempt. */
const flakyFetch = (failures: number) => {
  let calls = 0
  const f: typeof fetch = (input, init) => {
    calls++
    if (calls <= failures)
      return Promise.resolve(
        new Response(JSON.stringify({ code: 'SERVICE_UNAVAILABLE', message: 'try again', errors: [] }), {
          status: 503,
          headers: { 'content-type': 'application/json' },
        }),
      )
    return fetch(input, init)
  }
  return { fetch: f, calls: () => calls }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

describe('SDK client.objects against the real server', () => {
  let s: E2EServer
  const make = (over: HadoopEcoClientOptions = {}) =>
    new HadoopEcoClient({
      endpoint: s.url,
      credentialId: CREDENTIAL.id,
      credentialSecret: CREDENTIAL.secret,
      retryBaseDelayMs: 5,
      ...over,
    })
  beforeAll(async () => {
    s = await startE2EServer()
  }, 60_000)
  afterAll(() => s?.close())

  it('put, get, head, list, delete', async () => {
    const c = make()
    const put = await c.objects.put('sdk-basic', 'scripts/init.sh', '#!/bin/sh\necho hi\n')
    expect(put).toEqual({ name: 'scripts/init.sh', bytes: 18, lastModified: expect.any(String) })
    const got = await c.objects.get('sdk-basic', 'scripts/init.sh')
    expect(got).toMatchObject({
      name: 'scripts/init.sh',
      bytes: 18,
      lastModified: put.lastModified,
      contentType: 'text/x-shellscript; charset=utf-8',
      etag: expect.stringMatching(/^".+"$/),
    })
    expect(await got.text()).toBe('#!/bin/sh\necho hi\n')
    const head = await c.objects.head('sdk-basic', 'scripts/init.sh')
    expect(head).toEqual({
      name: 'scripts/init.sh',
      bytes: 18,
      lastModified: put.lastModified,
      contentType: got.contentType,
      etag: got.etag,
    })
    await c.objects.put('sdk-basic', 'scripts/other.sh', 'x')
    await c.objects.put('sdk-basic', 'readme.txt', 'y')
    expect((await c.objects.list('sdk-basic', { prefix: 'scripts/' })).map((o) => o.name)).toEqual([
      'scripts/init.sh',
      'scripts/other.sh',
    ])
    const all: string[] = []
    for await (const o of c.objects.listAll('sdk-basic', { limit: 1 })) all.push(o.name)
    expect(all).toEqual(['readme.txt', 'scripts/init.sh', 'scripts/other.sh'])
    await c.objects.delete('sdk-basic', 'readme.txt')
    const missing = await c.objects.get('sdk-basic', 'readme.txt').catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(NotFoundError)
    expect(missing).toMatchObject({ status: 404, code: 'OBJECT_NOT_FOUND' })
    await expect(c.objects.head('sdk-basic', 'readme.txt')).rejects.toBeInstanceOf(NotFoundError)
    await expect(c.objects.list('no-such-bucket')).rejects.toMatchObject({ code: 'BUCKET_NOT_FOUND' })
  })

  it('streams a file up from disk (openAsBlob) and down, byte for byte', async () => {
    const c = make()
    const data = Buffer.alloc(3 * 1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 17 + (i >> 12)) & 0xff
    const path = join(s.dir, 'upload.bin')
    writeFileSync(path, data)
    const put = await c.objects.put('sdk-files', 'jars/app.jar', await openAsBlob(path))
    expect(put.bytes).toBe(data.length)
    const got = await c.objects.get('sdk-files', 'jars/app.jar')
    expect(got.contentType).toBe('application/java-archive')
    const chunks: Uint8Array[] = []
    for await (const chunk of got.body) chunks.push(chunk)
    expect(chunks.length).toBeGreaterThan(1)
    expect(sha(Buffer.concat(chunks))).toBe(sha(data))
    // An async iterable is sent as it comes (chunked).
    const parts = [Buffer.from('a'.repeat(1000)), Buffer.from('b'.repeat(1000))]
    await c.objects.put(
      'sdk-files',
      'parts.txt',
      (async function* () {
        yield* parts
      })(),
    )
    expect(await (await c.objects.get('sdk-files', 'parts.txt')).text()).toBe(
      'a'.repeat(1000) + 'b'.repeat(1000),
    )
  })

  it('addresses any key: slashes, trailing slash, ".", "%", "?", "#", spaces, non-ASCII', async () => {
    const c = make()
    const keys = ['dir/', 'a/./b', './x', '100%', 'q?x=1#frag', 'sp ace/한글.txt', 'x//y']
    for (const k of keys) await c.objects.put('sdk-keys', k, `<${k}>`)
    for (const k of keys) expect(await (await c.objects.get('sdk-keys', k)).text()).toBe(`<${k}>`)
    expect((await c.objects.list('sdk-keys')).map((o) => o.name).sort()).toEqual([...keys].sort())
    expect(objectPath('b', 'a/b c')).toBe('/v1/_/b/a/b%20c')
    expect(objectPath('b', 'a/./b')).toBe('/v1/_/b/a%2F.%2Fb')
    expect(objectPath('b', 'a/../b')).toBe('/v1/_/b/a%2F..%2Fb')
    expect(() => objectPath('b', '.')).toThrow(/cannot be addressed/)
  })

  it('refusals are typed: a bad key is a BadRequestError, a full bucket a ConflictError', async () => {
    const c = make()
    const bad = await c.objects.put('sdk-errors', 'a/../b', 'x').catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(BadRequestError)
    expect(bad).toMatchObject({ code: 'INVALID_OBJECT_NAME', fields: ['key'] })
    expect(await c.objects.createBucket('sdk-errors')).toBe(true)
    expect(await c.objects.createBucket('sdk-errors')).toBe(false)
    await c.objects.put('sdk-errors', 'k', 'x')
    const full = await c.objects.deleteBucket('sdk-errors').catch((e: unknown) => e)
    expect(full).toBeInstanceOf(ConflictError)
    expect(full).toMatchObject({ code: 'BUCKET_NOT_EMPTY' })
    await c.objects.delete('sdk-errors', 'k')
    await c.objects.deleteBucket('sdk-errors')
    await expect(c.objects.deleteBucket('sdk-errors')).rejects.toMatchObject({ code: 'BUCKET_NOT_FOUND' })
  })

  it('retries a body it can send again, and never a stream it has consumed', async () => {
    const replayable = flakyFetch(1)
    await make({ fetch: replayable.fetch }).objects.put('sdk-retry', 'k', 'again')
    expect(replayable.calls()).toBe(2)
    expect(await (await make().objects.get('sdk-retry', 'k')).text()).toBe('again')
    const once = flakyFetch(1)
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        ctl.enqueue(new TextEncoder().encode('once'))
        ctl.close()
      },
    })
    await expect(make({ fetch: once.fetch }).objects.put('sdk-retry', 's', stream)).rejects.toBeInstanceOf(
      ServerError,
    )
    expect(once.calls()).toBe(1)
  })

  it('works in the credential’s project only', async () => {
    await make().objects.put('sdk-private', 'k', 'mine')
    const other = make({ credentialId: OTHER_CREDENTIAL.id, credentialSecret: OTHER_CREDENTIAL.secret })
    await expect(other.objects.get('sdk-private', 'k')).rejects.toMatchObject({ code: 'BUCKET_NOT_FOUND' })
    await other.objects.put('sdk-private', 'k', 'theirs')
    expect(await (await make().objects.get('sdk-private', 'k')).text()).toBe('mine')
  })
})
