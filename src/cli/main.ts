import {
  CONNECTION_OPTIONS,
  parseCommandLine,
  processIO,
  writeError,
  type CliIO,
  type CommandGroup,
} from './command-line.js'
import { SHELLS, completionScript } from './completion.js'
import { ROLES } from './config-files.js'
import { EXIT, EXIT_CODES_HELP, UsageError, exitCodeFor } from './exit-codes.js'
import { CLUSTERS_HELP, COMPLETION_HELP, CONFIGURE_HELP, OBJECTS_HELP } from './help.js'
import { FORMATS, makeColors } from './output.js'
import { packageVersion } from './version.js'

export const HELP = `hadoop-eco: a self-hostable Hadoop Eco Open API server, SDK and CLI

Usage: hadoop-eco <command> [options]

Server commands:
  serve                         run the API server and the reconciler
    --host H --port P           listen address (HADOOP_ECO_HOST / HADOOP_ECO_PORT; 127.0.0.1:8080)
    --database-url URL          sqlite:<path> | sqlite::memory: | postgres://... (HADOOP_ECO_DATABASE_URL)
    --time-scale X              simulator speed (HADOOP_ECO_TIME_SCALE, default 0.02)
    --provider P                simulator | kubernetes (HADOOP_ECO_PROVIDER; docs/kubernetes.md)
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

Setup:
  configure [--profile NAME]                     save an endpoint and credential in a profile of
                                                 the config file (asks for what is not given)
  completion bash|zsh|fish                       print a shell completion script
  --version, -V                                  print the version

Examples:
  hadoop-eco serve --port 8080
  HADOOP_ECO_DATABASE_URL=sqlite:/var/lib/hadoop-eco.db hadoop-eco serve
  hadoop-eco credentials create --project analytics
  hadoop-eco clusters create -f cluster.yaml --wait
  hadoop-eco clusters list -o json
  hadoop-eco objects put bootstrap.sh http://localhost:8080/v1/my-project/scripts/bootstrap.sh
  hadoop-eco configure --profile prod
  source <(hadoop-eco completion bash)

${EXIT_CODES_HELP}`

const SERVER_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'database-url': { type: 'string' },
  'time-scale': { type: 'string' },
  provider: { type: 'string' },
  'data-dir': { type: 'string' },
  'log-level': { type: 'string' },
  'admin-token': { type: 'string' },
  credentials: { type: 'string' },
  'no-migrate': { type: 'boolean' },
  project: { type: 'string' },
  owner: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const
const OPTIONS = { ...SERVER_OPTIONS, ...CONNECTION_OPTIONS } as const
type Flag = keyof typeof OPTIONS

/** Every server command takes every server flag: each reads what it needs of loadConfig's. */
const SERVER_FLAGS = (Object.keys(SERVER_OPTIONS) as Flag[]).filter((f) => f !== 'help')

/**
 * The top level: what the parser, the suggestions for a mistyped command and the shell
 * completions read. `clusters` and `objects` are groups of their own.
 */
export const TOP: CommandGroup<typeof OPTIONS, { flags: Flag[]; actions?: readonly string[] }> = {
  path: '',
  options: OPTIONS,
  common: ['help'],
  commands: {
    serve: { flags: SERVER_FLAGS },
    migrate: { flags: SERVER_FLAGS },
    credentials: { flags: SERVER_FLAGS, actions: ['create', 'list', 'revoke'] },
    configure: { flags: ['profile', 'endpoint', 'credential-id', 'credential-secret'] },
    completion: { flags: [], actions: SHELLS },
  },
  others: ['clusters', 'objects'],
  help: HELP,
  commandHelp: {
    clusters: CLUSTERS_HELP,
    objects: OBJECTS_HELP,
    configure: CONFIGURE_HELP,
    completion: COMPLETION_HELP,
  },
  bareExit: EXIT.OK,
  ownFlags: ['--help', '-h', '--version', '-V'],
}

/** `hadoop-eco completion SHELL`: the script, from the tables of the top level and each group. */
const completion = async ([shell, ...more]: string[], io: CliIO): Promise<number> => {
  if (shell === undefined || more.length > 0)
    throw new UsageError(`give one shell: hadoop-eco completion ${SHELLS.join('|')}`)
  if (!(SHELLS as readonly string[]).includes(shell))
    throw new UsageError(`unknown shell ${shell}: give ${SHELLS.slice(0, -1).join(', ')} or ${SHELLS.at(-1)}`)
  const [{ CLUSTERS }, { OBJECTS }] = await Promise.all([
    import('./cluster-commands.js'),
    import('./object-commands.js'),
  ])
  const hints = { choices: { output: FORMATS, role: ROLES }, files: ['file', 'data-dir'] }
  io.stdout.write(completionScript(shell, TOP, { clusters: CLUSTERS, objects: OBJECTS }, hints))
  return EXIT.OK
}

export const main = async (argv: string[]): Promise<number> => {
  const [command, ...rest] = argv
  if (command === '--version' || command === '-V') {
    const version = packageVersion()
    if (version === undefined) {
      process.stderr.write('error: no version: package.json is not beside the installed code\n')
      return EXIT.ERROR
    }
    process.stdout.write(`${version}\n`)
    return EXIT.OK
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
  const io = processIO()
  const line = parseCommandLine(TOP, argv, io)
  if ('exit' in line) return line.exit
  const { sub, values, positionals } = line
  if (sub === 'completion' || sub === 'configure')
    try {
      if (sub === 'completion') return await completion(positionals, io)
      const { configure } = await import('./configure.js')
      return await configure(values, io, process.stdin)
    } catch (e) {
      writeError(io, makeColors(io.stderr, io.env), e, sub)
      return exitCodeFor(e)
    }
  try {
    const flags = values as Record<string, string | boolean>
    const { credentials, migrate, serve } = await import('./server-commands.js')
    if (sub === 'serve') return await serve(flags)
    if (sub === 'migrate') return await migrate(flags)
    return await credentials(positionals, flags)
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`)
    return 1
  }
}
