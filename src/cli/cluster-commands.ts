import {
  ClusterEndedError,
  WaitTimeoutError,
  type Cluster,
  type ClusterRef,
  type ClusterSummary,
  type CreateClusterRequest,
  type JobRequest,
  type Page,
  type RerunRequest,
  type RerunResponse,
  type WaitTarget,
} from '../sdk/index.js'
import {
  CONNECTION_OPTIONS,
  didYouMean,
  parseCommandLine,
  processIO,
  suggest,
  writeError,
  type CliIO,
  type CommandGroup,
  type Values as ValuesOf,
} from './command-line.js'
import { configsOutput, parseRole } from './config-files.js'
import { EXIT, UsageError, exitCodeFor } from './exit-codes.js'
import { CLUSTERS_HELP, COMMAND_HELP } from './help.js'
import {
  clusterColumns,
  clusterDetails,
  clusterSummary,
  details,
  eventColumns,
  makeColors,
  parseFormat,
  refColumns,
  requestColumns,
  serialize,
  table,
  taskColumns,
  vmColumns,
  type Colors,
} from './output.js'
import { createProgress } from './progress.js'
import { clientFor } from './settings.js'
import { loadCreateSpec } from './spec.js'

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  file: { type: 'string', short: 'f' },
  'dry-run': { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  'poll-interval': { type: 'string' },
  count: { type: 'string' },
  name: { type: 'string' },
  'api-key-status': { type: 'string' },
  'exclude-terminated': { type: 'boolean' },
  ip: { type: 'string' },
  'instance-id': { type: 'string' },
  status: { type: 'string' },
  sort: { type: 'string', multiple: true },
  page: { type: 'string' },
  size: { type: 'string' },
  'all-pages': { type: 'boolean' },
  role: { type: 'string' },
  task: { type: 'string' },
  follow: { type: 'boolean' },
  'api-key': { type: 'string' },
  'worker-count': { type: 'string' },
  'worker-volume-size': { type: 'string' },
  'hdfs-replication': { type: 'string' },
  'hdfs-block-size': { type: 'string' },
  'deploy-mode': { type: 'string' },
  'exec-opts': { type: 'string' },
  'exec-params': { type: 'string' },
  'idempotency-key': { type: 'string' },
  verbose: { type: 'boolean' },
} as const
type Flag = keyof typeof OPTIONS
type Values = ValuesOf<typeof OPTIONS>

const COMMON = Object.keys(CONNECTION_OPTIONS) as Flag[]
const WAIT: Flag[] = ['wait', 'timeout', 'poll-interval']
const PAGING: Flag[] = ['sort', 'page', 'size', 'all-pages']

/**
 * Per command: its own flags, whether it takes a cluster id, the verbs that come before the id
 * (`api-key issue ID`) and the name of an optional argument after it (`requests ID [REQUEST]`).
 */
const COMMANDS: Record<
  string,
  { flags: Flag[]; id: boolean; actions?: readonly string[]; optional?: string }
> = {
  create: { flags: ['file', 'dry-run', ...WAIT], id: false },
  get: { flags: [], id: true },
  list: { flags: ['name', 'api-key-status', 'exclude-terminated', ...PAGING], id: false },
  vms: { flags: ['name', 'ip', 'instance-id', 'status', ...PAGING], id: true },
  delete: { flags: [...WAIT], id: true },
  'scale-out': { flags: ['count', ...WAIT], id: true },
  'scale-in': { flags: ['count', ...WAIT], id: true },
  events: { flags: ['page', 'size'], id: true },
  configs: { flags: ['role', 'file'], id: true },
  tasks: { flags: ['page', 'size'], id: true },
  logs: { flags: ['task', 'follow', 'poll-interval'], id: true },
  'api-key': { flags: [], id: true, actions: ['issue', 'revoke'] },
  rerun: {
    flags: [
      'api-key',
      'worker-count',
      'worker-volume-size',
      'hdfs-replication',
      'hdfs-block-size',
      'deploy-mode',
      'exec-opts',
      'exec-params',
      'idempotency-key',
      ...WAIT,
    ],
    id: true,
  },
  requests: { flags: ['api-key', 'verbose', 'page', 'size'], id: true, optional: 'REQUEST' },
}

