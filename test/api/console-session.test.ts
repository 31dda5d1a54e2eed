import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { loadConfig } from '../../src/config.js'
import { createServer, type Server } from '../../src/server.js'
import { ADMIN_TOKEN, freshDatabase, startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, createCluster, expectError } from './util.js'

const SESSION = '/_console/session'
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
const HOUR = 3_600_000

type Inject = (opts: InjectOptions) => Promise<LightMyRequestResponse>

const setCookies = (res: LightMyRequestResponse): string[] => {
  const h = res.headers['set-cookie']
  return h === undefined ? [] : [h].flat()
}
/** The one `hadoop_eco_session` Set-Cookie of a response, split into its value and attributes. */
const sessionCookie = (res: LightMyRequestResponse) => {
  const all = setCookies(res).filter((c) => c.startsWith('hadoop_eco_session='))
  expect(all, 'one session Set-Cookie').toHaveLength(1)
  const [pair, ...attrs] = all[0]!.split(';').map((p) => p.trim())
  return { value: pair!.slice('hadoop_eco_session='.length), attrs, raw: all[0]! }
}

const signInWith = (inject: Inject, credentialId: string, credentialSecret: string, headers = {}) =>
  inject({ method: 'POST', url: SESSION, headers, payload: { credentialId, credentialSecret } })

/** Signs in; the cookie header to send back and the session's CSRF token. */
const signedIn = async (inject: Inject, id = 'test-id', secret = 'test-secret-1234') => {
  const res = await signInWith(inject, id, secret)
  expect(res.statusCode, res.body).toBe(201)
  const { value } = sessionCookie(res)
  return {
    cookie: { cookie: `hadoop_eco_session=${value}` },
    token: value,
    csrf: res.json().csrfToken as string,
    body: res.json() as Record<string, unknown>,
  }
}

