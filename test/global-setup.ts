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
  if (!process.env.HADOOP_ECO_E2E_KUBECONFIG)
    process.stdout.write(
      '  Kubernetes end-to-end test SKIPPED: set HADOOP_ECO_E2E_KUBECONFIG=<kubeconfig> to run a real\n' +
        '  cluster through it (docs/kubernetes.md).\n\n',
    )
  // What `npm start` does: build the server and the console if their sources changed since their
  // last build (their stamps are written, so a later `npm start` skips it too).
  execFileSync(process.execPath, ['scripts/build-if-stale.mjs'], {
    cwd: root,
    stdio: 'inherit',
  })
}
