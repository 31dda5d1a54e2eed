import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { createServer } from '../../src/server.js'
import { E2E_BIN } from './build.js'
import { HadoopEcoClient, type HadoopEcoClientOptions } from '../../src/sdk/index.js'
import { validBody } from '../fixtures/valid-body.js'

export const ADMIN_TOKEN = 'admin-token-123'
export const CREDENTIAL = { id: 'e2e-id', secret: 'e2e-secret-123' }
export const OTHER_CREDENTIAL = { id: 'e2e-other', secret: 'e2e-other-secret-456' }
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
export const E2E_FIXTURES = join(import.meta.dirname, 'fixtures')

export interface E2EServer {
  url: string
  dir: string
  /** POST /_admin/faults; returns the stored fault. */
  fault(body: Record<string, unknown>): Promise<{ id: string }>
  clearFaults(): Promise<void>
  close(): Promise<void>
}

/**
 * The real server on a real socket and a real SQLite file, with its own reconciler running
 * (time scale 0.001: a cluster is Running in well under a second).
 */
export const startE2EServer = async (): Promise<E2EServer> => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-e2e-'))
  const server = await createServer(
    loadConfig({
      HADOOP_ECO_DATABASE_URL: `sqlite:${join(dir, 't.db')}`,
      HADOOP_ECO_CREDENTIALS: `${CREDENTIAL.id}:${CREDENTIAL.secret}@proj,${OTHER_CREDENTIAL.id}:${OTHER_CREDENTIAL.secret}@other`,
      HADOOP_ECO_TIME_SCALE: '0.001',
      HADOOP_ECO_POLL_MS: '20',
      HADOOP_ECO_ADMIN_TOKEN: ADMIN_TOKEN,
    }),
    { logger: pino({ level: 'silent' }) },
  )
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 })
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  return {
    url,
    dir,
    async fault(body) {
      const res = await admin('POST', '/_admin/faults', body)
      if (res.status !== 201) throw new Error(`fault not created: ${res.status} ${await res.text()}`)
      return (await res.json()) as { id: string }
    },
    async clearFaults() {
      const list = (await (await admin('GET', '/_admin/faults')).json()) as { id: string }[]
      for (const f of list) await admin('DELETE', `/_admin/faults/${f.id}`)
    },
    async close() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A port nothing listens on: bound, then released. */
export const closedPort = async (): Promise<number> => {
  const srv = createNetServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address() as AddressInfo
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

/** A unique, valid cluster name (3..20 chars, lowercase, starts with a letter). */
let n = 0
export const uniqueName = (prefix: string) =>
  `${prefix}-${process.pid.toString(36)}${(n++).toString(36)}`.slice(0, 20).replace(/-$/, 'x')

export const minimalSpec = (name: string, over: Record<string, unknown> = {}) => validBody({ name, ...over })

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs the built CLI (`node bin/hadoop-eco.js ...`) as a child process, asynchronously so the
 * in-process server keeps answering. The environment is built from scratch: nothing of the
 * developer's HADOOP_ECO_* variables or ~/.config leaks in.
 */
export const runCli = (
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string; home: string },
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [E2E_BIN, ...args], {
      cwd: opts.cwd ?? opts.home,
      env: {
        PATH: process.env.PATH,
        HOME: opts.home,
        XDG_CONFIG_HOME: join(opts.home, '.config'),
        ...opts.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(opts.input ?? '')
  })

export const tempHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'hadoop-eco-home-'))
  mkdirSync(join(home, '.config'), { recursive: true })
  return home
}

/** The SDK on the server at `url` with the test credential. */
export const sdkClient = (url: string, over: HadoopEcoClientOptions = {}): HadoopEcoClient =>
  new HadoopEcoClient({
    endpoint: url,
    credentialId: CREDENTIAL.id,
    credentialSecret: CREDENTIAL.secret,
    ...over,
  })

/** The CLI's environment for the server at `url` with the test credential. */
export const cliEnv = (url: string): Record<string, string> => ({
  HADOOP_ECO_ENDPOINT: url,
  HADOOP_ECO_CREDENTIAL_ID: CREDENTIAL.id,
  HADOOP_ECO_CREDENTIAL_SECRET: CREDENTIAL.secret,
})

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}
/**
 * What the proxy does with one request: pass it on, pass it on and lose the answer, never
 * answer, or answer itself.
 */
export type ProxyAction =
  'forward' | 'drop-response' | 'hang' | { status: number; headers?: Record<string, string>; body?: string }

/**
 * A pass-through HTTP proxy in front of the real server, to create the network's failures:
 * an answer lost after the server acted, or a 429 with `Retry-After`. It records every request.
 */
export const startProxy = async (upstream: string) => {
  const actions: ProxyAction[] = []
  const seen: SeenRequest[] = []
  const server = createHttpServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
    const action = actions.shift() ?? 'forward'
    if (action === 'hang') return
    if (typeof action === 'object') {
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers })
      res.end(action.body ?? '{}')
      return
    }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v
    const answer = await fetch(`${upstream}${req.url}`, {
      method: req.method,
      headers,
      body: body === '' ? undefined : body,
    })
    const text = await answer.text()
    if (action === 'drop-response') {
      // The server did the work; the client never hears about it.
      req.socket.destroy()
      return
    }
    const out: Record<string, string> = {}
    answer.headers.forEach((v, k) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) out[k] = v
    })
    res.writeHead(answer.status, out)
    res.end(text)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    actions,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