/** `hadoop-eco clusters`: what the parser, the help and the shell completions read. */
export const CLUSTERS: CommandGroup<typeof OPTIONS, (typeof COMMANDS)[string]> = {
  path: 'clusters',
  options: OPTIONS,
  common: COMMON,
  commands: COMMANDS,
  help: CLUSTERS_HELP,
  commandHelp: COMMAND_HELP,
  bareExit: EXIT.USAGE,
}

/** `90s`, `10m`, `1h`, `500ms`; a bare number is seconds. */
export const parseDuration = (flag: string, raw: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim())
  if (!m) throw new UsageError(`--${flag} must be a duration like 90s, 10m, 1h or 500ms (got "${raw}")`)
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h']
  return Math.round(Number(m[1]) * unit)
}

const parseIntFlag = (
  flag: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined => {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${flag} must be an integer in ${min}..${max} (got "${raw}")`)
  return n
}

/** An integer of any size the server may judge: the re-run's ranges are the server's to check. */
const parseInteger = (flag: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined
  const n = Number(raw.trim())
  if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n))
    throw new UsageError(`--${flag} must be an integer (got "${raw}")`)
  return n
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Runs the pages one after the other; with `all` false, only the one asked for. */
const collect = async <T>(
  fetchPage: (page: number) => Promise<Page<T>>,
  all: boolean,
  first: number,
): Promise<{ items: T[]; last: Page<T> }> => {
  const items: T[] = []
  for (let page = first; ; page++) {
    const p = await fetchPage(page)
    items.push(...p.content)
    if (!all || p.last || p.content.length === 0) return { items, last: p }
  }
}

/** `hadoop-eco clusters ...`: returns the process exit code. */
export const clustersCommand = async (argv: string[], io: CliIO = processIO()): Promise<number> => {
  const colors = makeColors(io.stderr, io.env)
  const outColors = makeColors(io.stdout, io.env)
  const line = parseCommandLine(CLUSTERS, argv, io)
  if ('exit' in line) return line.exit
  const { sub, spec, values, positionals } = line
  try {
    let action: string | undefined
    if (spec.actions) {
      action = positionals.shift()
      if (action === undefined || !spec.actions.includes(action))
        throw new UsageError(
          `"clusters ${sub}" needs ${spec.actions.join(' or ')} first (got ${action === undefined ? 'nothing' : `"${action}"`})${action === undefined ? '' : didYouMean(suggest(action, spec.actions))}`,
        )
    }
    if (spec.optional && (positionals.length < 1 || positionals.length > 2))
      throw new UsageError(
        `"clusters ${sub}" needs a cluster ID and at most one ${spec.optional} (got ${positionals.length} arguments)`,
      )
    if (spec.id && !spec.optional && positionals.length !== 1)
      throw new UsageError(`"clusters ${sub}" needs exactly one cluster ID (got ${positionals.length})`)
    if (!spec.id && positionals.length > 0)
      throw new UsageError(`"clusters ${sub}" takes no arguments (got "${positionals.join(' ')}")`)
    const id = positionals[0] ?? ''
    const second = positionals[1]
    const format = parseFormat(str(values.output))
    const wait = values.wait === true
    const timeout = parseDuration('timeout', str(values.timeout) ?? '30m')
    const pollFlag = str(values['poll-interval'])
    const interval = pollFlag === undefined ? undefined : parseDuration('poll-interval', pollFlag)
    const page = parseIntFlag('page', str(values.page), 0, 1_000_000)
    const size = parseIntFlag('size', str(values.size), 1, 1000)
    const sort = values.sort as string[] | undefined
    const count = parseIntFlag('count', str(values.count), 1, 1000)
    if ((sub === 'scale-out' || sub === 'scale-in') && count === undefined)
      throw new UsageError(`"clusters ${sub}" needs --count N`)
    if (values['all-pages'] && page !== undefined)
      throw new UsageError('give --page or --all-pages, not both')
    // The key of a job cluster: from the environment rather than argv, so a nightly job does not
    // show it in ps. Never echoed, not even in an error.
    const apiKey = str(values['api-key']) || io.env.HADOOP_ECO_API_KEY || undefined
    if ((sub === 'rerun' || sub === 'requests') && apiKey === undefined)
      throw new UsageError(
        `"clusters ${sub}" needs the cluster's API key: --api-key K or HADOOP_ECO_API_KEY (issue one with "clusters api-key issue ${id}")`,
      )
    if (sub === 'requests' && second === undefined && values.verbose)
      throw new UsageError('--verbose shows one request: give its REQUEST id')
    if (sub === 'requests' && second !== undefined && (page !== undefined || size !== undefined))
      throw new UsageError('--page and --size page the list: give no REQUEST id with them')
    const rerunBody = sub === 'rerun' ? rerunOverrides(values) : undefined

    // Everything that can be checked locally is checked before any request is made.
    let body: Record<string, unknown> | undefined
    if (sub === 'create') {
      const file = str(values.file)
      if (!file) throw new UsageError('"clusters create" needs -f SPEC (a JSON or YAML file, or - for stdin)')
      body = await loadCreateSpec({ file, cwd: io.cwd, readStdin: io.readStdin })
      if (values['dry-run']) {
        // The exact bytes the SDK sends (JSON.stringify of the body): pipe it to jq or curl.
        io.stdout.write(`${JSON.stringify(body)}\n`)
        io.stderr.write('dry run: nothing was sent\n')
        return EXIT.OK
      }
    }

    const client = await clientFor(values, io.env)
    const out = (value: unknown, human: () => string) =>
      io.stdout.write(format === 'table' ? human() : serialize(value, format))
    const showCluster = (c: Cluster) => out(c, () => clusterDetails(c, outColors))
    const showRef = (r: ClusterRef) => out(r, () => table([r], refColumns(outColors), outColors))

    /** --wait: follows the cluster live; exits 6 (via ClusterEndedError) if it ends in error. */
    const follow = async (ref: ClusterRef, target: WaitTarget): Promise<Cluster> => {
      const clusterId = ref.id
      // Seeded with the status the request answered, so the first change shows where it came
      // from even when the operation finishes before the first poll.
      const progress = createProgress(io.stderr, colors, ref.name, Date.now, ref.status)
      const onSigint = () => {
        progress.stop()
        io.stderr.write(`interrupted: the operation goes on; see "hadoop-eco clusters get ${clusterId}"\n`)
        process.exit(EXIT.INTERRUPTED)
      }
      process.once('SIGINT', onSigint)
      try {
        const c = await client.waitFor(clusterId, target, {
          timeout,
          ...(interval === undefined ? {} : { interval }),
          onChange: (cl) => progress.update(cl),
        })
        if (c.status === 'Terminated(Error)') throw new ClusterEndedError(c)
        progress.done(true, `${c.name} is ${c.status}`)
        return c
      } catch (e) {
        if (e instanceof ClusterEndedError)
          progress.done(false, `${e.cluster.name} ended ${e.cluster.status}`)
        else progress.stop()
        throw e
      } finally {
        process.off('SIGINT', onSigint)
      }
    }

    /** rerun --wait: follows the request until it ends; the caller maps Fail to exit 6. */
    const followRequest = async (res: RerunResponse, key: string): Promise<JobRequest> => {
      const progress = createProgress(io.stderr, colors, res.clusterName, Date.now, 'Processing')
      const onSigint = () => {
        progress.stop()
        io.stderr.write(
          `interrupted: the re-run goes on; see "hadoop-eco clusters requests ${res.clusterId} ${res.requestId}"\n`,
        )
        process.exit(EXIT.INTERRUPTED)
      }
      process.once('SIGINT', onSigint)
      try {
        const r = await client.clusters.requests.waitFor(res.clusterId, res.requestId, {
          apiKey: key,
          timeout,
          ...(interval === undefined ? {} : { interval }),
          onChange: (req) => progress.update({ name: req.clusterName, status: req.requestStatus }),
        })
        const ok = r.requestStatus === 'Success'
        progress.done(ok, `${r.clusterName} re-run ${r.requestId} ${r.requestStatus}: ${r.requestResult}`)
        if (!ok) io.stderr.write(colors.dim(`see why: hadoop-eco clusters tasks ${r.clusterId}\n`))
        return r
      } catch (e) {
        progress.stop()
        throw e
      } finally {
        process.off('SIGINT', onSigint)
      }
    }

    switch (sub) {
      case 'create': {
        // The spec is sent as written: the server, not the CLI, is the judge of its fields.
        const ref = await client.clusters.create(body as unknown as CreateClusterRequest)
        if (!wait) {
          showRef(ref)
          return EXIT.OK
        }
        io.stderr.write(`created ${ref.name} (${ref.id}); waiting for Running\n`)
        // A userTask whose policy ends the cluster may finish between two polls: it did run.
        showCluster(await follow(ref, ['Running', 'Terminated(UserCommand)']))
        return EXIT.OK
      }
      case 'get':
        showCluster(await client.clusters.get(id))
        return EXIT.OK
      case 'list': {
        const params = {
          name: str(values.name),
          apiKeyStatus: str(values['api-key-status']),
          ...(values['exclude-terminated'] ? { includeTerminated: false } : {}),
          sort,
        }
        if (values['all-pages']) {
          const items: ClusterSummary[] = []
          for await (const c of client.clusters.listAll({ ...params, ...(size ? { size } : {}) }))
            items.push(c)
          out(items, () => table(items, clusterColumns(outColors), outColors))
          return EXIT.OK
        }
        const p = await client.clusters.list({ ...params, page, size })
        out(p.content, () => table(p.content, clusterColumns(outColors), outColors))
        if (format === 'table') pageHint(io, colors, p, 'cluster')
        return EXIT.OK
      }
      case 'vms': {
        const params = {
          name: str(values.name),
          ip: str(values.ip),
          instanceId: str(values['instance-id']),
          status: str(values.status),
          sort,
          size: size ?? (values['all-pages'] ? 1000 : undefined),
        }
        const { items, last } = await collect(
          (n) => client.clusters.vms(id, { ...params, page: n }),
          values['all-pages'] === true,
          page ?? 0,
        )
        out(items, () => table(items, vmColumns(outColors), outColors))
        if (format === 'table' && !values['all-pages']) pageHint(io, colors, last, 'VM')
        return EXIT.OK
      }
      case 'events': {
        const one = page !== undefined || size !== undefined
        const { items } = await collect(
          (n) => client.clusters.events(id, { page: n, size: size ?? 1000 }),
          !one,
          page ?? 0,
        )
        out(items, () => table(items, eventColumns(), outColors))
        return EXIT.OK
      }
      case 'tasks': {
        const one = page !== undefined || size !== undefined
        const { items } = await collect(
          (n) => client.clusters.tasks(id, { page: n, size: size ?? 1000 }),
          !one,
          page ?? 0,
        )
        out(items, () => table(items, taskColumns(outColors), outColors))
        return EXIT.OK
      }
      case 'logs': {
        let runId = str(values.task)
        if (runId === undefined) {
          const [latest] = (await client.clusters.tasks(id, { size: 1 })).content
          if (!latest) {
            io.stderr.write(`cluster ${id} has no task runs yet\n`)
            return EXIT.NOT_FOUND
          }
          runId = latest.id
        }
        let shown = 0
        const print = (text: string) => {
          // A log only grows: print what was not printed yet.
          if (text.length > shown) io.stdout.write(text.slice(shown))
          shown = Math.max(shown, text.length)
        }
        if (!values.follow) {
          print(await client.clusters.taskLog(id, runId))
          return EXIT.OK
        }
        const every =
          values['poll-interval'] === undefined
            ? 1000
            : parseDuration('poll-interval', values['poll-interval'] as string)
        for (;;) {
          // The run's status first: a log read after it ended is the whole log.
          const run = (await client.clusters.tasks(id, { size: 1000 })).content.find((r) => r.id === runId)
          print(await client.clusters.taskLog(id, runId))
          if (!run || run.status === 'Succeeded') return EXIT.OK
          if (run.status === 'Failed') return EXIT.CLUSTER_FAILED
          await new Promise((r) => setTimeout(r, every))
        }
      }
      case 'configs': {
        const role = parseRole(str(values.role))
        const shown = configsOutput(await client.clusters.configs(id), {
          role,
          file: str(values.file),
          colors: outColors,
        })
        if ('missing' in shown) {
          io.stderr.write(`${colors.red('error:')} ${shown.missing}\n`)
          return EXIT.NOT_FOUND
        }
        out(shown.value, () => shown.text)
        return EXIT.OK
      }
      case 'delete': {
        const ref = await client.clusters.delete(id)
        if (!wait) {
          showRef(ref)
          return EXIT.OK
        }
        const ended = await follow(ref, 'Terminated')
        out(ended, () => clusterSummary('delete', ended, outColors))
        return EXIT.OK
      }
      case 'scale-out':
      case 'scale-in': {
        const n = count as number
        const ref =
          sub === 'scale-out' ? await client.clusters.scaleOut(id, n) : await client.clusters.scaleIn(id, n)
        if (!wait) {
          showRef(ref)
          return EXIT.OK
        }
        // The scale answer is Processing; Running again means the workers are in (or out).
        const scaled = await follow(ref, 'Running')
        out(scaled, () => clusterSummary(sub, scaled, outColors))
        return EXIT.OK
      }
      case 'api-key': {
        if (action === 'revoke') {
          await client.clusters.apiKey.revoke(id)
          out({ clusterId: id, revoked: true }, () => `revoked the API key of cluster ${id}\n`)
          return EXIT.OK
        }
        const issued = await client.clusters.apiKey.issue(id)
        // The key alone on stdout, so KEY=$(hadoop-eco clusters api-key issue ID) captures it.
        out(issued, () => `${issued.apiKey}\n`)
        io.stderr.write(
          colors.dim(`this is the only time the key is shown: store it now (e.g. for HADOOP_ECO_API_KEY)\n`),
        )
        return EXIT.OK
      }
      case 'rerun': {
        const key = apiKey as string
        const idempotencyKey = str(values['idempotency-key'])
        const res = await client.clusters.rerun(
          id,
          { apiKey: key, ...rerunBody },
          idempotencyKey === undefined ? undefined : { idempotencyKey },
        )
        if (!wait) {
          out(res, () => details(res, outColors))
          return EXIT.OK
        }
        io.stderr.write(`re-running ${res.clusterName} (request ${res.requestId}); waiting for it to end\n`)
        const final = await followRequest(res, key)
        out(final, () => details(final, outColors))
        return final.requestStatus === 'Success' ? EXIT.OK : EXIT.CLUSTER_FAILED
      }
      case 'requests': {
        const key = apiKey as string
        if (second !== undefined) {
          const r = await client.clusters.requests.get(id, second, {
            apiKey: key,
            verbose: values.verbose === true,
          })
          out(r, () => details(r, outColors))
          return EXIT.OK
        }
        const one = page !== undefined || size !== undefined
        const { items } = await collect(
          (n) => client.clusters.requests.list(id, { apiKey: key, page: n, size: size ?? 1000 }),
          !one,
          page ?? 0,
        )
        out(items, () => table(items, requestColumns(outColors), outColors))
        return EXIT.OK
      }
      default:
        throw new UsageError(`unknown command "clusters ${sub}"`)
    }
  } catch (e) {
    report(e, sub, io, colors)
    return exitCodeFor(e)
  }
}

