import { parseArgs } from 'node:util'
import { ApiError, ConnectionError } from '../sdk/index.js'
import { EXIT, UsageError } from './exit-codes.js'
import { makeColors, type Colors } from './output.js'

type Stream = NodeJS.WritableStream & { isTTY?: boolean }

const words = (...parts: string[]) => parts.filter(Boolean).join(' ')

/** What a command touches of the outside world; tests and main.ts pass the real process. */
export interface CliIO {
  stdout: Stream
  stderr: Stream
  env: NodeJS.ProcessEnv
  cwd: string
  readStdin: () => Promise<string>
}

export const processIO = (): CliIO => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
})

/** One option as `node:util` parseArgs takes it. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  readonly multiple?: boolean
}
export type Options = Readonly<Record<string, OptionSpec>>

/** The flags of every command that talks to a server: where it is, who calls, how to print. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: 'string' },
  profile: { type: 'string' },
  'credential-id': { type: 'string' },
  'credential-secret': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'max-retries': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** The parsed flags: a string (or strings, for a repeatable one) or true. */
export type Values<O extends Options> = {
  [K in keyof O]?: O[K] extends { multiple: true }
    ? string[]
    : O[K] extends { type: 'boolean' }
      ? boolean
      : string
}

/** A command of a group: the flags it takes besides the group's common ones. */
export interface CommandSpec<F extends string = string> {
  readonly flags: readonly F[]
  /** Words that come first (`api-key issue ID`, `credentials create`): completed by the shells. */
  readonly actions?: readonly string[]
}

/**
 * The commands under one word (`hadoop-eco clusters ...`, `hadoop-eco objects ...`, or the top
 * level): the one table that the parser, the suggestions and the shell completions read.
 */
export interface CommandGroup<O extends Options = Options, S extends CommandSpec = CommandSpec> {
  /** The words before the command, e.g. `clusters` (empty at the top level). */
  readonly path: string
  readonly options: O
  /** Flags every command of the group takes. */
  readonly common: readonly (keyof O & string)[]
  readonly commands: Readonly<Record<string, S>>
  /** More command names, dispatched before the group is parsed (`clusters` at the top level). */
  readonly others?: readonly string[]
  readonly help: string
  readonly commandHelp: Readonly<Record<string, string>>
  /** The exit code of the bare group word, which prints the help (2 for `hadoop-eco clusters`). */
  readonly bareExit: number
  /** Flags of the group word itself (`hadoop-eco --version`); `--help` when not given. */
  readonly ownFlags?: readonly string[]
}

/**
 * The closest of `candidates` to a mistyped `word`: those at the smallest Damerau-Levenshtein
 * distance, at most 2 (1 for words of 3 or 4 letters, 0 below), or else those `word` is a prefix
 * of (2 letters or more).
 * Nothing when nothing is close: a wild guess is worse than none.
 */
export const suggest = (word: string, candidates: readonly string[]): string[] => {
  const w = word.toLowerCase()
  const limit = Math.min(2, Math.floor((w.length - 1) / 2))
  let best = limit
  let found: string[] = []
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase())
    if (d > best) continue
    if (d < best || found.length === 0) [best, found] = [d, [c]]
    else found.push(c)
  }
  if (found.length === 0 && w.length >= 2) found = candidates.filter((c) => c.toLowerCase().startsWith(w))
  return found.slice(0, 3)
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours. */
export const editDistance = (a: string, b: string): number => {
  const width = b.length + 1
  const d = new Array<number>((a.length + 1) * width).fill(0)
  const at = (i: number, j: number) => d[i * width + j] ?? 0
  for (let i = 0; i <= a.length; i++) d[i * width] = i
  for (let j = 0; j <= b.length; j++) d[j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, at(i - 2, j - 2) + 1)
      d[i * width + j] = v
    }
  return at(a.length, b.length)
}

/** ` (did you mean a, b or c?)`, or nothing. */
export const didYouMean = (close: readonly string[]): string =>
  close.length === 0
    ? ''
    : ` (did you mean ${close.length === 1 ? close[0] : `${close.slice(0, -1).join(', ')} or ${close.at(-1)}`}?)`

/** A usage error as the CLI prints every one: the message, then one line pointing to the help. */
export const writeUsageError = (io: CliIO, colors: Colors, message: string, helpFor: string) => {
  io.stderr.write(`${colors.red('error:')} ${message}\n`)
  io.stderr.write(colors.dim(`run "${words('hadoop-eco', helpFor, '--help')}" for usage and examples\n`))
}

/**
 * Prints what every command prints for an error: a usage error with its pointer to the help,
 * an API error with its status, code, field list and request id, or the message.
 */
