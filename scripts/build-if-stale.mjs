#!/usr/bin/env node
// `npm start` runs this instead of a full build: the server's TypeScript and the web console
// are each built only when one of their inputs is newer than their last build, so a restart
// costs milliseconds, not a compiler run. `npm run build` (this with --force) builds both.
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * What is built, from what, and where its stamp is. The console (web/) compiles the SDK and the
 * wire types into its bundle, so those are its inputs too. A checkout without web/ (a package
 * installed from the registry ships dist/web already built) has only the server to build.
 */
const TARGETS = [
  {
    name: 'server',
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'],
    stamp: join('dist', '.build-stamp'),
    present: () => true,
    command: (dir) => [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
  },
  {
    name: 'console',
    inputs: ['web/index.html', 'web/src', 'web/vite.config.ts', 'src/sdk', 'src/wire', 'package.json'],
    stamp: join('dist', 'web-build-stamp'),
    present: (dir) => existsSync(join(dir, 'web', 'index.html')),
    // A test runner's NODE_ENV=test would make Vite bundle React's development build.
    env: { NODE_ENV: 'production' },
    // Built next to dist/web and swapped in by two renames: a server running from this folder
    // never finds it half-written (or emptied, as Vite does first).
    command: (dir) => [
      join(dir, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      join(dir, 'web', 'vite.config.ts'),
      '--outDir',
      join(dir, 'dist', '.web-next'),
      '--logLevel',
      'warn',
    ],
    after: (dir) => {
      const live = join(dir, 'dist', 'web')
      const old = join(dir, 'dist', `.web-old-${process.pid}`)
      if (existsSync(live)) renameSync(live, old)
      renameSync(join(dir, 'dist', '.web-next'), live)
      rmSync(old, { recursive: true, force: true })
    },
  },
]

/** The newest modification time under `path` (files only); 0 when it does not exist. */
const newest = (path) => {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let max = 0
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)))
  return max
}

const targetStale = (dir, t) => {
  const stamp = join(dir, t.stamp)
  if (!existsSync(stamp)) return true
  return Math.max(...t.inputs.map((p) => newest(join(dir, p)))) > statSync(stamp).mtimeMs
}

/** The targets of `dir` with no build yet, or an input changed after their last one started. */
export const staleTargets = (dir = root) => TARGETS.filter((t) => t.present(dir) && targetStale(dir, t))

/** True when anything in `dir` needs building. */
export const isStale = (dir = root) => staleTargets(dir).length > 0

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force')
  const todo = force ? TARGETS.filter((t) => t.present(root)) : staleTargets(root)
  if (todo.length === 0) {
    console.error('hadoop-eco: the build is up to date')
    process.exit(0)
  }
  if (!force) console.error('hadoop-eco: the sources changed since the last build; building...')
  for (const t of todo) {
    // The stamp carries the time the build started: a source edited during the build is newer,
    // so the next start builds again.
    const started = new Date()
    const [script, ...args] = t.command(root)
    const r = spawnSync(process.execPath, [script, ...args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...t.env },
    })
    if (r.status !== 0) {
      console.error(`hadoop-eco: the ${t.name} build failed`)
      process.exit(r.status ?? 1)
    }
    t.after?.(root)
    const stamp = join(root, t.stamp)
    mkdirSync(dirname(stamp), { recursive: true })
    writeFileSync(stamp, `${started.toISOString()}\n`)
    utimesSync(stamp, started, started)
  }
}