describe('console session (DESIGN section 13)', () => {
  let s: TestServer
  let inject: Inject
  beforeAll(async () => {
    s = await startTestServer({ timeScale: 0 })
    inject = (o) => s.app.inject(o)
  })
  afterAll(() => s.cleanup())

  it('signs in: 201 with the session, and an HttpOnly SameSite=Strict cookie for the whole site', async () => {
    const res = await signInWith(inject, 'test-id', 'test-secret-1234')
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(
      ['credentialId', 'csrfToken', 'expiresAt', 'idleTimeoutMs', 'projectId'].sort(),
    )
    expect(body).toMatchObject({ credentialId: 'test-id', projectId: 'proj-a', idleTimeoutMs: 8 * HOUR })
    expect(body.expiresAt).toBe(new Date(s.clock.now() + 8 * HOUR).toISOString())
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const c = sessionCookie(res)
    // 256 random bits, base64url
    expect(c.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(c.value).not.toBe(body.csrfToken)
    expect(c.attrs).toEqual(
      expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=28800']),
    )
    // plain http: no Secure, or the browser would drop the cookie
    expect(c.attrs).not.toContain('Secure')
    // two sign-ins are two sessions
    const again = await signedIn(inject)
    expect(again.token).not.toBe(c.value)
    expect(again.csrf).not.toBe(body.csrfToken)
  })

  it('keeps only a hash of the cookie token in the database', async () => {
    const { token, csrf } = await signedIn(inject)
    const rows = await s.store.database.db.selectFrom('console_sessions').selectAll().execute()
    expect(rows.length).toBeGreaterThan(0)
    expect(JSON.stringify(rows)).not.toContain(token)
    expect(rows.map((r) => r.csrf_token)).toContain(csrf)
  })

  it('answers a wrong secret or an unknown id with 401 UNAUTHORIZED and no cookie', async () => {
    for (const [id, secret] of [
      ['test-id', 'wrong-secret-1234'],
      ['nobody', 'test-secret-1234'],
      ['test-id', 'other-secret-1234'],
    ] as const) {
      const res = await signInWith(inject, id, secret)
      expectError(res, 401, 'UNAUTHORIZED')
      expect(setCookies(res)).toEqual([])
    }
  })

  it('answers a bad body with the usual 400 envelope, naming the fields', async () => {
    const missing = expectError(
      await inject({ method: 'POST', url: SESSION, payload: {} }),
      400,
      'FIELD_REQUIRED',
    )
    expect(missing.errors.map((e) => [e.field, e.code])).toEqual([
      ['credentialId', 'FIELD_REQUIRED'],
      ['credentialSecret', 'FIELD_REQUIRED'],
    ])
    const typed = expectError(
      await inject({ method: 'POST', url: SESSION, payload: { credentialId: 7, credentialSecret: ['x'] } }),
      400,
      'INVALID_TYPE',
    )
    expect(typed.errors.map((e) => e.field)).toEqual(['credentialId', 'credentialSecret'])
    expectError(await inject({ method: 'POST', url: SESSION, payload: [] }), 400, 'INVALID_TYPE')
    expectError(
      await inject({
        method: 'POST',
        url: SESSION,
        headers: { 'content-type': 'application/json' },
        payload: '{"a"',
      }),
      400,
      'INVALID_JSON',
    )
  })

  it('authenticates the API with the cookie alone: the list of its project', async () => {
    const id = await createCluster(s, { name: 'seen-through-cookie' })
    await createCluster(s, { name: 'other-project' }, s.otherHeaders)
    const { cookie } = await signedIn(inject)
    const res = await inject({ method: 'GET', url: `${BASE}?name=seen-through-cookie`, headers: cookie })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().content.map((c: { id: string }) => c.id)).toEqual([id])
    const other = await inject({ method: 'GET', url: `${BASE}?name=other-project`, headers: cookie })
    expect(other.json().totalElements).toBe(0)
    expect((await inject({ method: 'GET', url: `${BASE}/${id}`, headers: cookie })).statusCode).toBe(200)
    expect((await inject({ method: 'GET', url: `${BASE}/${id}/events`, headers: cookie })).statusCode).toBe(
      200,
    )
  })

  it('refuses a cookie mutation without the right X-CSRF-Token with 403 CSRF_TOKEN_INVALID, before the body matters', async () => {
    const { cookie, csrf } = await signedIn(inject)
    const create = (headers: Record<string, string>) =>
      inject({
        method: 'POST',
        url: BASE,
        headers: { ...cookie, ...headers },
        payload: validBody({ name: 'csrf-probe' }),
      })
    const none = expectError(await create({}), 403, 'CSRF_TOKEN_INVALID')
    expect(none.message).toMatch(/X-CSRF-Token/)
    expectError(await create({ 'x-csrf-token': 'not-the-token' }), 403, 'CSRF_TOKEN_INVALID')
    expectError(await create({ 'x-csrf-token': '' }), 403, 'CSRF_TOKEN_INVALID')
    // another session's token is not this session's
    const other = await signedIn(inject)
    expectError(await create({ 'x-csrf-token': other.csrf }), 403, 'CSRF_TOKEN_INVALID')
    // a body that is not even JSON: still the CSRF refusal, not a 400
    expectError(
      await inject({
        method: 'POST',
        url: BASE,
        headers: { ...cookie, 'content-type': 'application/json' },
        payload: '{not json',
      }),
      403,
      'CSRF_TOKEN_INVALID',
    )
    expect((await api(s).list('name=csrf-probe')).json().totalElements).toBe(0)

    const ok = await create({ 'x-csrf-token': csrf })
    // the seed's create answers 200
    expect(ok.statusCode, ok.body).toBe(200)
    expect((await api(s).list('name=csrf-probe')).json().totalElements).toBe(1)
  })

  it('guards every mutation route group with the CSRF token; the object routes take no cookie at all', async () => {
    const id = await createCluster(s, { name: 'csrf-groups' })
    const { cookie, csrf } = await signedIn(inject)
    const cases: [string, string, unknown][] = [
      ['DELETE', `${BASE}/${id}`, undefined],
      ['POST', `${BASE}/${id}/scale-out`, { scaleCnt: 1 }],
      ['POST', `${BASE}/${id}/scale-in`, { scaleCnt: 1 }],
      ['POST', `${BASE}/${id}/api-key`, undefined],
      ['DELETE', `${BASE}/${id}/api-key`, undefined],
      ['POST', `${BASE}/${id}`, {}],
    ]
    for (const [method, url, payload] of cases) {
      const res = await inject({
        method: method as 'POST',
        url,
        headers: cookie,
        ...(payload === undefined ? {} : { payload: payload as string }),
      })
      expectError(res, 403, 'CSRF_TOKEN_INVALID')
    }
    // nothing happened
    expect((await api(s).get(id)).json().status).toBe('Initializing')
    const missing = await inject({ method: 'GET', url: '/v1/_/console-bucket', headers: s.headers })
    expect(missing.statusCode).toBe(404)

    // The object routes ignore the cookie, token or not: an object is whatever a user of the
    // project uploaded, an HTML page included, and must not run with someone's session.
    for (const [method, url, payload] of [
      ['PUT', '/v1/_/console-bucket/a.html', '<script>alert(1)</script>'],
      ['PUT', '/v1/_/console-bucket', undefined],
      ['GET', '/v1/_/console-bucket', undefined],
      ['DELETE', '/v1/_/console-bucket', undefined],
    ] as const) {
      const res = await inject({
        method,
        url,
        headers: { ...cookie, 'x-csrf-token': csrf, 'content-type': 'text/html' },
        ...(payload === undefined ? {} : { payload }),
      })
      expectError(res, 401, 'UNAUTHORIZED')
    }
    // With the headers, an HTML object is served so that a browser neither sniffs nor runs it.
    const put = await inject({
      method: 'PUT',
      url: '/v1/_/console-bucket/a.html',
      headers: { ...s.headers, 'content-type': 'text/html' },
      payload: '<script>alert(1)</script>',
    })
    expect(put.statusCode, put.body).toBe(201)
    for (const method of ['GET', 'HEAD'] as const) {
      const got = await inject({ method, url: '/v1/_/console-bucket/a.html', headers: s.headers })
      expect(got.statusCode).toBe(200)
      expect(got.headers['x-content-type-options']).toBe('nosniff')
      expect(got.headers['content-security-policy']).toBe("default-src 'none'; sandbox")
    }
    // the job-cluster key route answers as it does today (this cluster cannot have a key)
    const key = await inject({
      method: 'POST',
      url: `${BASE}/${id}/api-key`,
      headers: { ...cookie, 'x-csrf-token': csrf },
    })
    expectError(key, 409, 'API_KEY_NOT_POSSIBLE')
    // and a re-run still needs the cluster's key header
    const rerun = await inject({
      method: 'POST',
      url: `${BASE}/${id}`,
      headers: { ...cookie, 'x-csrf-token': csrf },
      payload: {},
    })
    expectError(rerun, 401, 'API_KEY_REQUIRED')
  })

  it('takes no session when the request carries two session cookies (one planted by someone else)', async () => {
    const mine = await signedIn(inject)
    const theirs = await signedIn(inject, 'other-id', 'other-secret-1234')
    const both = `${theirs.cookie.cookie}; ${mine.cookie.cookie}`
    expectError(await inject({ method: 'GET', url: BASE, headers: { cookie: both } }), 401, 'UNAUTHORIZED')
    expect((await inject({ method: 'GET', url: BASE, headers: mine.cookie })).statusCode).toBe(200)
  })

  it('lets header credentials win over a cookie, without a CSRF token', async () => {
    // a session of the other project, and the headers of this one
    const other = await signedIn(inject, 'other-id', 'other-secret-1234')
    const res = await inject({
      method: 'POST',
      url: BASE,
      headers: { ...other.cookie, ...s.headers },
      payload: validBody({ name: 'headers-win' }),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect((await api(s).list('name=headers-win')).json().totalElements).toBe(1)
    expect((await api(s, s.otherHeaders).list('name=headers-win')).json().totalElements).toBe(0)
    // a lone header is the header path too (and fails as before), not the cookie
    const lone = await inject({
      method: 'GET',
      url: BASE,
      headers: { ...other.cookie, 'credential-id': 'test-id' },
    })
    expectError(lone, 401, 'UNAUTHORIZED')
  })

  it('answers GET /_console/session with the live session, else 401', async () => {
    const { cookie, body } = await signedIn(inject)
    const res = await inject({ method: 'GET', url: SESSION, headers: cookie })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual(body)
    const none = expectError(await inject({ method: 'GET', url: SESSION }), 401, 'UNAUTHORIZED')
    expect(none.message).toMatch(/no console session/)
    const unknown = expectError(
      await inject({
        method: 'GET',
        url: SESSION,
        headers: { cookie: `hadoop_eco_session=${'A'.repeat(43)}` },
      }),
      401,
      'UNAUTHORIZED',
    )
    expect(unknown.message).toMatch(/expired or was signed out/)
    // the API says the same to a dead cookie
    const list = expectError(
      await inject({ method: 'GET', url: BASE, headers: { cookie: 'hadoop_eco_session=nope' } }),
      401,
      'UNAUTHORIZED',
    )
    expect(list.message).toMatch(/expired or was signed out/)
    // other cookies beside it are fine
    const mixed = await inject({
      method: 'GET',
      url: SESSION,
      headers: { cookie: `a=b; ${cookie.cookie}; c=d` },
    })
    expect(mixed.statusCode).toBe(200)
  })

  it('signs out at once with the CSRF token (204, the cookie cleared); without it nothing ends', async () => {
    const { cookie, csrf } = await signedIn(inject)
    expectError(await inject({ method: 'DELETE', url: SESSION, headers: cookie }), 403, 'CSRF_TOKEN_INVALID')
    expectError(
      await inject({ method: 'DELETE', url: SESSION, headers: { ...cookie, 'x-csrf-token': 'x' } }),
      403,
      'CSRF_TOKEN_INVALID',
    )
    expect((await inject({ method: 'GET', url: BASE, headers: cookie })).statusCode).toBe(200)

    const out = await inject({ method: 'DELETE', url: SESSION, headers: { ...cookie, 'x-csrf-token': csrf } })
    expect(out.statusCode, out.body).toBe(204)
    expect(out.body).toBe('')
    const cleared = sessionCookie(out)
    expect(cleared.value).toBe('')
    expect(cleared.attrs).toEqual(
      expect.arrayContaining(['Max-Age=0', 'Path=/', 'HttpOnly', 'SameSite=Strict']),
    )

    expectError(await inject({ method: 'GET', url: BASE, headers: cookie }), 401, 'UNAUTHORIZED')
    expectError(await inject({ method: 'GET', url: SESSION, headers: cookie }), 401, 'UNAUTHORIZED')
    // signing out of an ended session only clears the cookie
    const again = await inject({ method: 'DELETE', url: SESSION, headers: cookie })
    expect(again.statusCode).toBe(204)
    expect(sessionCookie(again).attrs).toContain('Max-Age=0')
  })

  it('ends the sessions of a revoked credential at once', async () => {
    const created = await inject({
      method: 'POST',
      url: '/_admin/credentials',
      headers: ADMIN,
      payload: { project: 'proj-r' },
    })
    const { id, secret } = created.json() as { id: string; secret: string }
    const { cookie } = await signedIn(inject, id, secret)
    expect((await inject({ method: 'GET', url: BASE, headers: cookie })).statusCode).toBe(200)
    expect(
      (await inject({ method: 'DELETE', url: `/_admin/credentials/${id}`, headers: ADMIN })).statusCode,
    ).toBe(204)
    expectError(await inject({ method: 'GET', url: BASE, headers: cookie }), 401, 'UNAUTHORIZED')
    expectError(await inject({ method: 'GET', url: SESSION, headers: cookie }), 401, 'UNAUTHORIZED')
    expectError(await signInWith(inject, id, secret), 401, 'UNAUTHORIZED')
  })

  it('documents the three session operations and the cookie scheme in /openapi.json', async () => {
    const doc = (await inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { tags?: string[]; security?: Record<string, string[]>[] }>>
      components: { securitySchemes: Record<string, Record<string, string>> }
    }
    const ops = doc.paths[SESSION]!
    expect(Object.keys(ops).sort()).toEqual(['delete', 'get', 'post'])
    for (const op of Object.values(ops)) expect(op.tags).toEqual(['console'])
    const [cookieKey] = Object.entries(doc.components.securitySchemes).find(
      ([, v]) => v.type === 'apiKey' && v.in === 'cookie',
    )!
    expect(doc.components.securitySchemes[cookieKey]).toMatchObject({ name: 'hadoop_eco_session' })
    expect(ops.get!.security).toEqual([{ [cookieKey]: [] }])
    expect(ops.delete!.security).toEqual([{ [cookieKey]: [] }])
    expect(ops.post!.security).toEqual([])
    // the cluster and job-cluster routes accept the cookie as the alternative to the headers
    for (const path of [BASE, `${BASE}/{clusterId}/api-key`])
      for (const op of Object.values(doc.paths[path]!))
        expect(op.security, path).toEqual(expect.arrayContaining([{ [cookieKey]: [] }]))
    // the object routes do not
    for (const op of Object.values(doc.paths['/v1/{projectId}/{bucket}/{*}']!))
      expect(op.security).not.toEqual(expect.arrayContaining([{ [cookieKey]: [] }]))
    // the console's files are not API
    expect(Object.keys(doc.paths).filter((p) => p === '/' || p.startsWith('/console'))).toEqual([])
  })
})

describe('console session limits', () => {
  let s: TestServer
  afterEach(() => s?.cleanup())

  it('refuses a credential over its rate limit before any session is stored', async () => {
    s = await startTestServer({ timeScale: 0, rateLimit: 2 })
    const inject: Inject = (o) => s.app.inject(o)
    for (let i = 0; i < 2; i++) expect((await api(s).list()).statusCode).toBe(200)
    expectError(await signInWith(inject, 'test-id', 'test-secret-1234'), 429, 'RATE_LIMITED')
    expect(await s.store.database.db.selectFrom('console_sessions').selectAll().execute()).toEqual([])
  })

  it('a sign-in from a browser that has a session ends that session: one browser, one session', async () => {
    s = await startTestServer({ timeScale: 0 })
    const inject: Inject = (o) => s.app.inject(o)
    const first = await signedIn(inject)
    const again = await inject({
      method: 'POST',
      url: '/_console/session',
      headers: first.cookie,
      payload: { credentialId: 'other-id', credentialSecret: 'other-secret-1234' },
    })
    expect(again.statusCode).toBe(201)
    expectError(
      await inject({ method: 'GET', url: '/_console/session', headers: first.cookie }),
      401,
      'UNAUTHORIZED',
    )
    expect(await s.store.database.db.selectFrom('console_sessions').selectAll().execute()).toHaveLength(1)
  })

  it('counts a wrong sign-in towards the address failure limit, together with wrong headers', async () => {
    s = await startTestServer({ timeScale: 0, authFailureLimit: 3 })
    const inject: Inject = (o) => s.app.inject(o)
    expectError(await signInWith(inject, 'test-id', 'wrong-secret-1'), 401, 'UNAUTHORIZED')
    expectError(
      await inject({
        method: 'GET',
        url: BASE,
        headers: { 'credential-id': 'test-id', 'credential-secret': 'nope-1234' },
      }),
      401,
      'UNAUTHORIZED',
    )
    // bad bodies are not guesses
    for (let i = 0; i < 5; i++)
      expectError(await inject({ method: 'POST', url: SESSION, payload: {} }), 400, 'FIELD_REQUIRED')
    expectError(await signInWith(inject, 'test-id', 'wrong-secret-2'), 401, 'UNAUTHORIZED')
    // the limit is reached: even the right secret waits, on both paths
    const blocked = expectError(
      await signInWith(inject, 'test-id', 'test-secret-1234'),
      429,
      'TOO_MANY_AUTH_FAILURES',
    )
    expect(blocked.message).toMatch(/failed authentications/)
    expectError(await api(s).list(), 429, 'TOO_MANY_AUTH_FAILURES')
  })

  it('does not count a successful sign-in, nor a dead cookie, as a failure', async () => {
    s = await startTestServer({ timeScale: 0, authFailureLimit: 2 })
    const inject: Inject = (o) => s.app.inject(o)
    for (let i = 0; i < 4; i++) await signedIn(inject)
    for (let i = 0; i < 4; i++)
      expectError(
        await inject({ method: 'GET', url: BASE, headers: { cookie: 'hadoop_eco_session=gone' } }),
        401,
        'UNAUTHORIZED',
      )
    expect((await api(s).list()).statusCode).toBe(200)
  })

  it('marks the cookie Secure when the request came over https', async () => {
    s = await startTestServer({ timeScale: 0, trustProxy: true })
    const res = await signInWith((o) => s.app.inject(o), 'test-id', 'test-secret-1234', {
      'x-forwarded-proto': 'https',
    })
    expect(res.statusCode).toBe(201)
    expect(sessionCookie(res).attrs).toContain('Secure')
  })
})

describe('console session expiry', () => {
  let s: TestServer
  afterEach(() => s?.cleanup())

  /** The session's end as the server tells it, and whether the request renewed the cookie. */
  const probe = async (inject: Inject, cookie: Record<string, string>) => {
    const res = await inject({ method: 'GET', url: SESSION, headers: cookie })
    return {
      status: res.statusCode,
      expiresAt: res.statusCode === 200 ? Date.parse(res.json().expiresAt) : NaN,
      res,
    }
  }

  it('ends after HADOOP_ECO_SESSION_IDLE_MS without a request; each request moves the end, written at most once a minute', async () => {
    const idle = 10 * 60_000
    s = await startTestServer({ timeScale: 0, sessionIdleMs: idle })
    const inject: Inject = (o) => s.app.inject(o)
    const t0 = s.clock.now()
    const { cookie, body } = await signedIn(inject)
    expect(body.idleTimeoutMs).toBe(idle)
    expect(Date.parse(body.expiresAt as string)).toBe(t0 + idle)

    // within the minute: authenticated, but the end is not written again
    s.clock.advance(30_000)
    const quiet = await probe(inject, cookie)
    expect(quiet.status).toBe(200)
    expect(quiet.expiresAt).toBe(t0 + idle)
    expect(setCookies(quiet.res)).toEqual([])

    // later: any API request moves it, and the cookie's Max-Age follows
    s.clock.advance(9 * 60_000)
    const list = await inject({ method: 'GET', url: BASE, headers: cookie })
    expect(list.statusCode).toBe(200)
    expect(sessionCookie(list).attrs).toContain('Max-Age=600')
    const t1 = s.clock.now()
    expect((await probe(inject, cookie)).expiresAt).toBe(t1 + idle)

    // used just before the end: it goes on
    s.clock.advance(idle - 1)
    expect((await probe(inject, cookie)).status).toBe(200)
    // idle for the whole time: gone
    s.clock.advance(idle)
    expect((await probe(inject, cookie)).status).toBe(401)
    expectError(await inject({ method: 'GET', url: BASE, headers: cookie }), 401, 'UNAUTHORIZED')
  })

  it('writes every half idle time when that is shorter than a minute, so a session in use never lapses', async () => {
    s = await startTestServer({ timeScale: 0, sessionIdleMs: 2000 })
    const inject: Inject = (o) => s.app.inject(o)
    const { cookie } = await signedIn(inject)
    for (let i = 0; i < 10; i++) {
      s.clock.advance(1500)
      const p = await probe(inject, cookie)
      expect(p.status, `request ${i}`).toBe(200)
    }
    s.clock.advance(2000)
    expect((await probe(inject, cookie)).status).toBe(401)
  })

  it('deletes ended sessions at the next sign-in', async () => {
    s = await startTestServer({ timeScale: 0, sessionIdleMs: 60_000 })
    const inject: Inject = (o) => s.app.inject(o)
    for (let i = 0; i < 3; i++) await signedIn(inject)
    const count = async () =>
      (await s.store.database.db.selectFrom('console_sessions').select('token_hash').execute()).length
    expect(await count()).toBe(3)
    s.clock.advance(60_000)
    await signedIn(inject)
    expect(await count()).toBe(1)
  })
})

describe('console sessions across two servers on one database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-console-'))
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 9))
  let a: Server
  let b: Server
  let drop: () => Promise<void>
  beforeAll(async () => {
    const db = await freshDatabase(dir)
    drop = db.drop
    const config = loadConfig({
      HADOOP_ECO_DATABASE_URL: db.url,
      HADOOP_ECO_CREDENTIALS: 'test-id:test-secret-1234@proj-a',
      HADOOP_ECO_ADMIN_TOKEN: ADMIN_TOKEN,
      HADOOP_ECO_DATA_DIR: dir,
      HADOOP_ECO_SECRET_KEY: randomBytes(32).toString('base64'),
    })
    const opts = { clock, logger: pino({ level: 'silent' }), startReconciler: false }
    a = await createServer(config, opts)
    b = await createServer(config, opts)
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
    await drop?.()
    rmSync(dir, { recursive: true, force: true })
  })

  it('shares a session, and a sign-out on one ends it on the other at once', async () => {
    const { cookie, csrf } = await signedIn((o) => a.app.inject(o))
    expect((await b.app.inject({ method: 'GET', url: BASE, headers: cookie })).statusCode).toBe(200)
    expect((await b.app.inject({ method: 'GET', url: SESSION, headers: cookie })).statusCode).toBe(200)
    // warm A's path too, so nothing could be answered from memory
    expect((await a.app.inject({ method: 'GET', url: BASE, headers: cookie })).statusCode).toBe(200)
    const out = await b.app.inject({
      method: 'DELETE',
      url: SESSION,
      headers: { ...cookie, 'x-csrf-token': csrf },
    })
    expect(out.statusCode).toBe(204)
    expectError(await a.app.inject({ method: 'GET', url: BASE, headers: cookie }), 401, 'UNAUTHORIZED')
  })

  it('ends a session on one server when the other revokes its credential', async () => {
    const created = await b.app.inject({
      method: 'POST',
      url: '/_admin/credentials',
      headers: ADMIN,
      payload: { project: 'p2' },
    })
    const { id, secret } = created.json() as { id: string; secret: string }
    const { cookie } = await signedIn((o) => a.app.inject(o), id, secret)
    expect((await a.app.inject({ method: 'GET', url: BASE, headers: cookie })).statusCode).toBe(200)
    expect(
      (await b.app.inject({ method: 'DELETE', url: `/_admin/credentials/${id}`, headers: ADMIN })).statusCode,
    ).toBe(204)
    expectError(await a.app.inject({ method: 'GET', url: BASE, headers: cookie }), 401, 'UNAUTHORIZED')
  })
})

