// npm run bench -- objects: a 1 GiB object up and down the Swift-style route of a real server
// process, side by side with a plain file copy on the same disk, and the server's peak RSS.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, statSync } from 'node:fs'
import { copyFile, open, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { freePort, rssMb, spawnNode, waitHttp } from './lib.js'

const SIZE = Number(process.env.BENCH_OBJECT_BYTES ?? 1024 ** 3)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const credential = { 'credential-id': 'bench-id', 'credential-secret': 'bench-secret-1234' }
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mbps = (ms) => Math.round((SIZE / 2 ** 20 / (ms / 1000)) * 10) / 10

const fsyncFile = async (path) => {
  const fh = await open(path, 'r+')
  await fh.sync()
  await fh.close()
}

/** A source file of SIZE bytes that is not all zeros (no file system shortcut applies). */
const writeSource = async (path) => {
  const block = Buffer.alloc(4 * 1024 * 1024)
  for (let i = 0; i < block.length; i++) block[i] = (i * 131 + (i >> 9)) & 0xff
  const fh = await open(path, 'w')
  for (let written = 0; written < SIZE; written += block.length)
    await fh.write(block, 0, Math.min(block.length, SIZE - written))
  await fh.sync()
  await fh.close()
}

const sha256 = async (path) => {
  const h = createHash('sha256')
  for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(c)
  return h.digest('hex')
}

/**
 * The download is written to disk in 1 MiB writes, as the stream copy writes: a response arrives
 * in 64 KiB socket reads, and a client writing each one on its own measures itself, not the server.
 */
const inMiBs = () => {
  let parts = []
  let size = 0
  return new Transform({
    transform(chunk, _enc, done) {
      parts.push(chunk)
      size += chunk.length
      if (size >= 1024 * 1024) {
        this.push(Buffer.concat(parts, size))
        parts = []
        size = 0
      }
      done()
    },
    flush(done) {
      if (size > 0) this.push(Buffer.concat(parts, size))
      done()
    },
  })
}

/** Milliseconds `work` takes. */
const time = async (work) => {
  const t0 = performance.now()
  await work()
  return performance.now() - t0
}

const send = (port, method, path, { body, length, sink } = {}) =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...credential, ...(length === undefined ? {} : { 'content-length': String(length) }) },
      },
      (res) => {
        if (res.statusCode >= 300) {
          let text = ''
          res.on('data', (d) => (text += d))
          res.on('end', () => reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`)))
          return
        }
        if (sink) pipeline(res, inMiBs(), sink).then(() => resolve(res.statusCode), reject)
        else {
          res.resume()
          res.on('end', () => resolve(res.statusCode))
        }
      },
    )
    req.on('error', reject)
    if (body) pipeline(body, req).catch(reject)
    else req.end()
  })

export const objects = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-bench-objects-'))
  const source = join(dir, 'source.bin')
  try {
    await writeSource(source)
    const port = await freePort()
    const log = openSync(join(dir, 'server.log'), 'w')
    const { child, exited } = spawnNode(
      ['bin/hadoop-eco.js', 'serve', '--port', String(port)],
      {
        HADOOP_ECO_DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
        HADOOP_ECO_CREDENTIALS: 'bench-id:bench-secret-1234@bench',
        HADOOP_ECO_OBJECT_STORE: `file:${join(dir, 'objects')}`,
        HADOOP_ECO_LOG_LEVEL: 'info',
        // The whole upload must arrive within the request deadline (30 s by default).
        HADOOP_ECO_REQUEST_TIMEOUT_MS: '600000',
      },
      log,
    )
    await waitHttp(`http://127.0.0.1:${port}/healthz`)
    // Warm-up: the route, the store and the JIT, before the baseline RSS is taken.
    for (let i = 0; i < 20; i++) {
      const small = Buffer.alloc(256 * 1024, i)
      await send(port, 'PUT', '/v1/bench/warm/k', { body: Readable.from([small]), length: small.length })
      await send(port, 'GET', '/v1/bench/warm/k')
    }
    const baselineRss = rssMb(child.pid)
    let peakRss = baselineRss
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(child.pid))), 20)

    const rounds = []
    for (let r = 0; r < ROUNDS; r++) {
      const copied = join(dir, `copy-${r}.bin`)
      const streamed = join(dir, `stream-${r}.bin`)
      const downloaded = join(dir, `download-${r}.bin`)
      // Each copy is fsynced, as the store fsyncs each upload before it is visible.
      const copyFileMs = await time(async () => {
        await copyFile(source, copied)
        await fsyncFile(copied)
      })
      await rm(copied)
      const streamCopyMs = await time(async () => {
        await pipeline(
          createReadStream(source, { highWaterMark: 1024 * 1024 }),
          createWriteStream(streamed, { highWaterMark: 1024 * 1024 }),
        )
        await fsyncFile(streamed)
      })
      await rm(streamed)
      const uploadMs = await time(() =>
        send(port, 'PUT', `/v1/bench/big/object-${r}.bin`, {
          body: createReadStream(source, { highWaterMark: 1024 * 1024 }),
          length: SIZE,
        }),
      )
      const downloadMs = await time(async () => {
        await send(port, 'GET', `/v1/bench/big/object-${r}.bin`, {
          sink: createWriteStream(downloaded, { highWaterMark: 1024 * 1024 }),
        })
        await fsyncFile(downloaded)
      })
      if (statSync(downloaded).size !== SIZE) throw new Error('the download is not the size of the upload')
      if (r === 0 && (await sha256(downloaded)) !== (await sha256(source)))
        throw new Error('the download differs from the upload')
      await rm(downloaded)
      await send(port, 'DELETE', `/v1/bench/big/object-${r}.bin`)
      const round = { copyFileMs, streamCopyMs, uploadMs, downloadMs }
      rounds.push(round)
      console.log(JSON.stringify({ round: r, ...round }))
    }
    clearInterval(sampler)
    child.kill('SIGTERM')
    await exited

    const pick = (k) => median(rounds.map((x) => x[k]))
    const pct = (baseline, ms) => Math.round((pick(baseline) / pick(ms)) * 1000) / 10
    const out = {
      bytes: SIZE,
      rounds: rounds.map((x) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Math.round(v)]))),
      medianMBps: {
        copyFile: mbps(pick('copyFileMs')),
        streamCopy: mbps(pick('streamCopyMs')),
        upload: mbps(pick('uploadMs')),
        download: mbps(pick('downloadMs')),
      },
      // Speed as a share of each copy's: the target (>= 50 %) is against the stream copy, the same
      // reads and writes in user space; fs.copyFile copies inside the kernel (copy_file_range).
      uploadPct: { ofStreamCopy: pct('streamCopyMs', 'uploadMs'), ofCopyFile: pct('copyFileMs', 'uploadMs') },
      downloadPct: {
        ofStreamCopy: pct('streamCopyMs', 'downloadMs'),
        ofCopyFile: pct('copyFileMs', 'downloadMs'),
      },
      serverRssMb: {
        baseline: Math.round(baselineRss),
        peak: Math.round(peakRss),
        growth: Math.round(peakRss - baselineRss),
      },
    }
    console.log(JSON.stringify({ objects: out }, null, 2))
    return out
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
