import type { ClusterConfigs, ConfigFile } from '../sdk/index.js'
import { UsageError } from './exit-codes.js'
import type { Colors } from './output.js'

export type ConfigRole = keyof ClusterConfigs

/** The values of --role. */
export const ROLES: readonly ConfigRole[] = ['master', 'worker']

export const parseRole = (v: string | undefined): ConfigRole | undefined => {
  if (v === undefined || (ROLES as readonly string[]).includes(v)) return v as ConfigRole | undefined
  throw new UsageError(`--role must be master or worker (got "${v}")`)
}

/** What `clusters configs` prints: a value for -o json|yaml, text for the terminal, or why nothing. */
export type ConfigsOutput = { value: unknown; text: string } | { missing: string }

/**
 * Picks what `clusters configs ID [--role R] [--file NAME]` shows. Without --role the masters'
 * files are shown (they get every file), but -o json|yaml without --role and --file gives the
 * whole answer, both roles. `--file` takes an absolute path or a file name; the text of one file
 * is printed as it is, so `> core-site.xml` reproduces it byte for byte.
 */
export const configsOutput = (
  configs: ClusterConfigs,
  opts: { role: ConfigRole | undefined; file: string | undefined; colors: Colors },
): ConfigsOutput => {
  const role = opts.role ?? 'master'
  const files = configs[role]
  if (opts.file === undefined)
    return { value: opts.role === undefined ? configs : files, text: filesText(files, opts.colors) }
  const name = opts.file
  const matches = files.filter((f) => f.path === name || f.path.slice(f.path.lastIndexOf('/') + 1) === name)
  if (matches.length > 1)
    throw new UsageError(
      `--file ${name} names ${matches.length} files; give a path: ${matches.map((f) => f.path).join(', ')}`,
    )
  const [found] = matches
  if (!found)
    return {
      missing:
        `the ${role} role has no file ${name}` +
        (files.length > 0 ? `; it has: ${files.map((f) => f.path).join(', ')}` : ''),
    }
  return { value: found, text: found.content }
}

/** Every file under a `==> path <==` header, as `head` prints several files. */
const filesText = (files: readonly ConfigFile[], colors: Colors): string =>
  files
    .map(
      (f) =>
        `${colors.bold(`==> ${f.path} <==`)}\n${f.content}${f.content.endsWith('\n') || f.content === '' ? '' : '\n'}`,
    )
    .join('\n')
