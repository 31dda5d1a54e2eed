import { randomBytes } from 'node:crypto'
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { parseSecretKey, type Config } from './config.js'

export interface SecretKey {
  key: Buffer
  /** Where it came from, for the start-up log line (never the key itself). */
  source: 'HADOOP_ECO_SECRET_KEY' | 'generated' | 'file' | 'ephemeral'
  path?: string
}

export const SECRET_KEY_FILE = 'secret.key'

/**
 * The key that seals stored passwords: HADOOP_ECO_SECRET_KEY, else `<dataDir>/secret.key`,
 * created on first start with mode 0600. An in-memory database gets a key that dies with it.
 * Replicas over one PostgreSQL database must share the key: give them HADOOP_ECO_SECRET_KEY.
 */
export const loadSecretKey = (config: Pick<Config, 'secretKey' | 'dataDir' | 'databaseUrl'>): SecretKey => {
  if (config.secretKey) {
    const key = parseSecretKey(config.secretKey)
    if (!key) throw new Error('HADOOP_ECO_SECRET_KEY: expected 32 bytes as 64 hex characters or base64')
    return { key, source: 'HADOOP_ECO_SECRET_KEY' }
  }
  if (config.databaseUrl === 'sqlite::memory:' || config.databaseUrl === 'sqlite:')
    return { key: randomBytes(32), source: 'ephemeral' }

  const path = join(config.dataDir, SECRET_KEY_FILE)
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  if (!existsSync(path)) {
    const generated = generateKeyFile(path)
    if (generated) return { key: generated, source: 'generated', path }
  }
  const mode = statSync(path).mode & 0o777
  // As ssh does with private keys: a key others can read protects nothing.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new Error(`${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`)
  const key = parseSecretKey(readFileSync(path, 'utf8'))
  if (!key) throw new Error(`${path} does not hold a 32-byte key (64 hex characters or base64)`)
  return { key, source: 'file', path }
}

/** A new key file at `path`; undefined if another process made one first. */
const generateKeyFile = (path: string): Buffer | undefined => {
  // Written aside, then linked into place: link fails if the key exists, so two processes
  // starting on one folder agree on one key, and no reader ever sees a half-written file.
  const key = randomBytes(32)
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, `${key.toString('base64')}\n`)
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(tmp, path)
    return key
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    return undefined
  } finally {
    unlinkSync(tmp)
  }
}
