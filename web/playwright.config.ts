import { defineConfig, devices } from '@playwright/test'

/**
 * The console in a real browser: Debian's Chromium (browsers cannot be downloaded here), against
 * real `hadoop-eco serve` processes that e2e/global-setup.ts starts: one on SQLite, and one on
 * PostgreSQL when HADOOP_ECO_TEST_DATABASE_URL is set (as `.ci/run` sets it).
 */
const chromium = process.env.HADOOP_ECO_CHROMIUM ?? '/usr/bin/chromium'
const backends = ['sqlite', ...(process.env.HADOOP_ECO_TEST_DATABASE_URL ? ['postgres'] : [])]

export default defineConfig({
  testDir: './e2e',
  globalSetup: './e2e/global-setup.ts',
  outputDir: '../test-results/console',
  // Two cores: the servers, the browser and the runner share them.
  workers: 2,
  fullyParallel: true,
  retries: 0,
  // Real servers and a real browser on two shared cores: generous, since a slow machine is not a bug.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list'], ['json', { outputFile: '../.ci/e2e-results.json' }]] : 'list',
  use: {
    ...devices['Desktop Chrome'],
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      // Without these, Chromium keeps calling home on a closed network (see the machine notes).
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: backends.map((name) => ({ name, metadata: { backend: name } })),
})
