import { randomUUID } from 'node:crypto'
import type { Stats } from 'node:fs'
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { addAbortSignal } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { contentTypeFor } from './content-type.js'
import {
  InvalidObjectNameError,
  ObjectLengthMismatchError,
  ObjectTooLargeError,
  checkBucketName,
  checkKey,
  checkPrefix,
  compareKeys,
  type ListOptions,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from './object-store.js'

export interface FileObjectStoreOptions {
  /** The root folder (created when missing): `<dir>/<project>/<bucket>/<key>`. */
  dir: string
  /**
   * A temp file nobody wrote to for this long is a crashed upload's, removed at start-up
   * (default 24 h: a live upload writes all the time, and may take as long as a request may).
   */
  staleTempMs?: number
  now?: () => number
}

/** Each object's file ends in this; no encoded folder name does (see `encodeSegment`). */
const FILE_SUFFIX = '%'
const TEMP_DIR = '.tmp'
/** The longest file name Linux, macOS and Windows file systems all accept, in bytes. */
const MAX_NAME_BYTES = 255
/** PATH_MAX is 4,096 on Linux; stay under it with room for the temp name. */
const MAX_PATH_BYTES = 4000
const WRITE_CHUNK = 1024 * 1024
const READ_CHUNK = 1024 * 1024

/**
 * Project names are credentials' (1-64 of `[A-Za-z0-9._-]`, starting with a letter or digit), so
 * none is `.`, `..` or `.tmp`, and none holds a separator. Upper-case letters are written `+x`:
 * on a case-insensitive file system (macOS, Windows) projects `A` and `a` still get two folders.
 */
const PROJECT_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
export const projectFolder = (project: string): string => {
  if (!PROJECT_RULE.test(project))
    throw new InvalidObjectNameError(
      `project "${project.slice(0, 80)}" is not a valid project name`,
      'project',
    )
  return project.replace(/[A-Z]/g, (c) => `+${c.toLowerCase()}`)
}

/**
 * A key segment (between slashes) as a folder or file name. Keys and "folders" share names in
 * S3 (`a` and `a/b` are two objects): an object's file is its last segment plus `%`, a folder is
 * a segment as it is, and a `%` inside a segment is written `%25`, so no folder name ends in `%`.
 * The names the file system would refuse or read as links are spelled out: the empty segment
 * (`a//b`, `dir/`) is `%00` (NUL is never in a key) and `.` is `%2E`.
 */
export const encodeSegment = (segment: string): string =>
  segment === '' ? '%00' : segment === '.' ? '%2E' : segment.replace(/%/g, '%25')

/** The inverse of encodeSegment, or undefined for a name it never writes (a stranger's file). */
export const decodeSegment = (name: string): string | undefined => {
  const segment = name === '%00' ? '' : name === '%2E' ? '.' : name.replace(/%25/g, '%')
  return encodeSegment(segment) === name ? segment : undefined
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code

/** A path that names nothing (a missing folder, or a file where a folder was expected). */
const isMissing = (e: unknown) => errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR'

const etagOf = (s: Stats) =>
  // A put writes a new file (a new inode); size and time tell two versions of one inode apart.
  `"${s.ino.toString(16)}-${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`

const infoOf = (bucket: string, key: string, s: Stats): ObjectInfo => ({
  bucket,
  key,
  bytes: s.size,
  lastModified: Math.floor(s.mtimeMs),
  contentType: contentTypeFor(key),
  etag: etagOf(s),
})

/**
 * The embedded back-end: `<dir>/<project>/<bucket>/<key>` on disk (DESIGN section 8). Bodies
 * stream to a temp file in `<dir>/.tmp`, which is fsynced and then renamed into place, so a
 * reader sees the old object or the whole new one, never a part. Content types are not stored:
 * they follow the key's extension.
 */
export const createFileObjectStore = async (opts: FileObjectStoreOptions): Promise<ObjectStore> => {
  const root = resolve(opts.dir)
  const tempDir = join(root, TEMP_DIR)
  const now = opts.now ?? Date.now
  await mkdir(tempDir, { recursive: true, mode: 0o700 })
  await removeStaleTemps(tempDir, now() - (opts.staleTempMs ?? 24 * 60 * 60 * 1000))

  const bucketPath = (project: string, bucket: string) => {
    checkBucketName(bucket)
    return join(root, projectFolder(project), bucket)
  }

  /** The object's file and its bucket folder; throws InvalidObjectNameError for a bad name. */
  const objectPath = (project: string, bucket: string, key: string) => {
    const bucketDir = bucketPath(project, bucket)
    checkKey(key)
    const names = key.split('/').map(encodeSegment)
    names[names.length - 1] += FILE_SUFFIX
    if (names.some((n) => Buffer.byteLength(n) > MAX_NAME_BYTES))
      throw new InvalidObjectNameError(
        `object key segments (between slashes) may be at most ${MAX_NAME_BYTES - 1} bytes long here`,
        'key',
      )
    const file = join(bucketDir, ...names)
    if (Buffer.byteLength(file) > MAX_PATH_BYTES)
      throw new InvalidObjectNameError('object key is too long for this server’s data folder', 'key')
    // The names above cannot climb out (no separators, no `.` or `..`); checked anyway, since a
    // mistake here would hand one project another's files.
    if (!file.startsWith(bucketDir + sep)) throw new Error(`object path escapes its bucket: ${key}`)
    return { file, bucketDir }
  }

  const statOrUndefined = async (path: string) => {
    try {
      return await stat(path)
    } catch (e) {
      if (isMissing(e)) return undefined
      throw e
    }
  }

  /** Removes the folders a delete left empty, up to the bucket (which stays). */
  const pruneEmptyFolders = async (from: string, bucketDir: string) => {
    for (let dir = from; dir.startsWith(bucketDir + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir)
      } catch {
        return // not empty (or gone): the folders above are not empty either
      }
    }
  }

  const store: ObjectStore = {
    kind: 'file',

    async put(project, bucket, key, body, putOpts: PutOptions = {}) {
      const { file } = objectPath(project, bucket, key)
      const { contentLength, maxBytes = Number.POSITIVE_INFINITY, signal } = putOpts
      // Refused before a byte is read: the client may still be waiting for 100-continue.
      if (contentLength !== undefined && contentLength > maxBytes) throw new ObjectTooLargeError(maxBytes)
      signal?.throwIfAborted()
      const temp = join(tempDir, `${randomUUID()}.part`)
      const handle = await open(temp, 'wx', 0o600)
      let handleOpen = true
      let received = 0
      // An abort must end a read that waits for data which will never come.
      const onAbort = () => body.destroy(signal?.reason as Error)
      signal?.addEventListener('abort', onAbort, { once: true })
      // Aborted while the temporary file was opened: the listener came too late to hear it.
      if (signal?.aborted) onAbort()
      try {
        // The source is read through an iterator that does not destroy it on a refusal: an HTTP
        // request destroyed here would take its socket, and the 413 or 400 with it.
        const counted = async function* () {
          for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
            received += chunk.length
            if (received > maxBytes) throw new ObjectTooLargeError(maxBytes)
            if (contentLength !== undefined && received > contentLength)
              throw new ObjectLengthMismatchError(contentLength, received)
            yield chunk
          }
          if (contentLength !== undefined && received !== contentLength)
            throw new ObjectLengthMismatchError(contentLength, received)
        }
        // Up to 1 MiB queues while a write is under way and goes out in one writev.
        // The stream closes the handle when it is done (a FileHandle a stream still holds never
        // finishes closing), so the data is made durable through a second descriptor.
        const sink = handle.createWriteStream({ highWaterMark: WRITE_CHUNK })
        await pipeline(counted, sink)
        handleOpen = false
        const written = await open(temp, 'r+')
        try {
          await written.sync()
        } finally {
          await written.close()
        }
        // A concurrent delete may remove a folder between mkdir and rename: make it again.
        for (let attempt = 0; ; attempt++) {
          await mkdir(dirname(file), { recursive: true, mode: 0o700 })
          try {
            await rename(temp, file)
            break
          } catch (e) {
            if (errno(e) !== 'ENOENT' || attempt >= 4) throw e
          }
        }
      } catch (e) {
        if (handleOpen) await handle.close().catch(() => undefined)
        await rm(temp, { force: true })
        throw signal?.aborted ? signal.reason : e
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
      // The rename is durable once its folder is on disk.
      const dir = await open(dirname(file), 'r')
      try {
        await dir.sync()
      } finally {
        await dir.close()
      }
      return infoOf(bucket, key, await stat(file))
    },

    async get(project, bucket, key, getOpts = {}) {
      const { file } = objectPath(project, bucket, key)
      let handle
      try {
        handle = await open(file, 'r')
      } catch (e) {
        if (isMissing(e)) return undefined
        throw e
      }
      try {
        // Size and date of the file this handle reads, even if a put replaces it meanwhile.
        const s = await handle.stat()
        const stream = handle.createReadStream({ highWaterMark: READ_CHUNK })
        return {
          info: infoOf(bucket, key, s),
          body: getOpts.signal ? addAbortSignal(getOpts.signal, stream) : stream,
        }
      } catch (e) {
        await handle.close()
        throw e
      }
    },

    async head(project, bucket, key) {
      const s = await statOrUndefined(objectPath(project, bucket, key).file)
      return s?.isFile() ? infoOf(bucket, key, s) : undefined
    },

    async delete(project, bucket, key) {
      const { file, bucketDir } = objectPath(project, bucket, key)
      try {
        await unlink(file)
      } catch (e) {
        if (isMissing(e)) return false
        throw e
      }
      await pruneEmptyFolders(dirname(file), bucketDir)
      return true
    },

    async list(project, bucket, prefix = '', listOpts: ListOptions = {}) {
      const bucketDir = bucketPath(project, bucket)
      checkPrefix(prefix)
      if (!(await statOrUndefined(bucketDir))?.isDirectory()) return undefined
      // Only the folder the prefix's complete segments name is walked.
      const segments = prefix.split('/')
      const partial = segments.pop() ?? ''
      const start = join(bucketDir, ...segments.map(encodeSegment))
      const keyBase = segments.map((s) => `${s}/`).join('')
      const found: { key: string; file: string }[] = []
      const walk = async (dir: string, base: string, filter: string | undefined) => {
        let entries
        try {
          entries = await readdir(dir, { withFileTypes: true })
        } catch (e) {
          if (isMissing(e)) return
          throw e
        }
        for (const entry of entries) {
          const isFile = entry.isFile() && entry.name.endsWith(FILE_SUFFIX)
          if (!isFile && !entry.isDirectory()) continue
          const segment = decodeSegment(isFile ? entry.name.slice(0, -FILE_SUFFIX.length) : entry.name)
          if (segment === undefined || (filter !== undefined && !segment.startsWith(filter))) continue
          const path = join(dir, entry.name)
          if (isFile) found.push({ key: base + segment, file: path })
          else await walk(path, `${base}${segment}/`, undefined)
        }
      }
      await walk(start, keyBase, partial)
      found.sort((a, b) => compareKeys(a.key, b.key))
      const after = listOpts.after
      const from = after === undefined ? 0 : found.findIndex((f) => compareKeys(f.key, after) > 0)
      const page =
        from < 0 ? [] : found.slice(from, listOpts.limit === undefined ? undefined : from + listOpts.limit)
      const out: ObjectInfo[] = []
      for (const f of page) {
        // Deleted since the walk: not listed.
        const s = await statOrUndefined(f.file)
        if (s?.isFile()) out.push(infoOf(bucket, f.key, s))
      }
      return out
    },

    async bucketExists(project, bucket) {
      return (await statOrUndefined(bucketPath(project, bucket)))?.isDirectory() === true
    },

    async createBucket(project, bucket) {
      const dir = bucketPath(project, bucket)
      await mkdir(dirname(dir), { recursive: true, mode: 0o700 })
      try {
        await mkdir(dir, { mode: 0o700 })
        return true
      } catch (e) {
        if (errno(e) === 'EEXIST') return false
        throw e
      }
    },

    async deleteBucket(project, bucket) {
      try {
        await rmdir(bucketPath(project, bucket))
        return 'deleted'
      } catch (e) {
        if (isMissing(e)) return 'missing'
        if (errno(e) === 'ENOTEMPTY' || errno(e) === 'EEXIST') return 'not-empty'
        throw e
      }
    },
  }
  return store
}

/** Temp files of uploads a crash interrupted; a live upload's file was written to just now. */
const removeStaleTemps = async (tempDir: string, olderThan: number) => {
  for (const name of await readdir(tempDir)) {
    const path = join(tempDir, name)
    const s = await stat(path).catch(() => undefined)
    if (s && s.mtimeMs < olderThan) await rm(path, { force: true, recursive: true })
  }
}
