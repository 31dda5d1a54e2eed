import { parseArgs } from 'node:util'
import { credentials, migrate, serve } from './server-commands.js'

export const HELP = `hadoop-eco: a self-hostable Hadoop Eco Open API server, SDK and CLI

Usage: hadoop-eco <command> [options]

Server commands:
  serve                         run the API server and the reconciler
    --host H --port P           listen address (HADOOP_ECO_HOST / HADOOP_ECO_PORT; 127.0.0.1:8080)
    --database-url URL          sqlite:<path> | sqlite::memory: | postgres://... (HADOOP_ECO_DATABASE_URL)
    --time-scale X              simulator speed (HADOOP_ECO_TIME_SCALE, default 0.02)
    --no-migrate                do not apply migrations on start
  migrate                       apply database migrations and exit
  credentials create --project P [--owner O] [-o json]
  credentials list [-o json]
  credentials revoke ID

Examples:
  hadoop-eco serve --port 8080
  HADOOP_ECO_DATABASE_URL=sqlite:/var/lib/hadoop-eco.db hadoop-eco serve
  hadoop-eco credentials create --project analytics
`

const SERVER_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'database-url': { type: 'string' },
  'time-scale': { type: 'string' },
  'log-level': { type: 'string' },
  'admin-token': { type: 'string' },
  credentials: { type: 'string' },
  'no-migrate': { type: 'boolean' },
  project: { type: 'string' },
  owner: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const

export const main = async (argv: string[]): Promise<number> => {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  try {
    if (command === 'serve' || command === 'migrate' || command === 'credentials') {
      const { values, positionals } = parseArgs({
        args: rest,
        options: SERVER_OPTIONS,
        allowPositionals: true,
        strict: true,
      })
      if (values.help) {
        process.stdout.write(HELP)
        return 0
      }
      const flags = values as Record<string, string | boolean>
      if (command === 'serve') return await serve(flags)
      if (command === 'migrate') return await migrate(flags)
      return await credentials(positionals, flags)
    }
    process.stderr.write(`unknown command "${command}"\n\n${HELP}`)
    return 2
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`)
    return 1
  }
}
