import { readFile } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
// The same pure check the server applies, so a bad file is caught before anything is sent.
import { checkConfigurations } from '../domain/config-text.js'
import { UsageError } from './exit-codes.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The seed's Base64 fields. Each `X` may be given as `XFile`, a path relative to the spec file;
 * the CLI reads the file and sends its Base64 in `X`.
 */
export const BASE64_FILE_FIELDS = [
  { parent: 'config', key: 'configText' },
  { parent: 'config', key: 'userScript' },
  { parent: 'adminInfo', key: 'userPw' },
  { parent: 'hiveDbInfo', key: 'userPw' },
] as const

/** Replaces one key by another at the same position, so the body keeps the spec's key order. */
const replaceKey = (obj: Obj, from: string, to: string, value: unknown): Obj =>
  Object.fromEntries(Object.entries(obj).map(([k, v]) => (k === from ? [to, value] : [k, v])))

const parseSpecText = (text: string, name: string): unknown => {
  const ext = extname(name).toLowerCase()
  try {
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text)
    if (ext === '.json') return JSON.parse(text)
    // Unknown extension or stdin: JSON first (its errors are clearer), then YAML.
    try {
      return JSON.parse(text)
    } catch {
      return parseYaml(text)
    }
  } catch (e) {
    throw new UsageError(
      `${name}: not valid ${ext === '.json' ? 'JSON' : 'JSON or YAML'}: ${(e as Error).message}`,
    )
  }
}

const withoutFinalNewline = (b: Buffer): Buffer => {
  let end = b.length
  if (b[end - 1] === 0x0a) end -= b[end - 2] === 0x0d ? 2 : 1
  return b.subarray(0, end)
}

export interface SpecSource {
  /** Path of the spec, or `-` for stdin. */
  file: string
  cwd: string
  readStdin: () => Promise<string>
}

/**
 * Reads a create spec (JSON or YAML) and returns the exact request body: every `XFile` of
 * {@link BASE64_FILE_FIELDS} is read and encoded into `X`, and a `config.configTextFile` must
 * hold a valid configurations document. Password files lose one trailing newline, which
 * `echo pw > file` adds and no password means to contain; other files are sent byte for byte.
 */
export const loadCreateSpec = async ({ file, cwd, readStdin }: SpecSource): Promise<Obj> => {
  const fromStdin = file === '-'
  const specPath = fromStdin ? '<stdin>' : resolve(cwd, file)
  let text: string
  try {
    text = fromStdin ? await readStdin() : await readFile(specPath, 'utf8')
  } catch (e) {
    throw new UsageError(`cannot read spec ${file}: ${(e as Error).message}`)
  }
  const doc = parseSpecText(text, fromStdin ? 'stdin' : file)
  if (!isObj(doc)) throw new UsageError(`${file}: the spec must be a JSON/YAML object`)
  const baseDir = fromStdin ? cwd : dirname(specPath)

  let body: Obj = doc
  for (const { parent, key } of BASE64_FILE_FIELDS) {
    const section = body[parent]
    const fileKey = `${key}File`
    if (!isObj(section) || !(fileKey in section)) continue
    const field = `${parent}.${fileKey}`
    if (key in section) throw new UsageError(`${file}: give ${parent}.${key} or ${field}, not both`)
    const rel = section[fileKey]
    if (typeof rel !== 'string' || rel === '')
      throw new UsageError(`${file}: ${field} must be a path (relative to the spec file)`)
    const path = resolve(baseDir, rel)
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (e) {
      throw new UsageError(`${file}: ${field}: cannot read ${rel}: ${(e as Error).message}`)
    }
    if (key === 'userPw') bytes = withoutFinalNewline(bytes)
    if (bytes.length === 0) throw new UsageError(`${file}: ${field}: ${rel} is empty`)
    if (key === 'configText') {
      const problem = checkConfigurations(bytes.toString('utf8'))
      if (problem)
        throw new UsageError(
          `${file}: ${field}: ${rel} is not a configurations document ({"configurations":[{"classification":string,"properties":{string:string}}]}): ${problem}`,
        )
    }
    body = { ...body, [parent]: replaceKey(section, fileKey, key, bytes.toString('base64')) }
  }
  return body
}
