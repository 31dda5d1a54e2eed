import { stringify as toYaml } from 'yaml'
import type {
  Cluster,
  ClusterEvent,
  ClusterRef,
  ClusterSummary,
  JobRequest,
  TaskRun,
  Vm,
} from '../sdk/index.js'
import { UsageError } from './exit-codes.js'

/** The values of -o/--output. */
export const FORMATS = ['table', 'json', 'yaml'] as const
export type Format = (typeof FORMATS)[number]

export const parseFormat = (v: string | undefined): Format => {
  if (v === undefined) return 'table'
  if ((FORMATS as readonly string[]).includes(v)) return v as Format
  throw new UsageError(`-o/--output must be table, json or yaml (got "${v}")`)
}

/** Colours only on a terminal that wants them (https://no-color.org). */
export const makeColors = (stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv) => {
  const on = !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb'
  const wrap = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s)
  const c = {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  }
  // Cluster statuses, and a re-run's Success and Fail.
  const status = (s: string) =>
    s === 'Running' || s === 'Success'
      ? c.green(s)
      : s === 'Terminated(Error)' || s === 'Fail'
        ? c.red(s)
        : s.startsWith('Terminated(')
          ? c.dim(s)
          : c.yellow(s)
  return { ...c, status }
}
export type Colors = ReturnType<typeof makeColors>

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString())

/** `3723000` -> `1h 2m 3s`. */
export const humanDuration = (ms: number): string => {
  const s = Math.floor(ms / 1000)
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, `${s % 60}s`].filter(Boolean)
  return parts.slice(0, 3).join(' ')
}

interface Column<T> {
  header: string
  value: (row: T) => string
  /** Applied after padding, so escape codes do not break the alignment. */
  paint?: (text: string, row: T) => string
}

export const table = <T>(rows: readonly T[], columns: readonly Column<T>[], colors: Colors): string => {
  const cells = rows.map((r) => columns.map((c) => c.value(r)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]?.length ?? 0)))
  const line = (values: string[], paint?: (text: string, i: number) => string) =>
    values
      .map((v, i) => {
        const padded = i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)
        return paint ? paint(padded, i) : padded
      })
      .join('  ')
      .trimEnd()
  const out = [colors.bold(line(columns.map((c) => c.header)))]
  rows.forEach((row, r) =>
    out.push(line(cells[r] ?? [], (text, i) => columns[i]?.paint?.(text, row) ?? text)),
  )
  return `${out.join('\n')}\n`
}

export const clusterColumns = (colors: Colors): Column<ClusterSummary>[] => [
  { header: 'ID', value: (c) => c.id },
  { header: 'NAME', value: (c) => c.name },
  { header: 'STATUS', value: (c) => c.status, paint: (t, c) => t.replace(c.status, colors.status(c.status)) },
  { header: 'TYPE', value: (c) => c.clusterType },
  { header: 'VERSION', value: (c) => c.clusterVersion },
  { header: 'MASTERS', value: (c) => String(c.masterCnt) },
  { header: 'WORKERS', value: (c) => String(c.workerCnt) },
  { header: 'CREATED', value: (c) => iso(c.createdAt) },
]

export const vmColumns = (colors: Colors): Column<Vm>[] => [
  { header: 'NAME', value: (v) => v.name },
  { header: 'ROLE', value: (v) => (v.isMaster ? 'master' : 'worker') },
  { header: 'STATUS', value: (v) => v.status, paint: (t, v) => t.replace(v.status, colors.status(v.status)) },
  { header: 'IP', value: (v) => v.ip },
  { header: 'FLAVOR', value: (v) => v.flavorName },
  { header: 'INSTANCE ID', value: (v) => v.instanceId },
  { header: 'CREATED', value: (v) => iso(v.createdAt) },
]

export const eventColumns = (): Column<ClusterEvent>[] => [
  { header: 'SEQ', value: (e) => String(e.seq) },
  { header: 'AT', value: (e) => iso(e.at) },
  { header: 'FROM', value: (e) => e.fromStatus ?? '' },
  { header: 'TO', value: (e) => e.toStatus ?? '' },
  { header: 'REASON', value: (e) => e.reason },
  { header: 'MESSAGE', value: (e) => e.message },
]

