import { readFileSync } from 'node:fs'

/**
 * The version in the package's package.json, read at run time beside the built code
 * (dist/cli/version.js -> package.json), so it is the one that was installed; undefined if
 * there is none to read.
 */
export const packageVersion = (): string | undefined => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown
    }
    return typeof pkg.version === 'string' ? pkg.version : undefined
  } catch {
    return undefined
  }
}
