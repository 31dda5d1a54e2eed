import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('../../scripts/build-if-stale.mjs', import.meta.url))

/**
 * `npm start` compiles only when something changed (issue "The first ten minutes", point 2). The
 * script runs as a real process on a copy of the layout whose node_modules has no compiler, so a
 * build it should not start shows up as a failure.
 */
describe('npm start builds only when the sources changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-stale-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const run = () =>
    spawnSync(process.execPath, [join(dir, 'scripts', 'build-if-stale.mjs')], { encoding: 'utf8' })
  const at = (path: string, seconds: number) => {
    const t = new Date(Date.UTC(2026, 0, 1) + seconds * 1000)
    utimesSync(path, t, t)
  }

  it('skips the compiler when the build is newer than every input, and runs it once one is newer', () => {
    mkdirSync(join(dir, 'scripts'))
    mkdirSync(join(dir, 'src', 'api'), { recursive: true })
    mkdirSync(join(dir, 'dist'))
    copyFileSync(script, join(dir, 'scripts', 'build-if-stale.mjs'))
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src/api/app.ts']) {
      writeFileSync(join(dir, f), '{}\n')
      at(join(dir, f), 0)
    }
    // No build yet: it must compile (and fails here, having no TypeScript to run).
    let r = run()
    expect(r.stderr).toMatch(/building/)
    expect(r.status).not.toBe(0)

    writeFileSync(join(dir, 'dist', '.build-stamp'), '')
    at(join(dir, 'dist', '.build-stamp'), 10)
    r = run()
    expect(r.stderr).toMatch(/the build is up to date/)
    expect(r.status).toBe(0)

    // A source deep in src/ edited after the build.
    at(join(dir, 'src', 'api', 'app.ts'), 20)
    r = run()
    expect(r.stderr).toMatch(/the sources changed since the last build; building/)
    expect(r.status).not.toBe(0)
  })
  it('builds the console only when its own inputs (web/, the SDK, the wire types) changed', () => {
    const web = mkdtempSync(join(tmpdir(), 'hadoop-eco-stale-web-'))
    try {
      for (const d of ['scripts', 'src/api', 'src/sdk', 'src/wire', 'web/src', 'dist'])
        mkdirSync(join(web, d), { recursive: true })
      copyFileSync(script, join(web, 'scripts', 'build-if-stale.mjs'))
      const files = [
        'package.json',
        'tsconfig.json',
        'tsconfig.build.json',
        'src/api/app.ts',
        'src/sdk/client.ts',
      ]
      for (const f of [
        ...files,
        'src/wire/schemas.ts',
        'web/index.html',
        'web/src/main.tsx',
        'web/vite.config.ts',
      ]) {
        writeFileSync(join(web, f), '{}\n')
        at(join(web, f), 0)
      }
      for (const stamp of ['dist/.build-stamp', 'dist/web-build-stamp']) {
        writeFileSync(join(web, stamp), '')
        at(join(web, stamp), 10)
      }
      const runIn = () =>
        spawnSync(process.execPath, [join(web, 'scripts', 'build-if-stale.mjs')], { encoding: 'utf8' })
      expect(runIn().stderr).toMatch(/the build is up to date/)

      // A page of the console: only the console is built (and fails here: no Vite).
      at(join(web, 'web', 'src', 'main.tsx'), 20)
      let r = runIn()
      expect(r.stderr).toMatch(/the console build failed/)
      expect(r.stderr).not.toMatch(/the server build/)

      // The SDK is compiled into both.
      writeFileSync(join(web, 'dist', 'web-build-stamp'), '')
      at(join(web, 'dist', 'web-build-stamp'), 30)
      at(join(web, 'src', 'sdk', 'client.ts'), 40)
      r = runIn()
      expect(r.stderr).toMatch(/the server build failed/)
      at(join(web, 'dist', '.build-stamp'), 50)
      expect(runIn().stderr).toMatch(/the console build failed/)

      // A server-only source leaves the console alone.
      at(join(web, 'dist', 'web-build-stamp'), 50)
      at(join(web, 'src', 'api', 'app.ts'), 60)
      r = runIn()
      expect(r.stderr).toMatch(/the server build failed/)
      at(join(web, 'dist', '.build-stamp'), 70)
      expect(runIn().stderr).toMatch(/the build is up to date/)
    } finally {
      rmSync(web, { recursive: true, force: true })
    }
  })
})
