import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, createCluster, expectError } from './util.js'

const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** Every seed operation (and the events extension) on one cluster id. */
const operations = (id: string) =>
  [
    ['POST', BASE, validBody({ name: 'auth-probe' })],
    ['GET', BASE, undefined],
    ['GET', `${BASE}/${id}`, undefined],
    ['GET', `${BASE}/${id}/vms`, undefined],
    ['GET', `${BASE}/${id}/events`, undefined],
    ['DELETE', `${BASE}/${id}`, undefined],
    ['POST', `${BASE}/${id}/scale-out`, { scaleCnt: 1 }],
    ['POST', `${BASE}/${id}/scale-in`, { scaleCnt: 1 }],
    ['DELETE', `${BASE}/${id}/scale-in`, { scaleCnt: 1 }],
  ] as const

describe('credentials', () => {
  let s: TestServer
  let id: string
  beforeAll(async () => {
    s = await startTestServer()
    id = await createCluster(s, { name: 'owned-by-a' })
  })
  afterAll(() => s.cleanup())

  const call = (method: string, url: string, payload: unknown, headers: Record<string, string>) =>
    s.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })

  it.each([
    ['no headers', {}],
    ['only Credential-ID', { 'credential-id': 'test-id' }],
    ['only Credential-Secret', { 'credential-secret': 'test-secret-1234' }],
    ['a wrong secret', { 'credential-id': 'test-id', 'credential-secret': 'wrong-secret-1234' }],
    ['an unknown id', { 'credential-id': 'nobody', 'credential-secret': 'test-secret-1234' }],
    ['empty values', { 'credential-id': '', 'credential-secret': '' }],
    ["another credential's secret", { 'credential-id': 'test-id', 'credential-secret': 'other-secret-1234' }],
  ])('answers 401 UNAUTHORIZED to every operation with %s', async (_label, headers) => {
    for (const [method, url, payload] of operations(id)) {
      const res = await call(method, url, payload, headers)
      const body = expectError(res, 401, 'UNAUTHORIZED')
      expect(body.error).toBe('Unauthorized')
    }
    // nothing happened to the cluster
    expect((await api(s).get(id)).json().status).toBe('Initializing')
    expect((await api(s).list('name=auth-probe')).json().totalElements).toBe(0)
  })

  it('answers the same 401 message whether the id exists or not', async () => {
    const unknown = (
      await api(s, { 'credential-id': 'nobody', 'credential-secret': 'x-secret-123' }).list()
    ).json()
    const wrong = (
      await api(s, { 'credential-id': 'test-id', 'credential-secret': 'x-secret-123' }).list()
    ).json()
    expect(unknown.message).toBe(wrong.message)
  })

  it('takes the header names case-insensitively', async () => {
    const res = await api(s, { 'CREDENTIAL-ID': 'test-id', 'Credential-Secret': 'test-secret-1234' }).get(id)
    expect(res.statusCode).toBe(200)
  })

  it('answers 404 CLUSTER_NOT_FOUND for an id that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    for (const res of [
      await api(s).get(missing),
      await api(s).vms(missing),
      await api(s).events(missing),
      await api(s).delete(missing),
      await api(s).scale(missing, 'out', 1),
      await api(s).scale(missing, 'in', 1),
      await api(s).scale(missing, 'in', 1, 'DELETE'),
    ]) {
      const body = expectError(res, 404, 'CLUSTER_NOT_FOUND')
      expect(body.error).toBe('Not Found')
    }
  })

  it('answers 404 for an id holding U+0000 (PostgreSQL refused to compare it: a 500)', async () => {
    for (const nul of ['%00', `${id}%00`, 'a%00b']) {
      for (const res of [
        await api(s).get(nul),
        await api(s).vms(nul),
        await api(s).events(nul),
        await api(s).delete(nul),
        await api(s).scale(nul, 'out', 1),
        await api(s).scale(nul, 'in', 1, 'DELETE'),
      ])
        expectError(res, 404, 'CLUSTER_NOT_FOUND')
    }
    for (const url of ['/_admin/credentials/%00', '/_admin/credentials/test-id%00'])
      expectError(await s.app.inject({ method: 'DELETE', url, headers: ADMIN }), 404, 'NOT_FOUND')
    expect((await api(s).get(id)).json().status).toBe('Initializing')
  })

  describe('projects', () => {
    it("another project's cluster does not exist: 404 on every operation", async () => {
      const other = api(s, s.otherHeaders)
      for (const res of [
        await other.get(id),
        await other.vms(id),
        await other.events(id),
        await other.delete(id),
        await other.scale(id, 'out', 1),
        await other.scale(id, 'in', 1),
        await other.scale(id, 'in', 1, 'DELETE'),
      ])
        expectError(res, 404, 'CLUSTER_NOT_FOUND')
      expect((await api(s).get(id)).json().status).toBe('Initializing')
    })

    it("another project's clusters are absent from lists", async () => {
      const theirs = await createCluster(s, { name: 'owned-by-b' }, s.otherHeaders)
      const mine = (await api(s).list('size=1000')).json()
      const ours = (await api(s, s.otherHeaders).list('size=1000')).json()
      expect(mine.content.map((c: { id: string }) => c.id)).toContain(id)
      expect(mine.content.map((c: { id: string }) => c.id)).not.toContain(theirs)
      expect(ours.content.map((c: { id: string }) => c.id)).toEqual([theirs])
      expect(ours.totalElements).toBe(1)
      expect((await api(s, s.otherHeaders).list('name=owned-by-a')).json().totalElements).toBe(0)
    })

    it('the owner is the credential id by default', async () => {
      expect((await api(s).get(id)).json().owner).toBe('test-id')
    })
  })

  describe('credentials issued and revoked through the admin API', () => {
    it('a new credential works at once with its owner label, and stops working when revoked', async () => {
      const made = await s.app.inject({
        method: 'POST',
        url: '/_admin/credentials',
        headers: ADMIN,
        payload: { project: 'proj-a', owner: 'alice' },
      })
      expect(made.statusCode, made.body).toBe(201)
      const cred = made.json()
      expect(Object.keys(cred).sort()).toEqual(['id', 'owner', 'project', 'secret'])
      expect(cred).toMatchObject({ project: 'proj-a', owner: 'alice' })
      const headers = { 'credential-id': cred.id, 'credential-secret': cred.secret }

      const created = await api(s, headers).create(validBody({ name: 'alice-cluster' }))
      expect(created.statusCode).toBe(200)
      const cid = created.json().id
      expect((await api(s, headers).get(cid)).json().owner).toBe('alice')
      // same project: the seed credential sees it too
      expect((await api(s).get(cid)).statusCode).toBe(200)

      const revoked = await s.app.inject({
        method: 'DELETE',
        url: `/_admin/credentials/${cred.id}`,
        headers: ADMIN,
      })
      expect(revoked.statusCode).toBe(204)
      expect(revoked.body).toBe('')
      expectError(await api(s, headers).get(cid), 401, 'UNAUTHORIZED')
      expectError(await api(s, headers).list(), 401, 'UNAUTHORIZED')
      expectError(await api(s, headers).create(validBody({ name: 'after-revoke' })), 401, 'UNAUTHORIZED')
      // revoking twice: the credential is gone
      expectError(
        await s.app.inject({ method: 'DELETE', url: `/_admin/credentials/${cred.id}`, headers: ADMIN }),
        404,
        'NOT_FOUND',
      )
      // the others keep working
      expect((await api(s).get(cid)).statusCode).toBe(200)
    })

    it('refuses an owner label with control characters (U+0000 cannot be stored in PostgreSQL)', async () => {
      for (const owner of ['a\u0000b', 'line\nbreak', '\u001b[31mred', 'del\u007f']) {
        const res = await s.app.inject({
          method: 'POST',
          url: '/_admin/credentials',
          headers: ADMIN,
          payload: { project: 'proj-a', owner },
        })
        expect(expectError(res, 400, 'INVALID_VALUE').errors[0]?.field).toBe('owner')
      }
      const ok = await s.app.inject({
        method: 'POST',
        url: '/_admin/credentials',
        headers: ADMIN,
        payload: { project: 'proj-a', owner: 'Ünïcode ok \ud83d\ude00' },
      })
      expect(ok.statusCode, ok.body).toBe(201)
    })

    it('a credential of a new project sees none of the existing clusters', async () => {
      const cred = (
        await s.app.inject({
          method: 'POST',
          url: '/_admin/credentials',
          headers: ADMIN,
          payload: { project: 'fresh' },
        })
      ).json()
      expect(cred.owner).toBe(cred.id)
      const headers = { 'credential-id': cred.id, 'credential-secret': cred.secret }
      expect((await api(s, headers).list()).json().totalElements).toBe(0)
      expectError(await api(s, headers).get(id), 404, 'CLUSTER_NOT_FOUND')
    })
  })

  describe('admin API token', () => {
    const adminCalls = [
      ['GET', '/_admin/credentials', undefined],
      ['POST', '/_admin/credentials', { project: 'x' }],
      ['DELETE', '/_admin/credentials/test-id', undefined],
      ['GET', '/_admin/faults', undefined],
      ['POST', '/_admin/faults', { fault: 'apiError', match: { path: '/x' } }],
      ['DELETE', '/_admin/faults/nope', undefined],
      ['POST', '/_admin/reset', undefined],
    ] as const

    it.each([
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer not-the-token' }],
      ['the token without Bearer', { authorization: ADMIN_TOKEN }],
      ['another scheme', { authorization: `Basic ${ADMIN_TOKEN}` }],
      ['a prefix of the token', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ])('answers 401 to every admin call with %s', async (_label, headers) => {
      for (const [method, url, payload] of adminCalls)
        expectError(await call(method, url, payload, headers), 401, 'UNAUTHORIZED')
      // nothing was reset, test-id still works
      expect((await api(s).get(id)).statusCode).toBe(200)
    })

    it('answers 404 to every admin call when no admin token is configured', async () => {
      const t = await startTestServer({ adminToken: undefined })
      try {
        for (const headers of [{}, ADMIN, { authorization: 'Bearer ' }])
          for (const [method, url, payload] of adminCalls) {
            const res = await t.app.inject({
              method: method as 'GET',
              url,
              headers,
              ...(payload === undefined ? {} : { payload: payload as object }),
            })
            expectError(res, 404, 'NOT_FOUND')
          }
        // and the credential it would have revoked still works
        expect((await api(t).list()).statusCode).toBe(200)
      } finally {
        await t.cleanup()
      }
    })
  })
})
