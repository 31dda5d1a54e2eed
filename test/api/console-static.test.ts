import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers.js'
import { expectError } from './util.js'

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
const INDEX =
  '<!doctype html><html><head><script type="module" src="/console/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>'
const SCRIPT = 'console.log("console")'
const IMMUTABLE = 'public, max-age=31536000, immutable'

const expectSecurityHeaders = (res: LightMyRequestResponse) => {
  expect(res.headers['content-security-policy']).toBe(CSP)
  expect(res.headers['x-content-type-options']).toBe('nosniff')
  expect(res.headers['referrer-policy']).toBe('no-referrer')
  expect(res.headers['x-frame-options']).toBe('DENY')
}

/** A console build as Vite lays it out. */
const fakeBuild = (dir: string) => {
  mkdirSync(join(dir, 'assets'), { recursive: true })
  writeFileSync(join(dir, 'index.html'), INDEX)
  writeFileSync(join(dir, 'assets', 'index-Ab12Cd34.js'), SCRIPT)
  writeFileSync(join(dir, 'assets', 'index-Ef56Gh78.css'), 'body{margin:0}')
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
  writeFileSync(join(dir, '.env'), 'SECRET=1')
}

describe('the web console at /console/ (DESIGN section 13)', () => {
  let s: TestServer
  let dir: string
  let outside: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-console-'))
    fakeBuild(join(dir, 'web'))
    outside = join(dir, 'outside.txt')
    writeFileSync(outside, 'not for the web')
    s = await startTestServer({ timeScale: 0, consoleDir: join(dir, 'web') })
  })
  afterAll(async () => {
    await s.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })
  const get = (url: string, headers: Record<string, string> = {}) =>
    s.app.inject({ method: 'GET', url, headers })

  it('serves index.html at /console/, always revalidated, with the strict CSP and the other headers', async () => {
    const res = await get('/console/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toBe(INDEX)
    expect(res.headers['cache-control']).toBe('no-cache')
    expectSecurityHeaders(res)
    // no credentials needed, and wrong ones do not matter: the page signs in itself
    const wrong = await get('/console/', { 'credential-id': 'x', 'credential-secret': 'y' })
    expect(wrong.statusCode).toBe(200)
    const head = await s.app.inject({ method: 'HEAD', url: '/console/' })
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
    expectSecurityHeaders(head)
  })

  it('redirects /console to /console/ and / to /console/', async () => {
    const bare = await get('/console')
    expect([301, 302]).toContain(bare.statusCode)
    expect(bare.headers.location).toBe('/console/')
    expectSecurityHeaders(bare)
    const withQuery = await get('/console?x=1')
    expect(withQuery.headers.location).toBe('/console/?x=1')
    const root = await get('/')
    expect(root.statusCode).toBe(302)
    expect(root.headers.location).toBe('/console/')
  })

  it('answers client-side routes with index.html (the single-page app routes them)', async () => {
    for (const url of [
      '/console/clusters',
      '/console/clusters/abc',
      '/console/clusters/abc/?tab=vms',
      '/console/admin',
    ]) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(200)
      expect(res.body, url).toBe(INDEX)
      expect(res.headers['cache-control'], url).toBe('no-cache')
      expectSecurityHeaders(res)
    }
  })

  it('serves hashed assets as immutable, other files revalidated', async () => {
    const js = await get('/console/assets/index-Ab12Cd34.js')
    expect(js.statusCode).toBe(200)
    expect(js.headers['content-type']).toMatch(/^(text|application)\/javascript/)
    expect(js.body).toBe(SCRIPT)
    expect(js.headers['cache-control']).toBe(IMMUTABLE)
    expectSecurityHeaders(js)
    const css = await get('/console/assets/index-Ef56Gh78.css')
    expect(css.headers['content-type']).toMatch(/^text\/css/)
    expect(css.headers['cache-control']).toBe(IMMUTABLE)
    const icon = await get('/console/favicon.svg')
    expect(icon.statusCode).toBe(200)
    expect(icon.headers['content-type']).toMatch(/^image\/svg\+xml/)
    expect(icon.headers['cache-control']).toBe('no-cache')
    // a conditional request is answered 304
    const again = await get('/console/assets/index-Ab12Cd34.js', { 'if-none-match': String(js.headers.etag) })
    expect(again.statusCode).toBe(304)
  })

  it('answers a missing asset 404 with the envelope, not the page', async () => {
    for (const url of [
      '/console/assets/index-Old00000.js',
      '/console/assets/gone.css',
      '/console/assets/nested/x.js',
    ]) {
      const res = await get(url)
      expectError(res, 404, 'NOT_FOUND')
      expectSecurityHeaders(res)
    }
  })

  it('never serves a file outside the folder, nor a hidden one', async () => {
    for (const url of [
      '/console/..%2foutside.txt',
      '/console/%2e%2e/outside.txt',
      '/console/assets/..%2f..%2foutside.txt',
      '/console/.env',
      '/console/%2eenv',
      '/console/assets%5c..%5c..%5coutside.txt',
    ]) {
      const res = await get(url)
      expect(res.body, url).not.toContain('not for the web')
      expect(res.body, url).not.toContain('SECRET')
      expect([200, 400, 403, 404], url).toContain(res.statusCode)
    }
  })

  it('keeps the 405 with Allow for other methods, and 404 beside it', async () => {
    const post = await s.app.inject({ method: 'POST', url: '/console/clusters', payload: {} })
    expectError(post, 405, 'METHOD_NOT_ALLOWED')
    expect(post.headers.allow).toBe('GET, HEAD')
    expectSecurityHeaders(post)
    expectSecurityHeaders(await s.app.inject({ method: 'DELETE', url: '/console' }))
    const beside = await get('/consoles')
    expectError(beside, 404, 'NOT_FOUND')
    // not the console's: no console headers
    expect(beside.headers['content-security-policy']).toBeUndefined()
  })
})

describe('the web console before it is built', () => {
  let s: TestServer
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-console-'))
    s = await startTestServer({ timeScale: 0, consoleDir: join(dir, 'not-built') })
  })
  afterAll(async () => {
    await s.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers 503 CONSOLE_NOT_BUILT and says how to build it', async () => {
    for (const url of ['/console/', '/console/clusters/abc']) {
      const res = await s.app.inject({ method: 'GET', url })
      const body = expectError(res, 503, 'CONSOLE_NOT_BUILT')
      expect(body.message).toMatch(/npm run build/)
      expectSecurityHeaders(res)
    }
    expectError(await s.app.inject({ method: 'GET', url: '/console/assets/a.js' }), 404, 'NOT_FOUND')
    // the API is not affected
    expect(
      (await s.app.inject({ method: 'GET', url: '/v2/hadoop-eco/clusters', headers: s.headers })).statusCode,
    ).toBe(200)
  })
})
