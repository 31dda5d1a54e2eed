import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ForbiddenError,
  HadoopEcoClient,
  NotFoundError,
  UnauthorizedError,
  type ConsoleSession,
  type CreateClusterRequest,
  type Fault,
  type NewFault,
} from '../../src/sdk/index.js'
import {
  ADMIN_TOKEN,
  CREDENTIAL,
  minimalSpec,
  startE2EServer,
  uniqueName,
  type E2EServer,
} from './harness.js'

interface Sent {
  method: string
  path: string
  headers: Headers
  credentials: RequestInit['credentials']
}

/**
 * What a browser does that Node's fetch does not: keep the cookies a server sets and send them
 * back. Records every request as it went out.
 */
const browserFetch = () => {
  const jar = new Map<string, string>()
  const sent: Sent[] = []
  const f: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
    sent.push({
      method: init?.method ?? 'GET',
      path: new URL(String(input)).pathname,
      headers,
      credentials: init?.credentials,
    })
    const res = await fetch(input, { ...init, headers })
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((p) => p.trim())
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      if (value === '' || attrs.some((a) => /^max-age=0$/i.test(a))) jar.delete(name)
      else jar.set(name, value)
    }
    return res
  }
  return { fetch: f, jar, sent }
}

const spec = (name: string) => minimalSpec(name) as unknown as CreateClusterRequest

