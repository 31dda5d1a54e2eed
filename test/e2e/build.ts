import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/**
 * Builds the CLI for the e2e suite (called from the CLI test's beforeAll rather than a global
 * setup, so test runs that do not include it pay nothing), into its own directory so the build never races the
 * repo's dist/ (npm start, benchmarks and other test runs use that one). The directory sits
 * under node_modules so the built code resolves dependencies exactly as an install does; the
 * real bin/hadoop-eco.js is copied beside it and finds ../dist/cli/main.js as it does in the repo.
 */
export const E2E_BUILD = fileURLToPath(new URL('../../node_modules/.cache/hadoop-eco-e2e/', import.meta.url))
export const E2E_BIN = `${E2E_BUILD}bin/hadoop-eco.js`

let building: Promise<void> | undefined

export const buildCli = (): Promise<void> => (building ??= build())

const build = async (): Promise<void> => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  mkdirSync(`${E2E_BUILD}bin`, { recursive: true })
  copyFileSync(`${root}bin/hadoop-eco.js`, E2E_BIN)
  // Node gives files below a node_modules directory no package scope: say they are ESM. The name
  // and version are the repo's, as an install has them (`hadoop-eco --version` reads them there).
  const { name, version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as Record<string, string>
  writeFileSync(
    `${E2E_BUILD}package.json`,
    `${JSON.stringify({ name, version, type: 'module', private: true })}\n`,
  )
  const tsc = `${root}node_modules/typescript/bin/tsc`
  try {
    await promisify(execFile)(
      process.execPath,
      [
        tsc,
        '-p',
        'tsconfig.build.json',
        '--outDir',
        `${E2E_BUILD}dist`,
        '--tsBuildInfoFile',
        `${E2E_BUILD}tsbuildinfo`,
      ],
      { cwd: root, maxBuffer: 16 * 1024 * 1024 },
    )
  } catch (e) {
    // tsc still emits on type errors. Errors in code the CLI runs fail the suite; others (work
    // in progress elsewhere in the tree) are reported and the run goes on.
    const out =
      String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '')
    const relevant = out.split('\n').filter((l) => /^src\/(sdk|cli|wire)\//.test(l))
    if (relevant.length > 0 || !existsSync(`${E2E_BUILD}dist/cli/main.js`))
      throw new Error(`e2e build failed:\n${out}`)
    process.stderr.write(`e2e build: type errors outside the CLI/SDK, continuing:\n${out}\n`)
  }
}
