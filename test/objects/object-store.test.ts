import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  InvalidObjectNameError,
  ObjectLengthMismatchError,
  ObjectTooLargeError,
  createFileObjectStore,
  type ListOptions,
  type ObjectStore,
} from '../../src/objects/index.js'
import { createS3ObjectStore } from '../../src/objects/s3-store.js'
import { S3RVER_CREDENTIALS, startS3rver } from './s3rver.js'

const P = 'proj-a'
const text = async (r: Readable) => {
  const chunks: Buffer[] = []
  for await (const c of r) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
const body = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)))
const keys = async (s: ObjectStore, bucket: string, prefix?: string, opts?: ListOptions) =>
  ((await s.list(P, bucket, prefix, opts)) ?? []).map((o) => o.key)
/** A body that sends `bytes` and then fails, as a client that goes away mid-upload. */
const failingBody = (bytes: number) => {
  let sent = false
  return new Readable({
    read() {
      if (!sent) {
        sent = true
        this.push(Buffer.alloc(bytes, 1))
        return
      }
      // Asked for more: the store is reading, so it is the one to hear the failure. (A timer
      // from creation could fire before a slow store attached its listeners: an uncaught error.)
      setTimeout(() => this.destroy(new Error('client went away')), 5)
    },
  })
}
let n = 0
const bucketName = () => `bucket-${process.pid}-${n++}`

interface Backend {
  name: 'file' | 's3'
  store: ObjectStore
  /** Files a failed upload could have left behind (temp files, stray parts). */
  leftovers(): string[]
  close(): Promise<void>
}

