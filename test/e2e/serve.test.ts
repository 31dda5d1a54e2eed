import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnServer, waitFor, type Proc } from '../process.js'

/**
 * DESIGN section 14: `hadoop-eco serve` prints one line with the URL it listens on as soon as it
 * listens, also with `--port 0` and on a restart (when no credential is printed), and its JSON
 * log lines reach stdout within a second even when nothing else happens.
 */
describe('hadoop-eco serve (real process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-serve-'))
  const procs: Proc[] = []
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  const start = async () => {
    const p = spawnServer(0, {
      HADOOP_ECO_DATABASE_URL: `sqlite:${join(dir, 'serve.db')}`,
      HADOOP_ECO_DATA_DIR: dir,
      HADOOP_ECO_LOG_LEVEL: 'info',
    })
    procs.push(p)
    let url = ''
    await waitFor(
      'the listening line',
      async () => {
        url = /^hadoop-eco listening on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(p.output())?.[1] ?? ''
        return url !== ''
      },
      30_000,
      20,
    )
    return { p, url }
  }

  it('prints its URL as soon as it listens, with --port 0, on the first start and on a restart', async () => {
    const first = await start()
    expect(first.url).not.toMatch(/:0$/)
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
    // The first start created and printed a credential.
    expect(first.p.output()).toContain('Credential-Secret:')
    // The JSON log (buffered in 4 KiB blocks) still shows up within a second or so.
    await waitFor(
      'the listening log line',
      async () => first.p.output().includes('"msg":"hadoop-eco listening"'),
      5000,
      50,
    )
    first.p.child.kill('SIGTERM')
    expect(await first.p.exited).toBe(0)

    const again = await start()
    expect(again.p.output()).not.toContain('Credential-Secret:')
    expect((await fetch(`${again.url}/healthz`)).status).toBe(200)
    again.p.child.kill('SIGTERM')
    expect(await again.p.exited).toBe(0)
  })
})

describe('hadoop-eco output into a closed pipe', () => {
  it('exits quietly when the reader goes away (EPIPE), as `| head -1` or `| true` make it', async () => {
    const { spawn } = await import('node:child_process')
    const { ROOT } = await import('../process.js')
    const child = spawn(process.execPath, ['bin/hadoop-eco.js', '--help'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    // The reader is gone before the first byte: every write fails with EPIPE.
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  })
})
