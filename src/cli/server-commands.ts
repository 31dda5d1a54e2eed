import { loadConfig } from '../config.js'
import { createServer } from '../server.js'
import { createCredentialService } from '../services/credentials.js'
import { createCredentialStore } from '../store/credentials.js'
import { openDatabase } from '../store/index.js'
import { packageVersion } from './version.js'

export const serve = async (
  flags: Record<string, string | boolean>,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> => {
  const config = loadConfig(process.env, flags)
  const server = await createServer(config, { version: packageVersion() ?? '0.0.0' })
  if (server.generatedCredential) {
    const c = server.generatedCredential
    // Printed once, on purpose, to the terminal; only its hash is stored.
    out.write(
      [
        '',
        '  A credential was created for project "default" (shown only this once):',
        `    Credential-ID:     ${c.id}`,
        `    Credential-Secret: ${c.secret}`,
        '',
        '',
      ].join('\n'),
    )
  }
  const address = await server.app.listen({ host: config.host, port: config.port })
  // DESIGN section 14: one plain line with the URL as soon as it listens (the JSON log is
  // buffered, and with --port 0 this is the only place the port shows).
  out.write(`hadoop-eco listening on ${address}\n`)
  server.app.log.info(
    { address, database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@'), timeScale: config.timeScale },
    'hadoop-eco listening',
  )
  const failed = await new Promise<boolean>((resolve) => {
    const stop = (signal: string) => {
      server.app.log.info({ signal }, 'shutting down')
      resolve(false)
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
    // Passwords that cannot be sealed leave a server that cannot run clusters: stop, loudly.
    void server.sealed.then((e) => {
      if (!e) return
      server.app.log.fatal({ err: e }, 'stored passwords could not be sealed: shutting down')
      resolve(true)
    })
  })
  await server.close()
  return failed ? 1 : 0
}

export const migrate = async (flags: Record<string, string | boolean>): Promise<number> => {
  const config = loadConfig(process.env, flags)
  const db = await openDatabase(config.databaseUrl)
  await db.migrate()
  await db.close()
  process.stdout.write('migrations applied\n')
  return 0
}

/** Operator commands that work on the database directly (no server needed). */
export const credentials = async (
  args: string[],
  flags: Record<string, string | boolean>,
): Promise<number> => {
  const config = loadConfig(process.env, flags)
  const db = await openDatabase(config.databaseUrl)
  if (config.migrate) await db.migrate()
  const svc = createCredentialService({ store: createCredentialStore(db), now: () => Date.now() })
  try {
    const [sub, arg] = args
    if (sub === 'create') {
      const project = typeof flags.project === 'string' ? flags.project : 'default'
      const c = await svc.create(project, typeof flags.owner === 'string' ? flags.owner : undefined)
      if (flags.output === 'json' || flags.o === 'json')
        process.stdout.write(
          `${JSON.stringify({ id: c.id, secret: c.secret, project: c.project, owner: c.owner })}\n`,
        )
      else
        process.stdout.write(
          `Credential-ID:     ${c.id}\nCredential-Secret: ${c.secret}\nProject:           ${c.project}\n`,
        )
      return 0
    }
    if (sub === 'list') {
      const rows = await svc.list()
      if (flags.output === 'json' || flags.o === 'json')
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`)
      else
        for (const r of rows)
          process.stdout.write(`${r.id}\t${r.project}\t${r.owner}\t${r.revokedAt ? 'revoked' : 'active'}\n`)
      return 0
    }
    if (sub === 'revoke' && arg) {
      if (!(await svc.revoke(arg))) {
        process.stderr.write(`credential ${arg} not found or already revoked\n`)
        return 4
      }
      process.stdout.write(`revoked ${arg}\n`)
      return 0
    }
    process.stderr.write('usage: hadoop-eco credentials create --project P [--owner O] | list | revoke ID\n')
    return 2
  } finally {
    await db.close()
  }
}