describe('the SDK in session mode (the web console), over a real socket', () => {
  let server: E2EServer
  beforeAll(async () => {
    server = await startE2EServer()
  })
  afterAll(() => server.close())

  const sessionClient = (browser = browserFetch(), over = {}) =>
    new HadoopEcoClient({
      endpoint: server.url,
      auth: 'session',
      fetch: browser.fetch,
      maxRetries: 0,
      ...over,
    })

  it('needs no credential to be built, and may use the page origin', () => {
    expect(() => new HadoopEcoClient({ endpoint: server.url, auth: 'session' })).not.toThrow()
    const sameOrigin = new HadoopEcoClient({ endpoint: '', auth: 'session' })
    expect(sameOrigin.endpoint).toBe('')
    // outside session mode the endpoint must still be a URL, and a credential is needed
    expect(() => new HadoopEcoClient({ endpoint: '', credentialId: 'a', credentialSecret: 'b' })).toThrow(
      /endpoint/,
    )
    expect(() => new HadoopEcoClient({ endpoint: server.url, credentialId: 'a' })).toThrow(/no credential/)
    expect(() => new HadoopEcoClient({ endpoint: server.url, auth: 'cookie' as 'session' })).toThrow(
      /auth must be/,
    )
  })

  it('signs in, lists and creates through the cookie, with the CSRF token on mutations only', async () => {
    const browser = browserFetch()
    const client = sessionClient(browser)
    await expect(client.clusters.list()).rejects.toBeInstanceOf(UnauthorizedError)

    const session: ConsoleSession = await client.session.signIn({
      credentialId: CREDENTIAL.id,
      credentialSecret: CREDENTIAL.secret,
    })
    expect(session).toMatchObject({
      credentialId: CREDENTIAL.id,
      projectId: 'proj',
      idleTimeoutMs: 28_800_000,
    })
    expect(client.session.csrfToken).toBe(session.csrfToken)
    expect([...browser.jar.keys()]).toEqual(['hadoop_eco_session'])

    const name = uniqueName('sess')
    const { id } = await client.clusters.create(spec(name))
    const page = await client.clusters.list({ name })
    expect(page.content.map((c) => c.id)).toEqual([id])
    await client.clusters.delete(id)

    for (const r of browser.sent) {
      expect(r.headers.has('credential-id'), `${r.method} ${r.path}`).toBe(false)
      expect(r.headers.has('credential-secret'), `${r.method} ${r.path}`).toBe(false)
      expect(r.credentials, `${r.method} ${r.path}`).toBe('same-origin')
    }
    const after = browser.sent.filter((r) => r.path.startsWith('/v2/'))
    const mutations = after.filter((r) => r.method !== 'GET').slice(-2)
    expect(mutations.map((r) => r.method)).toEqual(['POST', 'DELETE'])
    for (const r of mutations) expect(r.headers.get('x-csrf-token')).toBe(session.csrfToken)
    for (const r of after.filter((x) => x.method === 'GET')) expect(r.headers.has('x-csrf-token')).toBe(false)
    // the secret went out once, in the sign-in body, and never as a header
    expect(
      browser.sent.filter((r) => [...r.headers.values()].some((v) => v.includes(CREDENTIAL.secret))),
    ).toEqual([])
  })

  it('picks a session up again after a reload (current), and a wrong CSRF token is a 403', async () => {
    const browser = browserFetch()
    await sessionClient(browser).session.signIn({
      credentialId: CREDENTIAL.id,
      credentialSecret: CREDENTIAL.secret,
    })

    // a reloaded page: the cookie survives, the token in memory does not
    const forged = sessionClient(browser, { csrfToken: 'not-the-token' })
    const err = await forged.clusters.create(spec(uniqueName('forged'))).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ForbiddenError)
    expect((err as ForbiddenError).code).toBe('CSRF_TOKEN_INVALID')

    const reloaded = sessionClient(browser)
    const s = await reloaded.session.current()
    expect(reloaded.session.csrfToken).toBe(s.csrfToken)
    const { id } = await reloaded.clusters.create(spec(uniqueName('reload')))
    expect((await reloaded.clusters.get(id)).id).toBe(id)
    await reloaded.clusters.delete(id)
  })

  it('gets no access to the object routes through the cookie (an object could be a page that runs)', async () => {
    const browser = browserFetch()
    const client = sessionClient(browser)
    await client.session.signIn({ credentialId: CREDENTIAL.id, credentialSecret: CREDENTIAL.secret })
    await expect(
      client.objects.put('console-sdk', 'a/b.txt', 'hello from the console'),
    ).rejects.toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
    })
    await expect(client.objects.list('console-sdk')).rejects.toMatchObject({ status: 401 })
    // The session itself is fine: the cluster routes still take it.
    await expect(client.clusters.list()).resolves.toMatchObject({ totalElements: expect.any(Number) })
  })

  it('signs out: the token is forgotten, the cookie cleared, and the session is over', async () => {
    const browser = browserFetch()
    const client = sessionClient(browser)
    const s = await client.session.signIn({
      credentialId: CREDENTIAL.id,
      credentialSecret: CREDENTIAL.secret,
    })
    const stolen = `hadoop_eco_session=${browser.jar.get('hadoop_eco_session')}`
    await client.session.signOut()
    expect(client.session.csrfToken).toBeUndefined()
    expect(browser.jar.size).toBe(0)
    const out = browser.sent.at(-1)!
    expect([out.method, out.path, out.headers.get('x-csrf-token')]).toEqual([
      'DELETE',
      '/_console/session',
      s.csrfToken,
    ])
    await expect(client.session.current()).rejects.toBeInstanceOf(UnauthorizedError)
    // the old cookie, kept elsewhere, is dead too
    const replay = await fetch(`${server.url}/v2/hadoop-eco/clusters`, { headers: { cookie: stolen } })
    expect(replay.status).toBe(401)
    // a wrong secret
    await expect(
      client.session.signIn({ credentialId: CREDENTIAL.id, credentialSecret: 'wrong-secret' }),
    ).rejects.toBeInstanceOf(UnauthorizedError)
  })

  it('manages faults through client.admin with the admin token, set up front or at run time', async () => {
    const browser = browserFetch()
    const client = sessionClient(browser)
    await expect(client.admin.faults.list()).rejects.toBeInstanceOf(UnauthorizedError)
    expect(client.admin.hasToken).toBe(false)
    client.admin.setToken('not-the-admin-token')
    await expect(client.admin.faults.list()).rejects.toBeInstanceOf(UnauthorizedError)
    client.admin.setToken(ADMIN_TOKEN)
    expect(client.admin.hasToken).toBe(true)

    const wanted: NewFault = { fault: 'provisionFailure', match: { clusterName: 'console-sdk-*' }, times: 2 }
    const added: Fault = await client.admin.faults.add(wanted)
    expect(added).toMatchObject({ ...wanted, id: expect.any(String), createdAt: expect.any(Number) })
    expect((await client.admin.faults.list()).map((f) => f.id)).toContain(added.id)
    await client.admin.faults.remove(added.id)
    expect((await client.admin.faults.list()).map((f) => f.id)).not.toContain(added.id)
    await expect(client.admin.faults.remove(added.id)).rejects.toBeInstanceOf(NotFoundError)

    // the admin calls carry the bearer and nothing else
    for (const r of browser.sent.filter((x) => x.path.startsWith('/_admin'))) {
      expect(r.headers.has('x-csrf-token')).toBe(false)
      expect(r.headers.has('credential-id')).toBe(false)
    }
    const last = browser.sent.filter((x) => x.path.startsWith('/_admin')).at(-1)!
    expect(last.headers.get('authorization')).toBe(`Bearer ${ADMIN_TOKEN}`)

    client.admin.setToken(undefined)
    await expect(client.admin.faults.list()).rejects.toBeInstanceOf(UnauthorizedError)
  })

  it('sends the admin token given as an option, and no credential headers on admin calls in credentials mode', async () => {
    const browser = browserFetch()
    const client = new HadoopEcoClient({
      endpoint: server.url,
      credentialId: CREDENTIAL.id,
      credentialSecret: CREDENTIAL.secret,
      adminToken: ADMIN_TOKEN,
      fetch: browser.fetch,
    })
    expect(Array.isArray(await client.admin.faults.list())).toBe(true)
    await client.clusters.list()
    const [admin, api] = browser.sent
    expect(admin!.headers.has('credential-secret')).toBe(false)
    expect(admin!.headers.get('authorization')).toBe(`Bearer ${ADMIN_TOKEN}`)
    expect(api!.headers.get('credential-secret')).toBe(CREDENTIAL.secret)
    expect(api!.headers.has('authorization')).toBe(false)
    expect(api!.credentials).toBeUndefined()
  })
})
