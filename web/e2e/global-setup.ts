import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { ADMIN_TOKEN, CREDENTIALS, serverUrlKey } from './env.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Starts `hadoop-eco serve` as users run it, and resolves with the URL it prints. */
const serve = (env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'hadoop-eco.js'), 'serve', '--port', '0'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 30_000)
    const read = (chunk: Buffer) => {
      out += chunk.toString()
      const m = /hadoop-eco listening on (\S+)/.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve({ url: m[1], child })
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited with ${code}:\n${out}`))
    })
  })

export default async function globalSetup() {
  const scratch = mkdtempSync(join(tmpdir(), 'hadoop-eco-console-'))
  const base = {
    HADOOP_ECO_CREDENTIALS: CREDENTIALS,
    HADOOP_ECO_ADMIN_TOKEN: ADMIN_TOKEN,
    // Create to Running in about 3.5 s: slow enough to see every status, fast enough to wait for.
    HADOOP_ECO_TIME_SCALE: '0.01',
    HADOOP_ECO_LOG_LEVEL: 'warn',
    HADOOP_ECO_RATE_LIMIT: '0',
    HADOOP_ECO_AUTH_FAILURE_LIMIT: '0',
  }
  const children: ChildProcess[] = []
  const sqlite = await serve({
    ...base,
    HADOOP_ECO_DATABASE_URL: `sqlite:${join(scratch, 'sqlite', 'hadoop-eco.db')}`,
    HADOOP_ECO_DATA_DIR: join(scratch, 'sqlite'),
  })
  children.push(sqlite.child)
  process.env[serverUrlKey('sqlite')] = sqlite.url

  let dropDatabase: (() => Promise<void>) | undefined
  const pgUrl = process.env.HADOOP_ECO_TEST_DATABASE_URL
  if (pgUrl) {
    // A database of its own, so the run starts empty and leaves nothing behind.
    const name = `hadoop_eco_console_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: pgUrl })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
    await admin.end()
    const url = new URL(pgUrl)
    url.pathname = `/${name}`
    const postgres = await serve({
      ...base,
      HADOOP_ECO_DATABASE_URL: url.toString(),
      HADOOP_ECO_DATA_DIR: join(scratch, 'postgres'),
    })
    children.push(postgres.child)
    process.env[serverUrlKey('postgres')] = postgres.url
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: pgUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    }
  }

  return async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve()
            c.removeAllListeners('exit')
            c.once('exit', () => resolve())
            c.kill('SIGTERM')
          }),
      ),
    )
    await dropDatabase?.()
    rmSync(scratch, { recursive: true, force: true })
  }
}
