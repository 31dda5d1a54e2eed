import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCredentialList } from './services/credentials.js'
import { HadoopEcoClient } from './sdk/client.js'
import { createServer, type Server } from './server.js'

/** Options of {@link startHadoopEco}; everything has a default fit for a test suite. */
export interface StartHadoopEcoOptions {
  /** The simulator's time scale (DESIGN section 5). Default 0: every status, as fast as possible. */
  timeScale?: number
  /** More credentials, `id:secret[@project],...`; the first one is the one returned and used by `client`. */
  credentials?: string
  /** Where Object Storage keeps its files; default a temporary folder removed by `close()`. */
  objectStoreDir?: string
  /** Default `silent`. */
  logLevel?: string
  /** Default `sqlite::memory:`; a `postgres://` URL runs against that database. */
  databaseUrl?: string
}

export interface HadoopEco {
  /** Base URL, e.g. `http://127.0.0.1:41234`: the endpoint for the SDK, the CLI or any HTTP client. */
  url: string
  /** The credential the server was started with: headers `Credential-ID` and `Credential-Secret`. */
  credential: { id: string; secret: string; project: string }
  /** Bearer token of the admin API (`/_admin`: faults, credentials, reset). */
  adminToken: string
  /** The SDK, on `url` with `credential`. */
  client: HadoopEcoClient
  /** The server itself, for what the HTTP API does not show. */
  server: Server
  /** Stops the server and removes what it created. */
  close(): Promise<void>
}

/**
 * A complete server in this process (DESIGN section 14): in-memory SQLite, a free port, time
 * scale 0, quiet logs, a fresh credential and admin token.
 * @example
 * import { startHadoopEco } from 'hadoop-eco/testing'
 * const eco = await startHadoopEco()
 * const { id } = await eco.client.clusters.create(spec)
 * await eco.client.waitFor(id, 'Running')
 * await eco.close()
 */
export const startHadoopEco = async (opts: StartHadoopEcoOptions = {}): Promise<HadoopEco> => {
  const token = (n: number) => randomBytes(n).toString('base64url')
  const given = opts.credentials ? parseCredentialList(opts.credentials) : []
  const credential = given[0] ?? {
    id: `test-${randomBytes(6).toString('hex')}`,
    secret: token(24),
    project: 'default',
  }
  const credentials = [
    ...(given.length === 0 ? [`${credential.id}:${credential.secret}@${credential.project}`] : []),
    ...given.map((c) => `${c.id}:${c.secret}@${c.project}`),
  ].join(',')
  const adminToken = token(24)
  const scratch = opts.objectStoreDir === undefined ? mkdtempSync(join(tmpdir(), 'hadoop-eco-')) : undefined
  const objectDir = opts.objectStoreDir ?? join(scratch!, 'objects')
  let server: Server | undefined
  try {
    server = await createServer({
      host: '127.0.0.1',
      port: 0,
      databaseUrl: opts.databaseUrl ?? 'sqlite::memory:',
      credentials,
      adminToken,
      timeScale: opts.timeScale ?? 0,
      logLevel: opts.logLevel ?? 'silent',
      // A key of its own: nothing is written to the caller's working directory.
      secretKey: randomBytes(32).toString('hex'),
      dataDir: scratch ?? objectDir,
      objectStore: { kind: 'file', dir: objectDir },
      // Work written by this process wakes the reconciler at once; the poll only matters for timers.
      pollMs: 20,
      // A suite fires many requests from one address: the abuse limits would only get in the way.
      rateLimit: 0,
      authFailureLimit: 0,
    })
    const url = await server.app.listen({ host: '127.0.0.1', port: 0 })
    const started = server
    const client = new HadoopEcoClient({
      endpoint: url,
      credentialId: credential.id,
      credentialSecret: credential.secret,
      pollIntervalMs: 50,
    })
    return {
      url,
      credential,
      adminToken,
      client,
      server: started,
      async close() {
        await started.close()
        if (scratch) rmSync(scratch, { recursive: true, force: true })
      },
    }
  } catch (e) {
    await server?.close().catch(() => undefined)
    if (scratch) rmSync(scratch, { recursive: true, force: true })
    throw e
  }
}
