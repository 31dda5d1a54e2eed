import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES, startTestServer, type TestServer } from '../helpers.js'
import { api } from './util.js'

type Operation = {
  security?: Record<string, string[]>[]
  parameters?: { in: string; name: string }[]
  requestBody?: { content: Record<string, { example?: unknown; schema?: unknown }> }
}
type Doc = {
  components: { securitySchemes: Record<string, Record<string, string>> }
  paths: Record<string, Record<string, Operation>>
}

const openapi = async (s: TestServer): Promise<Doc> => {
  const res = await s.app.inject({ url: '/openapi.json' })
  expect(res.statusCode).toBe(200)
  return res.json() as Doc
}
const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  )

describe('/openapi.json for Swagger UI at /docs', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  it('declares Credential-ID and Credential-Secret as apiKey header schemes (the Authorize button)', async () => {
    const doc = await openapi(s)
    const schemes = Object.values(doc.components.securitySchemes)
    expect(schemes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Credential-ID' }),
        expect.objectContaining({ type: 'apiKey', in: 'header', name: 'Credential-Secret' }),
      ]),
    )
  })

  it('applies both credential schemes (or the console cookie) to every cluster operation, not as per-operation header fields', async () => {
    const doc = await openapi(s)
    const byName = Object.fromEntries(
      Object.entries(doc.components.securitySchemes).map(([key, v]) => [v.name, key]),
    )
    const idKey = byName['Credential-ID']!
    const secretKey = byName['Credential-Secret']!
    // or, instead of both headers, the web console's session cookie (DESIGN section 13)
    const cookieKey = byName['hadoop_eco_session']!
    const cluster = operations(doc).filter((o) => o.path.startsWith('/v2/hadoop-eco/clusters'))
    expect(cluster.length).toBeGreaterThanOrEqual(9)
    for (const { path, method, op } of cluster) {
      const where = `${method.toUpperCase()} ${path}`
      expect(op.security, where).toEqual([{ [idKey]: [], [secretKey]: [] }, { [cookieKey]: [] }])
      const headers = (op.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name.toLowerCase())
      expect(headers, where).not.toContain('credential-id')
      expect(headers, where).not.toContain('credential-secret')
    }
    // The unauthenticated operations endpoints stay open.
    expect(doc.paths['/healthz']?.get?.security).toBeUndefined()
  })

  it("shows the seed's create example 1 as the create body, and the server accepts it", async () => {
    const doc = await openapi(s)
    const body = doc.paths['/v2/hadoop-eco/clusters']!.post!.requestBody!.content['application/json']!
    const seed = JSON.parse(await readFile(new URL('create-example-1.json', FIXTURES), 'utf8')) as unknown
    expect(body.example).toEqual(seed)
    expect(JSON.stringify(body)).not.toContain('"name":"string"')
    const res = await api(s).create(body.example)
    expect(res.statusCode, res.body).toBe(200)
  })

  it('lists the /_admin routes while the admin API is enabled, under a bearer scheme', async () => {
    const doc = await openapi(s)
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/_admin'))).toEqual(
      expect.arrayContaining(['/_admin/credentials', '/_admin/faults', '/_admin/reset']),
    )
    const [bearer] = Object.entries(doc.components.securitySchemes).find(
      ([, v]) => v.type === 'http' && v.scheme === 'bearer',
    )!
    for (const { path, method, op } of operations(doc).filter((o) => o.path.startsWith('/_admin'))) {
      expect(op.security, `${method} ${path}`).toEqual([{ [bearer]: [] }])
      expect((op.parameters ?? []).map((p) => p.name.toLowerCase())).not.toContain('authorization')
    }
  })
})

describe('/openapi.json with the admin API disabled', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer({ adminToken: undefined })
  })
  afterAll(() => s.cleanup())

  it('hides every /_admin route, which answers 404 anyway', async () => {
    const doc = await openapi(s)
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/_admin'))).toEqual([])
    expect(doc.paths['/v2/hadoop-eco/clusters']).toBeDefined()
    expect((await s.app.inject({ url: '/_admin/faults' })).statusCode).toBe(404)
  })
})
