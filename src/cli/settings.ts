import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { HadoopEcoClient } from '../sdk/index.js'
import { UsageError } from './exit-codes.js'

/** Where the CLI finds the server and the credential. */
export interface Settings {
  endpoint: string | undefined
  credentialId: string | undefined
  credentialSecret: string | undefined
}

/** One profile of the config file. */
export interface Profile {
  endpoint?: string
  credentialId?: string
  credentialSecret?: string
}

/**
 * `$HADOOP_ECO_CONFIG`, else `$XDG_CONFIG_HOME/hadoop-eco/config.yaml`, else
 * `~/.config/hadoop-eco/config.yaml`.
 */
export const configPath = (env: NodeJS.ProcessEnv): string =>
  env.HADOOP_ECO_CONFIG ||
  join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'hadoop-eco', 'config.yaml')

/** The config file's text; undefined when there is no file. */
export const readConfigFile = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`)
  }
}

const readProfiles = async (path: string): Promise<Record<string, Profile> | undefined> => {
  const text = await readConfigFile(path)
  return text === undefined ? undefined : parseProfiles(text, path)
}

/** The profiles of a config file's text, checked: a usage error says what is wrong, and where. */
export const parseProfiles = (text: string, path: string): Record<string, Profile> => {
  let doc: unknown
  try {
    doc = parse(text)
  } catch (e) {
    throw new UsageError(`${path} is not valid YAML: ${(e as Error).message}`)
  }
  if (doc === null || doc === undefined) return {}
  const profiles = (doc as { profiles?: unknown }).profiles
  if (typeof doc !== 'object' || (profiles !== undefined && (typeof profiles !== 'object' || !profiles)))
    throw new UsageError(
      `${path}: expected "profiles: { NAME: { endpoint, credentialId, credentialSecret } }"`,
    )
  const out: Record<string, Profile> = {}
  for (const [name, p] of Object.entries((profiles ?? {}) as Record<string, unknown>)) {
    if (typeof p !== 'object' || p === null) throw new UsageError(`${path}: profile "${name}" must be a map`)
    const profile: Profile = {}
    for (const key of ['endpoint', 'credentialId', 'credentialSecret'] as const) {
      const v = (p as Record<string, unknown>)[key]
      if (v === undefined || v === null) continue
      if (typeof v !== 'string') throw new UsageError(`${path}: profiles.${name}.${key} must be a string`)
      profile[key] = v
    }
    out[name] = profile
  }
  return out
}

/**
 * Resolves endpoint and credential. Order: flags, then environment variables
 * (`HADOOP_ECO_ENDPOINT`, `HADOOP_ECO_CREDENTIAL_ID`, `HADOOP_ECO_CREDENTIAL_SECRET`), then the
 * `default` profile. A profile named explicitly (`--profile` or `HADOOP_ECO_PROFILE`) comes
 * before the environment and must exist.
 */
export const resolveSettings = async (
  flags: { endpoint?: string; profile?: string; credentialId?: string; credentialSecret?: string },
  env: NodeJS.ProcessEnv,
): Promise<Settings> => {
  const named = flags.profile ?? (env.HADOOP_ECO_PROFILE || undefined)
  const path = configPath(env)
  const profiles = await readProfiles(path)
  let profile: Profile = {}
  if (named !== undefined) {
    if (!profiles) throw new UsageError(`profile "${named}" requested but ${path} does not exist`)
    const p = profiles[named]
    if (!p)
      throw new UsageError(
        `no profile "${named}" in ${path} (it has: ${Object.keys(profiles).join(', ') || 'none'})`,
      )
    profile = p
  } else profile = profiles?.default ?? {}
  const fromEnv: Profile = {
    endpoint: env.HADOOP_ECO_ENDPOINT || undefined,
    credentialId: env.HADOOP_ECO_CREDENTIAL_ID || undefined,
    credentialSecret: env.HADOOP_ECO_CREDENTIAL_SECRET || undefined,
  }
  const [first, second] = named !== undefined ? [profile, fromEnv] : [fromEnv, profile]
  const pick = (k: keyof Profile, flag: string | undefined) => flag ?? first[k] ?? second[k]
  return {
    endpoint: pick('endpoint', flags.endpoint),
    credentialId: pick('credentialId', flags.credentialId),
    credentialSecret: pick('credentialSecret', flags.credentialSecret),
  }
}

/** Throws a usage error that says how to provide whatever is missing. */
export const requireSettings = (s: Settings): Required<{ [K in keyof Settings]: string }> => {
  const missing: string[] = []
  if (!s.endpoint) missing.push('endpoint (--endpoint URL or HADOOP_ECO_ENDPOINT)')
  if (!s.credentialId) missing.push('credential id (--credential-id or HADOOP_ECO_CREDENTIAL_ID)')
  if (!s.credentialSecret)
    missing.push('credential secret (--credential-secret or HADOOP_ECO_CREDENTIAL_SECRET)')
  if (missing.length > 0)
    throw new UsageError(
      `missing ${missing.join(', ')}; or put them in a profile (see "hadoop-eco clusters --help")`,
    )
  checkEndpoint(s.endpoint as string)
  return s as Required<{ [K in keyof Settings]: string }>
}

export const checkEndpoint = (endpoint: string) => {
  if (!/^https?:\/\//i.test(endpoint))
    throw new UsageError(`endpoint must be an http(s) URL, got "${endpoint}"`)
}

/** The connection flags as parsed (`CONNECTION_OPTIONS`). */
export interface ConnectionFlags {
  endpoint?: string
  profile?: string
  'credential-id'?: string
  'credential-secret'?: string
  'max-retries'?: string
}

/** The SDK client for a client command: its settings resolved and required, `--max-retries` checked. */
export const clientFor = async (flags: ConnectionFlags, env: NodeJS.ProcessEnv): Promise<HadoopEcoClient> => {
  const raw = flags['max-retries']
  if (raw !== undefined && (!/^\d+$/.test(raw.trim()) || Number(raw) > 20))
    throw new UsageError(`--max-retries must be an integer in 0..20 (got "${raw}")`)
  const settings = requireSettings(
    await resolveSettings(
      {
        endpoint: flags.endpoint,
        profile: flags.profile,
        credentialId: flags['credential-id'],
        credentialSecret: flags['credential-secret'],
      },
      env,
    ),
  )
  return new HadoopEcoClient({ ...settings, ...(raw === undefined ? {} : { maxRetries: Number(raw) }) })
}
