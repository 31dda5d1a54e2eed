import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { defineConfig, type Plugin } from 'vite'
import react from '@vitejs/plugin-react'

const here = fileURLToPath(new URL('.', import.meta.url))
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url))
// `npm run dev:web` proxies the API to a server started with `npm start` (port 8080).
const api = process.env.HADOOP_ECO_ENDPOINT ?? 'http://127.0.0.1:8080'

/** The first page's JavaScript (the entry chunk and what it imports statically), gzipped. */
const FIRST_PAGE_BUDGET_BYTES = 200 * 1024

/**
 * Measures what the browser must fetch before the first page can render, fails the build over
 * the budget, and writes the numbers to dist/web/build-report.json.
 */
const firstPageBudget = (): Plugin => ({
  name: 'hadoop-eco-first-page-budget',
  apply: 'build',
  writeBundle(options, bundle) {
    const chunks = new Map(
      Object.values(bundle).flatMap((o) => (o.type === 'chunk' ? [[o.fileName, o] as const] : [])),
    )
    const entry = [...chunks.values()].find((c) => c.isEntry)
    if (!entry) return this.error('no entry chunk')
    const seen = new Set<string>()
    const walk = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const dep of chunks.get(file)?.imports ?? []) walk(dep)
    }
    walk(entry.fileName)
    const files = [...seen].map((f) => ({
      file: f,
      gzipBytes: gzipSync(chunks.get(f)!.code, { level: 9 }).length,
    }))
    const total = files.reduce((n, f) => n + f.gzipBytes, 0)
    writeFileSync(
      `${options.dir ?? outDir}/build-report.json`,
      `${JSON.stringify({ firstPageJsGzipBytes: total, budgetBytes: FIRST_PAGE_BUDGET_BYTES, files }, null, 2)}\n`,
    )
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`
    console.error(
      `console: first page JavaScript ${kb(total)} gzipped (budget ${kb(FIRST_PAGE_BUDGET_BYTES)})`,
    )
    if (total > FIRST_PAGE_BUDGET_BYTES)
      this.error(
        `the first page's JavaScript is ${kb(total)} gzipped, over the ${kb(FIRST_PAGE_BUDGET_BYTES)} budget`,
      )
  },
})

export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [react(), firstPageBudget()],
  build: {
    outDir,
    emptyOutDir: true,
    // The page's CSP forbids inline scripts: no polyfill injected into index.html.
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/v2': api, '/v1': api, '/_console': api, '/_admin': api },
  },
})
