import { defineConfig } from 'vitest/config'

// The suites run once per backend (Kysely-style): SQLite always, PostgreSQL when
// HADOOP_ECO_TEST_DATABASE_URL points at a server (.ci/run sets it). test/global-setup.ts says
// clearly when the PostgreSQL run is skipped.
const pg = !!process.env.HADOOP_ECO_TEST_DATABASE_URL

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'sqlite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
          exclude: ['test/replicas/**'],
          env: { HADOOP_ECO_TEST_BACKEND: 'sqlite' },
        },
      },
      ...(pg
        ? [
            {
              extends: true,
              test: {
                name: 'postgres',
                // Everything that touches the database; the crash test is about the SQLite file
                // and the SDK/CLI tests do not depend on the backend.
                include: [
                  'test/api/**/*.test.ts',
                  'test/store/**/*.test.ts',
                  'test/reconciler/**/*.test.ts',
                  'test/replicas/**/*.test.ts',
                  'test/hardening/**/*.test.ts',
                  'test/*.test.ts',
                ],
                env: { HADOOP_ECO_TEST_BACKEND: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
})