const fileBackend = async (): Promise<Backend> => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-objects-'))
  const store = await createFileObjectStore({ dir })
  return {
    name: 'file',
    store,
    leftovers: () => readdirSync(join(dir, '.tmp')),
    close: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

const s3Backend = async (): Promise<Backend> => {
  const s3 = await startS3rver()
  const store = createS3ObjectStore({
    endpoint: s3.endpoint,
    region: 'kr-central-2',
    credentials: S3RVER_CREDENTIALS,
  })
  return {
    name: 's3',
    store,
    // s3rver keeps multipart parts apart from objects; the list is what a client can see.
    leftovers: () => [],
    close: async () => {
      await store.close?.()
      await s3.close()
    },
  }
}

// One behaviour suite, looped over both back-ends (Kysely-style): what the port promises holds
// for each. Back-end specifics follow in their own blocks.
describe.each([
  ['file', fileBackend],
  ['s3', s3Backend],
] as const)('ObjectStore contract: %s back-end', (_name, make) => {
  let b: Backend
  let s: ObjectStore
  beforeAll(async () => {
    b = await make()
    s = b.store
  })
  afterAll(() => b?.close())

  it('stores a streamed body and gives it back: get, head, list', async () => {
    const bucket = bucketName()
    const info = await s.put(P, bucket, 'conf/core-site.json', body('{"a":', '1}'), {
      contentType: 'application/json',
    })
    expect(info).toMatchObject({ bucket, key: 'conf/core-site.json', bytes: 7 })
    expect(Math.abs(info.lastModified - Date.now())).toBeLessThan(60_000)
    const got = await s.get(P, bucket, 'conf/core-site.json')
    expect(got?.info).toMatchObject({ bytes: 7, contentType: 'application/json' })
    expect(await text(got!.body)).toBe('{"a":1}')
    const head = await s.head(P, bucket, 'conf/core-site.json')
    expect(head).toMatchObject({
      bucket,
      key: 'conf/core-site.json',
      bytes: 7,
      lastModified: info.lastModified,
    })
    expect(head?.etag).toMatch(/^".+"$/)
    expect(await s.list(P, bucket)).toMatchObject([{ key: 'conf/core-site.json', bytes: 7 }])
  })

  it('an empty body is an empty object', async () => {
    const bucket = bucketName()
    await s.put(P, bucket, 'empty', Readable.from([]), { contentLength: 0 })
    expect(await s.head(P, bucket, 'empty')).toMatchObject({ bytes: 0 })
    expect(await text((await s.get(P, bucket, 'empty'))!.body)).toBe('')
  })

  it('streams a large object through in pieces, byte for byte', async () => {
    const bucket = bucketName()
    const piece = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 31) & 0xff
    const hash = createHash('sha256')
    // 20 MiB: several multipart parts on S3.
    const pieces = Array.from({ length: 20 }, () => piece)
    for (const p of pieces) hash.update(p)
    const info = await s.put(P, bucket, 'big.bin', Readable.from(pieces), {
      contentLength: 20 * piece.length,
    })
    expect(info.bytes).toBe(20 * piece.length)
    const back = createHash('sha256')
    for await (const c of (await s.get(P, bucket, 'big.bin'))!.body) back.update(c as Buffer)
    expect(back.digest('hex')).toBe(hash.digest('hex'))
  }, 60_000)

  it('a put replaces the object whole; a reader of the old one still reads the old bytes', async () => {
    const bucket = bucketName()
    await s.put(P, bucket, 'k', body('old-old-old'))
    const old = await s.get(P, bucket, 'k')
    await s.put(P, bucket, 'k', body('new'))
    expect(await text(old!.body)).toBe('old-old-old')
    expect(await text((await s.get(P, bucket, 'k'))!.body)).toBe('new')
  })

  describe('a body that does not arrive whole leaves nothing (and the old object stays)', () => {
    it('the source fails mid-way (a client gone)', async () => {
      const bucket = bucketName()
      await s.put(P, bucket, 'kept', body('first'))
      await expect(s.put(P, bucket, 'kept', failingBody(1000))).rejects.toThrow('client went away')
      await expect(s.put(P, bucket, 'new', failingBody(1000))).rejects.toThrow('client went away')
      expect(await s.head(P, bucket, 'new')).toBeUndefined()
      expect(await text((await s.get(P, bucket, 'kept'))!.body)).toBe('first')
      expect(await keys(s, bucket)).toEqual(['kept'])
      expect(b.leftovers()).toEqual([])
    })

    it('more than maxBytes: ObjectTooLargeError, and the source is left for the caller to answer', async () => {
      const bucket = bucketName()
      // Not ended: like a request whose client is still sending.
      const source = new PassThrough()
      for (const part of ['12345', '67890', 'x', 'yz']) source.write(part)
      const e = await s.put(P, bucket, 'big', source, { maxBytes: 10 }).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(ObjectTooLargeError)
      expect((e as ObjectTooLargeError).maxBytes).toBe(10)
      expect(source.destroyed).toBe(false)
      expect(await s.head(P, bucket, 'big')).toBeUndefined()
      expect(b.leftovers()).toEqual([])
      // Exactly maxBytes is allowed.
      await s.put(P, bucket, 'fits', body('12345', '67890'), { maxBytes: 10 })
      expect(await s.head(P, bucket, 'fits')).toMatchObject({ bytes: 10 })
    })

    it('an announced length over maxBytes is refused before a byte is read', async () => {
      const source = new PassThrough()
      source.write('abc')
      await expect(
        s.put(P, bucketName(), 'big', source, { contentLength: 11, maxBytes: 10 }),
      ).rejects.toThrow(ObjectTooLargeError)
      expect(source.read()?.toString()).toBe('abc')
    })

    it('a body shorter or longer than its Content-Length: ObjectLengthMismatchError', async () => {
      const bucket = bucketName()
      const short = await s.put(P, bucket, 'k', body('abc'), { contentLength: 5 }).catch((x: unknown) => x)
      expect(short).toBeInstanceOf(ObjectLengthMismatchError)
      expect(short).toMatchObject({ expected: 5, received: 3 })
      const long = await s
        .put(P, bucket, 'k', body('abc', 'def'), { contentLength: 4 })
        .catch((x: unknown) => x)
      expect(long).toBeInstanceOf(ObjectLengthMismatchError)
      expect(await s.head(P, bucket, 'k')).toBeUndefined()
      expect(b.leftovers()).toEqual([])
    })

    it('an aborted signal', async () => {
      const bucket = bucketName()
      const ac = new AbortController()
      const source = new PassThrough()
      source.write(Buffer.alloc(1000))
      const put = s.put(P, bucket, 'k', source, { signal: ac.signal })
      setTimeout(() => ac.abort(), 20)
      await expect(put).rejects.toThrow()
      expect(await s.head(P, bucket, 'k')).toBeUndefined()
      expect(b.leftovers()).toEqual([])
    })

    it('a signal aborted while the put is still setting up (its bucket is new)', async () => {
      const bucket = bucketName()
      const ac = new AbortController()
      const source = new PassThrough()
      source.write(Buffer.alloc(1000))
      const put = s.put(P, bucket, 'k', source, { signal: ac.signal })
      // Before any I/O of the put has answered: an S3 put is still looking its bucket up.
      queueMicrotask(() => ac.abort())
      await expect(put).rejects.toThrow()
      expect(await s.head(P, bucket, 'k')).toBeUndefined()
      expect(b.leftovers()).toEqual([])
    })
  })

  it('a key and a "folder" of the same name are two objects', async () => {
    const bucket = bucketName()
    await s.put(P, bucket, 'a', body('A'))
    await s.put(P, bucket, 'a/b', body('AB'))
    await s.put(P, bucket, 'a/b/c', body('ABC'))
    expect(await text((await s.get(P, bucket, 'a'))!.body)).toBe('A')
    expect(await text((await s.get(P, bucket, 'a/b'))!.body)).toBe('AB')
    expect(await keys(s, bucket)).toEqual(['a', 'a/b', 'a/b/c'])
    expect(await s.delete(P, bucket, 'a/b')).toBe(true)
    expect(await keys(s, bucket)).toEqual(['a', 'a/b/c'])
    expect(await s.delete(P, bucket, 'a/b/c')).toBe(true)
    expect(await keys(s, bucket)).toEqual(['a'])
    // The folder is gone; a key below it can be stored again.
    await s.put(P, bucket, 'a/x', body('AX'))
    expect(await keys(s, bucket)).toEqual(['a', 'a/x'])
  })

  it('keys with a trailing slash, "%", spaces, dots and non-ASCII', async () => {
    const bucket = bucketName()
    const odd = ['dir/', '100%/x%25y', 'a b/c+d', '한글/파일.txt', '..a', 'a..', '...', 'q?x=1#y']
    for (const k of odd) await s.put(P, bucket, k, body(`<${k}>`))
    for (const k of odd) expect(await text((await s.get(P, bucket, k))!.body)).toBe(`<${k}>`)
    expect(await keys(s, bucket)).toEqual(
      [...odd].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    )
  })

  it('refuses keys with NUL, a ".." segment, over 1,024 bytes, or empty; accepts exactly 1,024', async () => {
    const bucket = bucketName()
    for (const bad of [
      '',
      'a\0b',
      '..',
      '../x',
      'a/../b',
      'a/..',
      'x'.repeat(1025),
      'é'.repeat(513),
      '\uD800',
    ])
      await expect(s.put(P, bucket, bad, body('x')), JSON.stringify(bad.slice(0, 20))).rejects.toThrow(
        InvalidObjectNameError,
      )
    await expect(s.get(P, bucket, 'a/../b')).rejects.toThrow(InvalidObjectNameError)
    await expect(s.delete(P, bucket, 'a\0')).rejects.toThrow(InvalidObjectNameError)
    const longest = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(127)).join('/')
    expect(Buffer.byteLength(longest)).toBe(1023)
    await s.put(P, bucket, `${longest}x`, body('ok'))
    expect(await keys(s, bucket)).toEqual([`${longest}x`])
    // Nothing of the refused ones was created, not even the bucket's first object's folder.
    expect(b.leftovers()).toEqual([])
  })

  it('refuses bucket names S3 refuses', async () => {
    for (const bad of [
      'ab',
      'A-bucket',
      'bucket_1',
      '-abc',
      'abc-',
      '.abc',
      'a..b',
      '192.168.0.1',
      'x'.repeat(64),
      'a/b',
      '..',
    ])
      await expect(s.put(P, bad, 'k', body('x')), bad).rejects.toThrow(InvalidObjectNameError)
    for (const good of ['abc', 'my.bucket-1', `x${'0'.repeat(62)}`]) {
      await s.put(P, good, 'k', body('x'))
      expect(await s.bucketExists(P, good)).toBe(true)
    }
  })

  it('lists by prefix, in UTF-8 byte order, with paging', async () => {
    const bucket = bucketName()
    const all = ['logs/a.log', 'logs/b/c.log', 'log.txt', 'logsx', 'other', 'z\uFFFD', 'z😀']
    for (const k of all) await s.put(P, bucket, k, body(k))
    expect(await keys(s, bucket)).toEqual([
      'log.txt',
      'logs/a.log',
      'logs/b/c.log',
      'logsx',
      'other',
      'z\uFFFD',
      'z😀',
    ])
    expect(await keys(s, bucket, 'logs/')).toEqual(['logs/a.log', 'logs/b/c.log'])
    expect(await keys(s, bucket, 'log')).toEqual(['log.txt', 'logs/a.log', 'logs/b/c.log', 'logsx'])
    expect(await keys(s, bucket, 'logs/b')).toEqual(['logs/b/c.log'])
    expect(await keys(s, bucket, 'nothing/')).toEqual([])
    const page1 = await s.list(P, bucket, 'log', { limit: 2 })
    expect(page1?.map((o) => o.key)).toEqual(['log.txt', 'logs/a.log'])
    const page2 = await s.list(P, bucket, 'log', { limit: 2, after: 'logs/a.log' })
    expect(page2?.map((o) => o.key)).toEqual(['logs/b/c.log', 'logsx'])
    expect(await keys(s, bucket, '', { after: 'other' })).toEqual(['z\uFFFD', 'z😀'])
    expect(await s.list(P, bucket, 'logs/', { after: 'logs/b/c.log' })).toEqual([])
    expect((await s.list(P, bucket, 'logs/a'))?.[0]).toMatchObject({ bucket, key: 'logs/a.log', bytes: 10 })
    await expect(s.list(P, bucket, 'a/../')).rejects.toThrow(InvalidObjectNameError)
    // A prefix may end in the start of a key segment that begins with "..".
    expect(await keys(s, bucket, 'logs/..')).toEqual([])
  })

  it('missing buckets and keys: undefined and false, never an error', async () => {
    const bucket = bucketName()
    expect(await s.get(P, bucket, 'k')).toBeUndefined()
    expect(await s.head(P, bucket, 'k')).toBeUndefined()
    expect(await s.list(P, bucket)).toBeUndefined()
    expect(await s.delete(P, bucket, 'k')).toBe(false)
    expect(await s.bucketExists(P, bucket)).toBe(false)
    await s.put(P, bucket, 'k', body('x'))
    expect(await s.get(P, bucket, 'other')).toBeUndefined()
    expect(await s.delete(P, bucket, 'k')).toBe(true)
    expect(await s.delete(P, bucket, 'k')).toBe(false)
    // The bucket outlives its last object.
    expect(await s.list(P, bucket)).toEqual([])
  })

  it('buckets: create (then exists), delete only when empty', async () => {
    const bucket = bucketName()
    expect(await s.createBucket(P, bucket)).toBe(true)
    expect(await s.createBucket(P, bucket)).toBe(false)
    expect(await s.bucketExists(P, bucket)).toBe(true)
    expect(await s.list(P, bucket)).toEqual([])
    await s.put(P, bucket, 'a/b', body('x'))
    expect(await s.deleteBucket(P, bucket)).toBe('not-empty')
    await s.delete(P, bucket, 'a/b')
    expect(await s.deleteBucket(P, bucket)).toBe('deleted')
    expect(await s.deleteBucket(P, bucket)).toBe('missing')
    expect(await s.bucketExists(P, bucket)).toBe(false)
    // A put makes the bucket again.
    await s.put(P, bucket, 'k', body('x'))
    expect(await s.bucketExists(P, bucket)).toBe(true)
  })
})