export const writeError = (io: CliIO, colors: Colors, e: unknown, helpFor: string) => {
  const w = (s: string) => io.stderr.write(`${s}\n`)
  if (e instanceof UsageError) writeUsageError(io, colors, e.message, helpFor)
  else if (e instanceof ApiError) {
    w(`${colors.red('error:')} ${e.body?.message ?? e.message}`)
    w(`  status:     ${e.status} ${e.body?.error ?? ''}`.trimEnd())
    w(`  code:       ${e.code}`)
    for (const f of e.errors) w(`  - ${f.field || '(body)'}: ${f.message}`)
    if (e.requestId) w(`  request id: ${e.requestId}`)
  } else if (e instanceof ConnectionError) {
    w(`${colors.red('error:')} ${e.message}`)
    w(colors.dim('is the endpoint right and the server up?'))
  } else {
    const name = (e as { name?: string } | undefined)?.name
    w(
      `${colors.red('error:')} ${name && name !== 'Error' ? `${name}: ` : ''}${(e as Error)?.message ?? String(e)}`,
    )
  }
}

export type CommandLine<O extends Options, S extends CommandSpec> =
  { exit: number } | { sub: string; spec: S; values: Values<O>; positionals: string[] }

/**
 * The prelude every command group shares: help (`clusters`, `clusters --help`, `clusters help
 * list`, `clusters list --help`), the command looked up (an unknown one named with the closest
 * ones), and its flags parsed, each checked against the flags of that command. What it cannot
 * run it reports itself, in one line and a pointer to the help, and returns the exit code.
 */
export const parseCommandLine = <O extends Options, S extends CommandSpec<keyof O & string>>(
  group: CommandGroup<O, S>,
  argv: readonly string[],
  io: CliIO,
): CommandLine<O, S> => {
  const colors = makeColors(io.stderr, io.env)
  const names = [...Object.keys(group.commands), ...(group.others ?? [])]
  const [sub, ...rest] = argv
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    const topic = sub === 'help' ? rest[0] : undefined
    if (topic !== undefined && !group.commandHelp[topic] && !names.includes(topic)) {
      writeUsageError(io, colors, `unknown command ${topic}${didYouMean(suggest(topic, names))}`, group.path)
      return { exit: EXIT.USAGE }
    }
    io.stdout.write((topic && group.commandHelp[topic]) || group.help)
    return { exit: sub ? EXIT.OK : group.bareExit }
  }
  const spec = Object.hasOwn(group.commands, sub) ? group.commands[sub] : undefined
  if (!spec) {
    const flag = /^--?([^=]*)/.exec(sub)?.[1]
    const message =
      flag === undefined
        ? `unknown command ${sub}${didYouMean(suggest(sub, names))}`
        : Object.hasOwn(group.options, flag)
          ? `${sub} goes after the command: ${words('hadoop-eco', group.path, 'COMMAND', sub)}`
          : `unknown option ${sub}${didYouMean(suggest(sub, group.ownFlags ?? ['--help']))}`
    writeUsageError(io, colors, message, group.path)
    return { exit: EXIT.USAGE }
  }
  try {
    const parsed = parseFlags(group, sub, spec, rest)
    if (parsed === 'help') {
      io.stdout.write(group.commandHelp[sub] ?? group.help)
      return { exit: EXIT.OK }
    }
    return { sub, spec, ...parsed }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    writeUsageError(io, colors, e.message, words(group.path, sub))
    return { exit: EXIT.USAGE }
  }
}

const parseFlags = <O extends Options, S extends CommandSpec<keyof O & string>>(
  group: CommandGroup<O, S>,
  sub: string,
  spec: S,
  args: string[],
): 'help' | { values: Values<O>; positionals: string[] } => {
  const allowed: string[] = [...group.common, ...spec.flags]
  // A first, lenient pass finds every option as written, so each mistake gets a message of its
  // own (parseArgs' strict mode says "Unknown option '--nmae'. To specify a positional argument
  // starting with a '-', ..." and suggests nothing).
  const { tokens } = parseArgs({
    args,
    options: group.options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  })
  const asked = (name: string) => tokens.some((t) => t.kind === 'option' && t.name === name)
  // Asked for help, the user gets it, whatever else is wrong.
  if (asked('help') && allowed.includes('help')) return 'help'
  for (const t of tokens) {
    if (t.kind !== 'option') continue
    const known = Object.hasOwn(group.options, t.name) ? group.options[t.name] : undefined
    if (!known || !allowed.includes(t.name)) {
      const close = t.rawName.startsWith('--')
        ? didYouMean(
            suggest(
              t.name,
              allowed.filter((f) => f !== 'help'),
            ).map((f) => `--${f}`),
          )
        : ''
      throw new UsageError(
        known
          ? `${t.rawName} is not an option of "${words(group.path, sub)}"${close}`
          : `unknown option ${t.rawName}${close}`,
      )
    }
    if (known.type === 'string' && t.value === undefined) throw new UsageError(`${t.rawName} needs a value`)
    if (known.type === 'string' && !t.inlineValue && t.value !== undefined && /^-./.test(t.value))
      throw new UsageError(
        `${t.rawName} needs a value, got the option-like "${t.value}" (if that is the value, write ${t.rawName}=${t.value})`,
      )
    if (known.type === 'boolean' && t.inlineValue) throw new UsageError(`${t.rawName} takes no value`)
  }
  try {
    const { values, positionals } = parseArgs({
      args,
      options: group.options,
      allowPositionals: true,
      strict: true,
    })
    return { values: values as Values<O>, positionals }
  } catch (e) {
    // Checked above; kept for whatever parseArgs may refuse that the checks above do not.
    throw new UsageError((e as Error).message)
  }
}