export const taskColumns = (colors: Colors): Column<TaskRun>[] => [
  { header: 'ID', value: (r) => r.id },
  { header: 'TYPE', value: (r) => r.type },
  { header: 'STATUS', value: (r) => r.status, paint: (t, r) => t.replace(r.status, colors.status(r.status)) },
  { header: 'STARTED', value: (r) => (r.startedAt === undefined ? '' : iso(r.startedAt)) },
  { header: 'ENDED', value: (r) => (r.endedAt === undefined ? '' : iso(r.endedAt)) },
  { header: 'EXIT', value: (r) => (r.exitCode === undefined ? '' : String(r.exitCode)) },
  { header: 'REASON', value: (r) => r.reason ?? '' },
  { header: 'MESSAGE', value: (r) => r.message ?? '' },
]

export const requestColumns = (colors: Colors): Column<JobRequest>[] => [
  { header: 'REQUEST ID', value: (r) => r.requestId },
  {
    header: 'STATUS',
    value: (r) => r.requestStatus,
    paint: (t, r) => t.replace(r.requestStatus, colors.status(r.requestStatus)),
  },
  { header: 'RESULT', value: (r) => r.requestResult },
]

export const refColumns = (colors: Colors): Column<ClusterRef>[] => [
  { header: 'ID', value: (r) => r.id },
  { header: 'NAME', value: (r) => r.name },
  { header: 'STATUS', value: (r) => r.status, paint: (t, r) => t.replace(r.status, colors.status(r.status)) },
]

/** Base64 of a JSON document -> the document, indented; undefined for anything else. */
const decodedJson = (base64: string): string | undefined => {
  try {
    return JSON.stringify(JSON.parse(Buffer.from(base64, 'base64').toString('utf8')), null, 2)
  } catch {
    return undefined
  }
}

/**
 * A cluster as aligned `key  value` lines; nested objects become `config.hdfsReplication`.
 * `config.configText` (Base64 on the wire) is shown decoded, as indented JSON: -o json|yaml
 * keep it as the API returns it.
 */
export const clusterDetails = (c: Cluster, colors: Colors): string => {
  const text = c.config.configText === undefined ? undefined : decodedJson(c.config.configText)
  return details(text === undefined ? c : { ...c, config: { ...c.config, configText: text } }, colors)
}

/** The one line `clusters delete|scale-out|scale-in --wait` print at the end (unless -o json|yaml). */
export const clusterSummary = (
  action: 'delete' | 'scale-out' | 'scale-in',
  c: Pick<Cluster, 'id' | 'name' | 'status' | 'workerCnt'>,
  colors: Colors,
): string => {
  const what =
    action === 'delete'
      ? `deleted cluster ${c.name} (${c.id})`
      : `scaled ${action === 'scale-out' ? 'out' : 'in'} ${c.name} (${c.id}) to ${c.workerCnt} worker${c.workerCnt === 1 ? '' : 's'}`
  return `${what}: ${colors.status(c.status)}\n`
}

/**
 * Any answer as aligned `key  value` lines (a re-run, a request and its
 * `clusterMeta.worker_vm.count`), as {@link clusterDetails} shows a cluster.
 */
export const details = (c: object, colors: Colors): string => {
  const rows: [string, string][] = []
  const walk = (prefix: string, value: unknown) => {
    if (value === undefined) return
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== 'object' || v === null)) rows.push([prefix, value.join(', ')])
      else value.forEach((v, i) => walk(`${prefix}[${i}]`, v))
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v)
    } else if (typeof value === 'number' && /(^|\.)(createdAt|runningAt)$/.test(prefix)) {
      rows.push([prefix, iso(value)])
    } else if (typeof value === 'number' && /^(elapsedTime|totalVmUptime)$/.test(prefix)) {
      rows.push([prefix, `${humanDuration(value)} (${value} ms)`])
    } else rows.push([prefix, String(value)])
  }
  walk('', c)
  const width = Math.max(...rows.map(([k]) => k.length))
  // A value of several lines (a decoded document) goes on below its first, in the value column.
  const indent = (v: string) => v.replaceAll('\n', `\n${' '.repeat(width + 2)}`)
  return `${rows
    .map(
      ([k, v]) =>
        `${colors.dim(k.padEnd(width))}  ${k === 'status' || k === 'requestStatus' ? colors.status(v) : indent(v)}`,
    )
    .join('\n')}\n`
}

export const serialize = (value: unknown, format: 'json' | 'yaml'): string =>
  format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : toYaml(value)
