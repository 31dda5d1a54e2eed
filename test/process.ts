import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })

export interface Proc {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** Runs the real binary (`bin/hadoop-eco.js serve`) as a child process. */
export const spawnServer = (port: number, env: Record<string, string>): Proc => {
  let out = ''
  const child = spawn(process.execPath, ['bin/hadoop-eco.js', 'serve', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, HADOOP_ECO_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

export const waitFor = async (what: string, fn: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 50) => {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      if (await fn()) return
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
