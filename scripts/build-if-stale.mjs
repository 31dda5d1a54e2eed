#!/usr/bin/env node
// `npm start` runs this instead of a full build: the TypeScript is compiled only when a source,
// a tsconfig or package.json is newer than the last build, so a restart costs milliseconds, not
// a compiler run. `npm run build` (this with --force) always compiles.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json']

/** The newest modification time under `path` (files only); 0 when it does not exist. */
const newest = (path) => {
  if (!existsSync(path)) return 0
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  let max = 0
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)))
  return max
}

/** True when `dir` has no build yet, or an input changed after the last one started. */
export const isStale = (dir = root) => {
  const stamp = join(dir, 'dist', '.build-stamp')
  if (!existsSync(stamp)) return true
  return Math.max(...INPUTS.map((p) => newest(join(dir, p)))) > statSync(stamp).mtimeMs
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force')
  if (!force && !isStale()) {
    console.error('hadoop-eco: the build is up to date')
    process.exit(0)
  }
  if (!force) console.error('hadoop-eco: the sources changed since the last build; building...')
  // The stamp carries the time the build started: a source edited while tsc runs is newer, so
  // the next start builds again.
  const started = new Date()
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
  const stamp = join(root, 'dist', '.build-stamp')
  mkdirSync(dirname(stamp), { recursive: true })
  writeFileSync(stamp, `${started.toISOString()}\n`)
  utimesSync(stamp, started, started)
}
