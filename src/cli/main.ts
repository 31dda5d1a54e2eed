import { parseArgs } from 'node:util'
import { EXIT_CODES_HELP } from './exit-codes.js'

export const HELP = `hadoop-eco: a self-hostable Hadoop Eco Open API server, SDK and CLI

Usage: hadoop-eco <command> [options]

Server commands:
  serve                         run the API server and the reconciler
    --host H --port P           listen address (HADOOP_ECO_HOST / HADOOP_ECO_PORT; 127.0.0.1:8080)
    --database-url URL          sqlite:<path> | sqlite::memory: | postgres://... (HADOOP_ECO_DATABASE_URL)
    --time-scale X              simulator speed (HADOOP_ECO_TIME_SCALE, default 0.02)
    --data-dir DIR              where the generated secret.key lives (HADOOP_ECO_DATA_DIR)
    --no-migrate                do not apply migrations on start
  migrate                       apply database migrations and exit
  credentials create --project P [--owner O] [-o json]
  credentials list [-o json]
  credentials revoke ID

Client commands (over HTTP; endpoint and credential from --endpoint/--profile, HADOOP_ECO_ENDPOINT,
HADOOP_ECO_CREDENTIAL_ID, HADOOP_ECO_CREDENTIAL_SECRET or ~/.config/hadoop-eco/config.yaml):
  clusters create -f SPEC [--wait] [--dry-run]   create a cluster from a JSON/YAML spec
  clusters get ID                                show a cluster
  clusters list [--name S] [--all-pages]         list clusters
  clusters vms ID                                list a cluster's VMs
  clusters delete ID [--wait]                    delete a cluster
  clusters scale-out ID --count N [--wait]       add workers
  clusters scale-in ID --count N [--wait]        remove workers
  clusters events ID                             a cluster's history
  clusters configs ID [--role R] [--file NAME]   the configuration files its nodes get
  clusters tasks ID                              the runs of its userTask
  clusters logs ID [--task T] [--follow]         a task run's log
  clusters api-key issue|revoke ID               a job cluster's API key
  clusters rerun ID [--worker-count N] [--wait]  run a terminated job cluster again
  clusters requests ID [REQUEST]                 a job cluster's re-runs
    -o table|json|yaml, --endpoint URL, --profile NAME; "hadoop-eco clusters CMD --help" for more
  objects put FILE URL                           upload a file to Object Storage
  objects get URL [FILE]                         download an object (to stdout without FILE)
  objects ls URL-PREFIX                          list objects
  objects rm URL                                 delete an object
    URL: http(s)://HOST/v1/PROJECT/BUCKET/KEY (this server) or s3://BUCKET/KEY;
    "hadoop-eco objects --help" for more

Examples:
  hadoop-eco serve --port 8080
  HADOOP_ECO_DATABASE_URL=sqlite:/var/lib/hadoop-eco.db hadoop-eco serve
  hadoop-eco credentials create --project analytics
  hadoop-eco clusters create -f cluster.yaml --wait
  hadoop-eco clusters list -o json
  hadoop-eco objects put bootstrap.sh http://localhost:8080/v1/my-project/scripts/bootstrap.sh

${EXIT_CODES_HELP}`

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
  if (command === 'clusters') {
    // Loaded on demand: the client commands need none of the server's modules, and start faster.
    const { clustersCommand } = await import('./cluster-commands.js')
    return clustersCommand(rest)
  }
  if (command === 'objects') {
    const { objectsCommand } = await import('./object-commands.js')
    return objectsCommand(rest)
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
      const { credentials, migrate, serve } = await import('./server-commands.js')
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
