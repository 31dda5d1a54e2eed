#!/usr/bin/env node
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(fileURLToPath(entry))) {
  console.error('hadoop-eco is not built yet: run `npm run build` (npm start does it for you).')
  process.exit(1)
}
// A reader that stops early (`hadoop-eco clusters list -o json | head -1`) is no error: exit
// quietly, as cat and grep do, instead of dying with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw e
  })
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