/** The re-run's body from its flags; only the flags given, so the rest keep the cluster's values. */
const rerunOverrides = (values: Values): RerunRequest => {
  const body: RerunRequest = {}
  const ints = [
    ['worker-count', 'workerCnt'],
    ['worker-volume-size', 'workerVolumeSize'],
    ['hdfs-replication', 'configHdfsReplication'],
    ['hdfs-block-size', 'configHdfsBlockSize'],
  ] as const
  for (const [flag, field] of ints) {
    const n = parseInteger(flag, str(values[flag]))
    if (n !== undefined) body[field] = n
  }
  const mode = str(values['deploy-mode'])
  if (mode !== undefined) {
    if (mode !== 'cluster' && mode !== 'client')
      throw new UsageError(`--deploy-mode must be cluster or client (got "${mode}")`)
    body.userTaskDeployMode = mode
  }
  const opts = str(values['exec-opts'])
  if (opts !== undefined) body.userTaskExecOpts = opts
  const params = str(values['exec-params'])
  if (params !== undefined) body.userTaskExecParams = params
  return body
}

const pageHint = <T>(io: CliIO, colors: Colors, p: Page<T>, noun: string) => {
  if (p.totalPages > 1)
    io.stderr.write(
      colors.dim(
        `page ${p.number + 1} of ${p.totalPages} (${p.totalElements} ${noun}s); use --page N or --all-pages\n`,
      ),
    )
}

const report = (e: unknown, sub: string, io: CliIO, colors: Colors) => {
  const w = (s: string) => io.stderr.write(`${s}\n`)
  if (e instanceof ClusterEndedError) {
    w(`${colors.red('error:')} cluster ${e.cluster.name} (${e.cluster.id}) ended ${e.cluster.status}`)
    w(colors.dim(`see why: hadoop-eco clusters events ${e.cluster.id}`))
  } else if (e instanceof WaitTimeoutError)
    w(`${colors.red('error:')} ${e.message}; the operation goes on on the server`)
  else writeError(io, colors, e, `clusters ${sub}`)
}
