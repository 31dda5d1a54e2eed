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
})