describe('the credential secret and the session token stay out of answers and logs', () => {
  let s: TestServer
  const lines: string[] = []
  const secret = `console-secret-${randomBytes(12).toString('hex')}`
  beforeAll(async () => {
    const stream = new PassThrough()
    stream.on('data', (d: Buffer) => lines.push(d.toString('utf8')))
    s = await startTestServer(
      { timeScale: 0, credentials: undefined },
      { logStream: stream, logLevel: 'debug' },
    )
  })
  afterAll(() => s.cleanup())

  it('never echoes them, in any answer, cookie or log line', async () => {
    const inject: Inject = (o) => s.app.inject(o)
    const created = await inject({
      method: 'POST',
      url: '/_admin/credentials',
      headers: ADMIN,
      payload: { project: 'proj-s' },
    })
    const cred = created.json() as { id: string; secret: string }
    const answers: LightMyRequestResponse[] = []
    const wrong = await signInWith(inject, cred.id, secret)
    answers.push(wrong)
    const right = await signInWith(inject, cred.id, cred.secret)
    answers.push(right)
    const token = sessionCookie(right).value
    const cookie = { cookie: `hadoop_eco_session=${token}` }
    const csrf = right.json().csrfToken as string
    answers.push(await inject({ method: 'GET', url: SESSION, headers: cookie }))
    answers.push(await inject({ method: 'GET', url: BASE, headers: cookie }))
    answers.push(
      await inject({ method: 'POST', url: BASE, headers: cookie, payload: validBody({ name: 'x' }) }),
    )
    answers.push(
      await inject({ method: 'DELETE', url: SESSION, headers: { ...cookie, 'x-csrf-token': csrf } }),
    )
    answers.push(await inject({ method: 'GET', url: BASE, headers: cookie }))
    for (const res of answers) {
      const text = `${JSON.stringify(res.headers)}\n${res.body}`
      expect(text).not.toContain(cred.secret)
      expect(text).not.toContain(secret)
    }
    // the token is in the one Set-Cookie that hands it out, nowhere else
    expect(answers.filter((r) => `${JSON.stringify(r.headers)}${r.body}`.includes(token))).toEqual([right])
    await new Promise((r) => setTimeout(r, 50))
    const log = lines.join('')
    expect(log).toContain('request headers') // debug lines were written, and checked
    expect(log).not.toContain(cred.secret)
    expect(log).not.toContain(secret)
    expect(log).not.toContain(token)
  })
})
