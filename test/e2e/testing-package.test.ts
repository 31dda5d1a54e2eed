import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, E2E_BUILD } from './build.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** The README's vitest example, as a user's project would hold it. */
const readmeExample = (): string => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const m = /<!-- testing-example -->\s*```ts\n([\s\S]*?)```/.exec(readme)
  if (!m) throw new Error('README.md has no testing example marked <!-- testing-example -->')
  return m[1]!
}

/**
 * DESIGN section 14 the way another project's suite uses it: a separate folder whose
 * node_modules holds the built package (its package.json and dist, as npm installs it), and a
 * vitest file that imports `hadoop-eco/testing` by its public name.
 */
describe('hadoop-eco/testing from another package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-user-'))
  beforeAll(async () => {
    await buildCli()
    const pkg = join(dir, 'node_modules', 'hadoop-eco')
    mkdirSync(pkg, { recursive: true })
    writeFileSync(join(pkg, 'package.json'), readFileSync(join(root, 'package.json')))
    symlinkSync(join(E2E_BUILD, 'dist'), join(pkg, 'dist'), 'dir')
    symlinkSync(join(root, 'node_modules', 'vitest'), join(dir, 'node_modules', 'vitest'), 'dir')
    writeFileSync(join(dir, 'package.json'), '{ "name": "my-pipeline", "type": "module", "private": true }\n')
  }, 180_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("runs the README's vitest example: a cluster moves to Running and is deleted", async () => {
    writeFileSync(join(dir, 'pipeline.test.ts'), readmeExample())
    const run = promisify(execFile)(
      process.execPath,
      [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir, '--reporter', 'verbose'],
      { cwd: dir, env: { ...process.env, HADOOP_ECO_TEST_BACKEND: '', VITEST: '' } },
    )
    const { stdout } = await run
    expect(stdout).toMatch(/1 passed/)
    expect(stdout).toMatch(/reaches Running and can be deleted/)
  }, 120_000)

  it('starts with nothing but defaults, and with the options of section 14', async () => {
    writeFileSync(
      join(dir, 'options.mjs'),
      `import { startHadoopEco } from 'hadoop-eco/testing'
import { readdirSync } from 'node:fs'
const a = await startHadoopEco()
const b = await startHadoopEco({ timeScale: 0.001, credentials: 'ci-id:ci-secret-123@ci', objectStoreDir: process.argv[2], logLevel: 'silent' })
const put = await fetch(b.url + '/v1/ci/bucket/key.txt', { method: 'PUT', body: 'hi', headers: { 'credential-id': 'ci-id', 'credential-secret': 'ci-secret-123' } })
const admin = await fetch(b.url + '/_admin/faults', { headers: { authorization: 'Bearer ' + b.adminToken } })
console.log(JSON.stringify({
  a: { url: a.url, id: a.credential.id, list: (await a.client.clusters.list()).totalElements },
  b: { credential: b.credential, put: put.status, admin: admin.status, files: readdirSync(process.argv[2]) },
  samePort: a.url === b.url,
}))
await a.close()
await b.close()
// The issue's own attempt: createServer with only the settings it cares about.
const { createServer } = await import('hadoop-eco')
const srv = await createServer({ databaseUrl: 'sqlite::memory:', port: 0, credentials: 'test:test-secret', logLevel: 'silent' })
const url = await srv.app.listen({ host: '127.0.0.1', port: 0 })
const listed = await fetch(url + '/v2/hadoop-eco/clusters', { headers: { 'credential-id': 'test', 'credential-secret': 'test-secret' } })
if (listed.status !== 200) throw new Error('createServer with a partial config: list answered ' + listed.status)
await srv.close()
`,
    )
    const objects = join(dir, 'objects')
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'options.mjs'), objects], {
      cwd: dir,
    })
    const out = JSON.parse(stdout) as {
      a: { url: string; id: string; list: number }
      b: {
        credential: { id: string; secret: string; project: string }
        put: number
        admin: number
        files: string[]
      }
      samePort: boolean
    }
    expect(out.a.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(out.a.list).toBe(0)
    expect(out.samePort).toBe(false)
    expect(out.b.credential).toEqual({ id: 'ci-id', secret: 'ci-secret-123', project: 'ci' })
    expect(out.b.put).toBe(201)
    expect(out.b.admin).toBe(200)
    expect(out.b.files).toContain('ci')
  }, 60_000)
})
