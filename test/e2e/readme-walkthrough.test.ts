import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, E2E_BIN } from './build.js'
import { closedPort } from './harness.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

/** The `sh` code blocks of the README section whose heading starts with `heading`. */
const shBlocks = (heading: string): string[] => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.split(/\n(?=## )/).find((s) => s.startsWith(`## ${heading}`))
  if (!section) throw new Error(`README.md has no section "${heading}"`)
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

/**
 * The README's walk-through as a newcomer runs it (issue "The first ten minutes", point 16):
 * a fresh `hadoop-eco serve` prints its first credential, then the Quick start's curl examples,
 * the CLI section and the job-cluster example run top to bottom, as printed, in one shell each.
 * Only the placeholders a reader fills in are filled in: the credential and the port.
 */
describe('the README walk-through runs top to bottom on a fresh server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-readme-'))
  let server: ChildProcess
  let port: number
  let credential: { id: string; secret: string }
  beforeAll(async () => {
    await buildCli()
    port = await closedPort()
    server = spawn(process.execPath, [E2E_BIN, 'serve', '--port', String(port)], {
      cwd: dir,
      env: { ...process.env, HADOOP_ECO_TIME_SCALE: '0.001', HADOOP_ECO_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    credential = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no credential printed:\n${out}`)), 30_000)
      const read = (chunk: Buffer) => {
        out += chunk.toString()
        const id = /Credential-ID:\s+(\S+)/.exec(out)
        const secret = /Credential-Secret:\s+(\S+)/.exec(out)
        if (id && secret && out.includes('listening on')) {
          clearTimeout(timer)
          resolve({ id: id[1]!, secret: secret[1]! })
        }
      }
      server.stdout!.on('data', read)
      server.stderr!.on('data', read)
    })
  }, 180_000)
  afterAll(() => {
    server?.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })

  /** Runs one README block in bash -e, with `npx hadoop-eco` as the built CLI and the blanks filled. */
  const run = (script: string, cwd = root) => {
    const filled = script
      .replaceAll('localhost:8080', `127.0.0.1:${port}`)
      .replaceAll('<Credential-ID>', credential.id)
      .replaceAll('<Credential-Secret>', credential.secret)
    const prelude = [
      'set -euo pipefail',
      // What `npx hadoop-eco` runs in a clone: the package's own bin.
      `npx() { if [ "$1" = hadoop-eco ]; then shift; node '${E2E_BIN}' "$@"; else command npx "$@"; fi; }`,
      `export HADOOP_ECO_CONFIG='${join(dir, 'cli.yaml')}'`,
    ].join('\n')
    const r = spawnSync('bash', ['-c', `${prelude}\n${filled}`], { cwd, encoding: 'utf8', timeout: 120_000 })
    return { ...r, all: `${r.stdout}\n${r.stderr}` }
  }

  it('Quick start, then the CLI section, then the nightly job, each exit 0', () => {
    const quick = shBlocks('Quick start')
    // The first block is `npm install && npm start`, which this server stands for.
    expect(quick[0]).toMatch(/npm start/)
    const curl = run(quick[1]!)
    expect(curl.status, curl.all).toBe(0)
    expect(curl.stdout).toContain('"status":"Initializing"')

    const cli = run(shBlocks('CLI')[0]!)
    expect(cli.status, cli.all).toBe(0)
    expect(cli.all).toMatch(/cli-cluster/)

    const nightly = run(shBlocks('Job clusters')[0]!, dir)
    expect(nightly.status, nightly.all).toBe(0)
    expect(nightly.stdout).toMatch(/Terminated\(UserCommand\)\npossible/)
    expect(nightly.stdout).toMatch(/Success/)
  }, 240_000)
})
