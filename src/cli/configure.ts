import { randomUUID } from 'node:crypto'
import { chmod, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { parseDocument } from 'yaml'
import type { CliIO } from './command-line.js'
import { EXIT, UsageError } from './exit-codes.js'
import { checkEndpoint, configPath, parseProfiles, readConfigFile, type Profile } from './settings.js'

/** The flags of `hadoop-eco configure`. */
export interface ConfigureFlags {
  profile?: string
  endpoint?: string
  'credential-id'?: string
  'credential-secret'?: string
}

/** What `configure` reads answers from: a terminal, or nothing to ask. */
export type Stdin = NodeJS.ReadableStream & { isTTY?: boolean }

class Interrupted extends Error {}

const FIELDS = [
  { key: 'endpoint', flag: 'endpoint', label: 'Endpoint URL', secret: false },
  { key: 'credentialId', flag: 'credential-id', label: 'Credential ID', secret: false },
  { key: 'credentialSecret', flag: 'credential-secret', label: 'Credential secret', secret: true },
] as const

/**
 * Asks on a terminal, through node:readline. A secret is read with the echo off: the terminal is
 * in raw mode while readline reads, and readline's own echo goes nowhere.
 */
const prompter = (input: Stdin, output: NodeJS.WritableStream) => {
  let muted = false
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk)
      done()
    },
  })
  const rl = createInterface({ input, output: echo, terminal: true, historySize: 0 })
  let pending: ((e: Error) => void) | undefined
  rl.on('SIGINT', () => pending?.(new Interrupted('interrupted')))
  rl.on('close', () => pending?.(new UsageError('input ended before every value was given')))
  return {
    ask: (question: string, secret: boolean) =>
      new Promise<string>((resolve, reject) => {
        pending = reject
        muted = false
        // readline writes the question now, then echoes the keys: those of a secret go nowhere.
        rl.question(question, (answer) => {
          pending = undefined
          muted = false
          if (secret) output.write('\n')
          resolve(answer.trim())
        })
        muted = secret
      }),
    close: () => {
      pending = undefined
      rl.close()
    },
  }
}

/** `abcd…wxyz` -> `****wxyz`: enough to recognise a stored secret, not to use it. */
const masked = (secret: string) => `****${secret.slice(-4)}`

/** Writes through a temp file beside the target, created 0600: never a moment readable by others. */
const writePrivately = async (path: string, text: string) => {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // Through a link (a dotfiles repository) to the file it points to, which stays a link's target.
  const target = await realpath(path).catch(() => path)
  const temp = join(dirname(target), `.${basename(target)}.${randomUUID().slice(0, 8)}.tmp`)
  try {
    await writeFile(temp, text, { mode: 0o600, flag: 'wx' })
    await chmod(temp, 0o600) // whatever the umask
    await rename(temp, target)
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  }
}

/**
 * `hadoop-eco configure`: saves a profile (endpoint and credential) in the config file that every
 * client command reads (settings.ts), keeping its other profiles and comments. A value not given
 * as a flag is asked for on a terminal (the profile's current one is the default) or, without
 * a terminal, kept from the profile; one that is nowhere is a usage error.
 */
export const configure = async (flags: ConfigureFlags, io: CliIO, stdin: Stdin): Promise<number> => {
  const path = configPath(io.env)
  const name = flags.profile ?? (io.env.HADOOP_ECO_PROFILE || 'default')
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name))
    throw new UsageError(`a profile name is letters, digits, "_", "." and "-" (got "${name}")`)
  const text = (await readConfigFile(path)) ?? ''
  const current: Profile = parseProfiles(text, path)[name] ?? {}
  const values: Profile = {}
  const missing = FIELDS.filter((f) => flags[f.flag] === undefined)
  for (const f of FIELDS) values[f.key] = flags[f.flag]

  if (missing.length > 0 && stdin.isTTY) {
    const p = prompter(stdin, io.stderr)
    try {
      io.stderr.write(`profile "${name}" in ${path}\n`)
      for (const f of missing) {
        const was = current[f.key]
        const shown = was === undefined ? '' : ` [${f.secret ? masked(was) : was}]`
        for (;;) {
          const answer = (await p.ask(`${f.label}${shown}: `, f.secret)) || was
          if (answer) {
            values[f.key] = answer
            break
          }
          io.stderr.write(`${f.label} is needed\n`)
        }
      }
    } catch (e) {
      io.stderr.write('\n') // the prompt's line was left open
      if (!(e instanceof Interrupted)) throw e
      io.stderr.write('interrupted: nothing was saved\n')
      return EXIT.INTERRUPTED
    } finally {
      p.close()
    }
  } else {
    for (const f of missing) values[f.key] = current[f.key]
    const absent = FIELDS.filter((f) => !values[f.key])
    if (absent.length > 0)
      throw new UsageError(
        `profile "${name}" needs ${absent.map((f) => `--${f.flag}`).join(', ')} (no terminal to ask on)`,
      )
  }

  checkEndpoint(values.endpoint as string)
  for (const f of FIELDS)
    if (!values[f.key] || /[\r\n]/.test(values[f.key] as string))
      throw new UsageError(`--${f.flag} must be one non-empty line`)

  const doc = parseDocument(text)
  if (!doc.has('profiles') || doc.get('profiles') === null) doc.set('profiles', doc.createNode({}))
  for (const f of FIELDS) doc.setIn(['profiles', name, f.key], values[f.key])
  await writePrivately(path, doc.toString())
  io.stderr.write(`saved profile "${name}" in ${path}\n`)
  if (name !== 'default') io.stderr.write(`use it with --profile ${name} or HADOOP_ECO_PROFILE=${name}\n`)
  return EXIT.OK
}
