import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers.js'
import { BASE, createCluster, expectError } from './util.js'

describe('a known path with a method it does not serve', () => {
  let s: TestServer
  let id: string
  beforeAll(async () => {
    s = await startTestServer()
    id = await createCluster(s, { name: 'allow-me' })
  })
  afterAll(() => s.cleanup())

  const call = (
    method: string,
    url: string,
    extra: { payload?: string; headers?: Record<string, string> } = {},
  ) =>
    s.app.inject({
      method: method as 'GET',
      url,
      headers: { ...s.headers, ...extra.headers },
      ...(extra.payload !== undefined ? { payload: extra.payload } : {}),
    })

  it.each([
    ['PUT', () => `${BASE}/${id}`, 'GET, HEAD, POST, DELETE'],
    ['PATCH', () => BASE, 'GET, HEAD, POST'],
    ['PUT', () => BASE, 'GET, HEAD, POST'],
    ['GET', () => `${BASE}/${id}/scale-out`, 'POST'],
    ['PATCH', () => `${BASE}/${id}/scale-in`, 'POST, DELETE'],
    ['DELETE', () => `${BASE}/${id}/vms`, 'GET, HEAD'],
    ['POST', () => '/healthz', 'GET, HEAD'],
    ['OPTIONS', () => `${BASE}/${id}/api-key`, 'POST, DELETE'],
    // the trailing slash the router ignores, and a query string
    ['PATCH', () => `${BASE}/`, 'GET, HEAD, POST'],
    ['PUT', () => `${BASE}/${id}?x=1`, 'GET, HEAD, POST, DELETE'],
  ])('%s %s answers 405 METHOD_NOT_ALLOWED with Allow: %s', async (method, url, allow) => {
    const res = await call(method, url())
    const body = expectError(res, 405, 'METHOD_NOT_ALLOWED')
    expect(body.error).toBe('Method Not Allowed')
    expect(res.headers.allow).toBe(allow)
    expect(body.path).toBe(url().split('?')[0])
    expect(body.message).toContain(method)
  })

  it('answers HEAD on a POST-only path with 405 and Allow, without a body', async () => {
    const res = await call('HEAD', `${BASE}/${id}/scale-out`)
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('POST')
    expect(res.body).toBe('')
  })

  it('answers 405 before reading the body: a broken JSON body does not turn it into a 400', async () => {
    const res = await call('PUT', `${BASE}/${id}`, {
      payload: '{"scaleCnt": ',
      headers: { 'content-type': 'application/json' },
    })
    expectError(res, 405, 'METHOD_NOT_ALLOWED')
    const text = await call('PATCH', BASE, { payload: 'hello', headers: { 'content-type': 'text/plain' } })
    expectError(text, 405, 'METHOD_NOT_ALLOWED')
  })

  it('covers the Swift-style object routes', async () => {
    const obj = await call('PATCH', '/v1/proj-a/bucket-x/some/key.txt')
    expectError(obj, 405, 'METHOD_NOT_ALLOWED')
    expect(obj.headers.allow).toBe('GET, HEAD, PUT, DELETE')
    const bucket = await call('POST', '/v1/proj-a/bucket-x')
    expectError(bucket, 405, 'METHOD_NOT_ALLOWED')
    expect(bucket.headers.allow).toBe('GET, HEAD, PUT, DELETE')
  })

  it('covers the web console paths (/ redirects to it), which serve GET only', async () => {
    for (const url of ['/', '/console/', '/console/clusters/x']) {
      const res = await call('DELETE', url)
      expectError(res, 405, 'METHOD_NOT_ALLOWED')
      expect(res.headers.allow, url).toBe('GET, HEAD')
    }
  })

  it('covers the admin routes while the admin API is enabled', async () => {
    const res = await call('PUT', '/_admin/faults', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    expectError(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.allow).toBe('GET, HEAD, POST')
  })

  it.each([
    ['GET', '/v2/hadoop-eco/nothing'],
    ['PUT', '/v2/hadoop-eco/nothing'],
    ['PATCH', `${BASE}/x/no-such-thing`],
    ['POST', '/v1/only-a-project'],
    ['DELETE', '/nothing'],
  ])('still answers %s %s (an unknown path) with 404 NOT_FOUND and no Allow', async (method, url) => {
    const res = await call(method, url)
    expectError(res, 404, 'NOT_FOUND')
    expect(res.headers.allow).toBeUndefined()
  })

  it('answers an unknown path with 404 whatever the body (it used to be a 400 for broken JSON)', async () => {
    const res = await call('POST', '/v2/hadoop-eco/nothing', {
      payload: '{nope',
      headers: { 'content-type': 'application/json' },
    })
    expectError(res, 404, 'NOT_FOUND')
  })
})

describe('the admin paths with the admin API disabled', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer({ adminToken: undefined })
  })
  afterAll(() => s.cleanup())

  it.each([
    ['GET', '/_admin/faults'],
    ['PUT', '/_admin/faults'],
    ['PATCH', '/_admin/credentials'],
    ['POST', '/_admin/reset'],
    ['GET', '/%5Fadmin/faults'],
  ])('%s %s stays a plain 404', async (method, url) => {
    const res = await s.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expectError(res, 404, 'NOT_FOUND')
    expect(res.headers.allow).toBeUndefined()
  })
})