describe('file back-end specifics', () => {
  let dir: string
  let s: ObjectStore
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-objects-'))
    s = await createFileObjectStore({ dir })
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lays objects out as <dir>/<project>/<bucket>/<key>%', async () => {
    await s.put('proj-a', 'logs', 'HadoopEco/etl/run-1/task.log', body('done'))
    expect(readFileSync(join(dir, 'proj-a/logs/HadoopEco/etl/run-1/task.log%'), 'utf8')).toBe('done')
    await s.put('proj-a', 'logs', 'a/', body('marker'))
    expect(existsSync(join(dir, 'proj-a/logs/a/%00%'))).toBe(true)
    await s.put('proj-a', 'logs', '50%', body('x'))
    expect(existsSync(join(dir, 'proj-a/logs/50%25%'))).toBe(true)
  })

  // s3rver cannot store or list these; S3 itself can.
  it('keys with empty and "." segments', async () => {
    const odd = ['x//y', '/lead', './z', 'p/./q', 'p/.']
    for (const k of odd) await s.put('proj-a', 'dots', k, body(`<${k}>`))
    for (const k of odd) expect(await text((await s.get('proj-a', 'dots', k))!.body)).toBe(`<${k}>`)
    expect(await keys(s, 'dots')).toEqual(['./z', '/lead', 'p/.', 'p/./q', 'x//y'])
    expect(await keys(s, 'dots', 'p/.')).toEqual(['p/.', 'p/./q'])
    expect(await keys(s, 'dots', 'x/')).toEqual(['x//y'])
  })

  it('keeps each project in its own folder: same bucket and key, two objects', async () => {
    await s.put('proj-a', 'shared', 'k', body('from a'))
    await s.put('proj-b', 'shared', 'k', body('from b'))
    expect(await text((await s.get('proj-a', 'shared', 'k'))!.body)).toBe('from a')
    expect(await text((await s.get('proj-b', 'shared', 'k'))!.body)).toBe('from b')
    await s.put('proj-a', 'only-a', 'k', body('x'))
    expect(await s.get('proj-b', 'only-a', 'k')).toBeUndefined()
    expect(await s.list('proj-b', 'only-a')).toBeUndefined()
    expect(await s.delete('proj-b', 'only-a', 'k')).toBe(false)
    expect(await s.deleteBucket('proj-b', 'only-a')).toBe('missing')
    expect(await s.head('proj-a', 'only-a', 'k')).toBeDefined()
  })

  it('project names cannot leave their folder, and differ by case even where the disk does not', async () => {
    for (const bad of ['..', '.', '.tmp', 'a/b', '../proj-a', '', 'a\\b', 'x'.repeat(65)])
      await expect(s.put(bad, 'bucket', 'k', body('x')), bad).rejects.toThrow(InvalidObjectNameError)
    await s.put('Proj', 'bucket', 'k', body('upper'))
    await s.put('proj', 'bucket', 'k', body('lower'))
    expect(readFileSync(join(dir, '+proj/bucket/k%'), 'utf8')).toBe('upper')
    expect(readFileSync(join(dir, 'proj/bucket/k%'), 'utf8')).toBe('lower')
  })

  it('refuses a key segment the file system cannot name, with a clear message', async () => {
    await expect(s.put('proj-a', 'bucket', `a/${'x'.repeat(255)}`, body('x'))).rejects.toThrow(
      /segments \(between slashes\) may be at most 254 bytes/,
    )
    await s.put('proj-a', 'bucket', `a/${'x'.repeat(254)}`, body('x'))
  })

  it('ignores files it did not write, and prunes the folders a delete empties', async () => {
    await s.put('proj-a', 'tidy', 'deep/er/k', body('x'))
    writeFileSync(join(dir, 'proj-a/tidy/stranger.txt'), 'not an object')
    writeFileSync(join(dir, 'proj-a/tidy/odd%41%'), 'not written by us')
    expect(await keys(s, 'tidy')).toEqual(['deep/er/k'])
    await s.delete('proj-a', 'tidy', 'deep/er/k')
    expect(readdirSync(join(dir, 'proj-a/tidy')).sort()).toEqual(['odd%41%', 'stranger.txt'])
  })

  it('removes the temp files of uploads a crash interrupted, and only those', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hadoop-eco-objects-'))
    mkdirSync(join(d, '.tmp'))
    writeFileSync(join(d, '.tmp/old.part'), 'x')
    const dayAgo = (Date.now() - 25 * 3600_000) / 1000
    utimesSync(join(d, '.tmp/old.part'), dayAgo, dayAgo)
    writeFileSync(join(d, '.tmp/live.part'), 'x')
    await createFileObjectStore({ dir: d })
    expect(readdirSync(join(d, '.tmp'))).toEqual(['live.part'])
    rmSync(d, { recursive: true, force: true })
  })
})

describe('S3 back-end specifics', () => {
  it('buckets belong to the S3 account: the project changes nothing', async () => {
    const b = await s3Backend()
    try {
      await b.store.put('proj-a', 'account-wide', 'k', body('x'))
      expect(await text((await b.store.get('proj-b', 'account-wide', 'k'))!.body)).toBe('x')
    } finally {
      await b.close()
    }
  })
})
