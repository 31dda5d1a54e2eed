import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Tests that run the real binary as a child process (crash test, CLI end-to-end) need dist/.
 * Build it once per test run; tsc's incremental build makes this quick when nothing changed.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  if (!process.env.HADOOP_ECO_TEST_DATABASE_URL)
    process.stdout.write(
      '\n  PostgreSQL tests SKIPPED: set HADOOP_ECO_TEST_DATABASE_URL=postgres://user@host:5432/db to run the\n' +
        '  suites against PostgreSQL too (.ci/run does).\n\n',
    )
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  })
}
