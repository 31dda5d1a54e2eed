import { Writable } from 'node:stream'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createSecretBox } from '../../src/services/secret-box.js'
import { loadSecretKey } from '../../src/secret-key.js'
import { ADMIN_TOKEN, startTestServer, TEST_BACKEND, validBody, type TestServer } from '../helpers.js'
import { api, b64, BASE, runUntilStatus } from './util.js'

const ADMIN_PW = 'Adm1n-Plain-Pa55word!'
const HIVE_PW = 'Hive-Plain-Pa55word!'
const TYPED_PW = 'Typed-Not-Base64-Pa55' // a user forgetting to encode: still a secret
const CRED_SECRET = 'test-secret-1234'
const OTHER_SECRET = 'other-secret-1234'
const WRONG_SECRET = 'wrong-secret-5678'

const TABLES = [
  'clusters',
  'vms',
  'events',
  'credentials',
  'idempotency_keys',
  'work',
  'faults',
  'sim_ops',
  'settings',
] as const

/** Every form a secret could leak in. */
const forms = (secret: string) => [secret, b64(secret), encodeURIComponent(b64(secret))]

describe('secrets never appear in responses or logs', () => {
  let s: TestServer
  const lines: string[] = []
  const responses: { label: string; res: LightMyRequestResponse }[] = []
  let issuedSecret = ''

  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean))
        done()
      },
    })
    // trace: the most talkative level must not leak either
    s = await startTestServer({}, { logStream, logLevel: 'trace' })
    const record = (label: string, res: LightMyRequestResponse) => {
      responses.push({ label, res })
      return res
    }

    const body = validBody({
      name: 'secret-cluster',
      adminInfo: { userId: 'admin', userPw: b64(ADMIN_PW) },
      hiveDbInfo: { objectId: 'obj-1', dbName: 'meta', userId: 'mysql', userPw: b64(HIVE_PW) },
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1' },
    })
    const created = record('create', await api(s).create(body, { 'idempotency-key': 'secret-key' }))
    expect(created.statusCode).toBe(200)
    const id = created.json().id as string
    record('create replay', await api(s).create(body, { 'idempotency-key': 'secret-key' }))
    record('create duplicate', await api(s).create(body))
    record('get', await api(s).get(id))
    record('list', await api(s).list())
    record('events', await api(s).events(id))
    // refusals that carry the secrets in the request
    record(
      'invalid body with secrets',
      await api(s).create({ ...body, name: 'secret-two', workerCnt: 0, adminInfo: { userPw: TYPED_PW } }),
    )
    record(
      'invalid hive password',
      await api(s).create({
        ...body,
        name: 'secret-three',
        hiveDbInfo: { ...(body.hiveDbInfo as object), userPw: TYPED_PW },
      }),
    )
    record(
      'malformed JSON with secrets',
      await s.app.inject({
        method: 'POST',
        url: BASE,
        headers: { ...s.headers, 'content-type': 'application/json' },
        payload: `{"adminInfo":{"userPw":"${b64(ADMIN_PW)}","x":"${TYPED_PW}"`,
      }),
    )
    record(
      'text body with secrets',
      await s.app.inject({
        method: 'POST',
        url: BASE,
        headers: { ...s.headers, 'content-type': 'text/plain' },
        payload: `${ADMIN_PW} ${HIVE_PW}`,
      }),
    )
    record(
      'wrong secret',
      await api(s, { 'credential-id': 'test-id', 'credential-secret': WRONG_SECRET }).list(),
    )
    record(
      'unknown id',
      await api(s, { 'credential-id': 'ghost', 'credential-secret': WRONG_SECRET }).get(id),
    )

    // the cluster lives its life; the reconciler logs too
    await runUntilStatus(s, id, (st) => st === 'Running')
    await s.step(60_000)
    record('get running', await api(s).get(id))
    record('vms', await api(s).vms(id))
    record('delete', await api(s).delete(id))
    await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
    record('get terminated', await api(s).get(id))

    // the admin API shows a new secret once (that response is the only exception)
    // (with an Idempotency-Key: a retry must get the secret again, so the response is stored)
    const issue = () =>
      s.app.inject({
        method: 'POST',
        url: '/_admin/credentials',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'idempotency-key': 'issue-1' },
        payload: { project: 'proj-a' },
      })
    const issued = await issue()
    expect(issued.statusCode).toBe(201)
    issuedSecret = issued.json().secret
    const replayed = await issue()
    expect(replayed.headers['idempotent-replayed']).toBe('true')
    expect(replayed.json().secret).toBe(issuedSecret)
    expect(issuedSecret.length).toBeGreaterThan(20)
    const h = { 'credential-id': issued.json().id, 'credential-secret': issuedSecret }
    record('list with the issued credential', await api(s, h).list())
    record(
      'admin list',
      await s.app.inject({ url: '/_admin/credentials', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    )
    record('metrics', await s.app.inject({ url: '/metrics' }))
    // the admin API's other paths, a refusal and a revoke among them
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    record(
      'admin fault',
      await s.app.inject({
        method: 'POST',
        url: '/_admin/faults',
        headers: admin,
        payload: { match: { clusterName: 'secret-*' }, fault: 'installFailure', times: 1 },
      }),
    )
    record('admin faults', await s.app.inject({ url: '/_admin/faults', headers: admin }))
    record(
      'admin with a credential secret as token',
      await s.app.inject({ url: '/_admin/faults', headers: { authorization: `Bearer ${CRED_SECRET}` } }),
    )
    record(
      'admin refused body with secrets',
      await s.app.inject({
        method: 'POST',
        url: '/_admin/credentials',
        headers: admin,
        payload: { project: `bad project ${ADMIN_PW}`, owner: HIVE_PW },
      }),
    )
    record(
      'admin revoke',
      await s.app.inject({
        method: 'DELETE',
        url: `/_admin/credentials/${issued.json().id}`,
        headers: admin,
      }),
    )
    record('revoked credential', await api(s, h).list())
    // a second cluster whose create fails: its events carry the failure, and no password
    const failing = record(
      'create failing',
      await api(s).create({ ...body, name: 'secret-failing' }, { 'idempotency-key': 'secret-key-2' }),
    )
    await runUntilStatus(s, failing.json().id, (st) => st.startsWith('Terminated'))
    record('events of the failed cluster', await api(s).events(failing.json().id))
  })
  afterAll(() => s.cleanup())

  const secrets = () => [
    ['adminInfo.userPw', ADMIN_PW],
    ['hiveDbInfo.userPw', HIVE_PW],
    ['a password typed without Base64', TYPED_PW],
    ['Credential-Secret', CRED_SECRET],
    ['another Credential-Secret', OTHER_SECRET],
    ['a wrong Credential-Secret', WRONG_SECRET],
    ['an issued Credential-Secret', issuedSecret],
  ]

  it('the log captured the request lines (so the checks below mean something)', () => {
    expect(lines.length).toBeGreaterThan(20)
    const parsed = lines.map((l) => JSON.parse(l) as { msg?: string; url?: string; status?: number })
    expect(parsed.some((l) => l.msg === 'request' && l.url === BASE && l.status === 200)).toBe(true)
    expect(parsed.some((l) => l.msg === 'request' && l.status === 401)).toBe(true)
    expect(parsed.some((l) => l.msg === 'request' && l.status === 415)).toBe(true)
  })

  it.each([0, 1, 2, 3, 4, 5, 6])('secret #%i appears in no log line', (i) => {
    const [label, secret] = secrets()[i]!
    expect(secret, label).toBeTruthy()
    for (const form of forms(secret!))
      for (const line of lines) expect(line, `${label} in a log line`).not.toContain(form)
  })

  it.each([0, 1, 2, 3, 4, 5, 6])('secret #%i appears in no response body or header', (i) => {
    const [label, secret] = secrets()[i]!
    for (const { label: where, res } of responses) {
      const text = `${JSON.stringify(res.headers)}\n${res.body}`
      for (const form of forms(secret!)) expect(text, `${label} in the ${where} response`).not.toContain(form)
    }
  })

  it('the logs went down to trace level, with reconciler lines', () => {
    const parsed = lines.map((l) => JSON.parse(l) as { msg?: string; headers?: Record<string, string> })
    expect(parsed.some((l) => l.msg === 'reconciled one step')).toBe(true)
    const withHeaders = parsed.filter((l) => l.msg === 'request headers')
    expect(withHeaders.some((l) => l.headers?.['credential-secret'] === '[redacted]')).toBe(true)
    expect(withHeaders.some((l) => l.headers?.authorization === '[redacted]')).toBe(true)
    expect(responses.find((r) => r.label === 'revoked credential')!.res.statusCode).toBe(401)
  })

  it.each([0, 1, 2, 3, 4, 5, 6])(
    'secret #%i is stored nowhere in the database in a readable form',
    async (i) => {
      const [label, secret] = secrets()[i]!
      const { db } = s.store.database
      for (const table of TABLES) {
        const rows = await db.selectFrom(table).selectAll().execute()
        expect(rows.length + table.length).toBeGreaterThan(0)
        const text = JSON.stringify(rows)
        for (const form of forms(secret!)) expect(text, `${label} in table ${table}`).not.toContain(form)
      }
      // and not in the SQLite file's bytes either (pages, WAL), where deleted rows can linger
      if (TEST_BACKEND === 'sqlite')
        for (const file of readdirSync(s.dir).filter((f) => f.startsWith('test.db'))) {
          const bytes = readFileSync(join(s.dir, file))
          for (const form of forms(secret!))
            expect(bytes.includes(Buffer.from(form)), `${label} in ${file}`).toBe(false)
        }
    },
  )

  it('stored passwords are sealed, and open again with the server key', async () => {
    const rows = await s.store.database.db.selectFrom('clusters').select(['name', 'spec']).execute()
    const spec = JSON.parse(rows.find((r) => r.name === 'secret-cluster')!.spec)
    expect(spec.adminInfo.userPw).toMatch(/^enc:v1:/)
    expect(spec.hiveDbInfo.userPw).toMatch(/^enc:v1:/)
    const box = createSecretBox(
      loadSecretKey({ secretKey: undefined, dataDir: s.dir, databaseUrl: 'sqlite:x' }).key,
    )
    if (TEST_BACKEND === 'sqlite') {
      // as sent: Base64
      expect(box.open(spec.adminInfo.userPw)).toBe(b64(ADMIN_PW))
      expect(box.open(spec.hiveDbInfo.userPw)).toBe(b64(HIVE_PW))
    }
  })

  it('GET shows adminInfo.userId only and hiveDbInfo without a password', () => {
    const got = responses.find((r) => r.label === 'get running')!.res.json()
    expect(got.adminInfo).toEqual({ userId: 'admin' })
    expect(got.hiveDbInfo).not.toHaveProperty('userPw')
    for (const r of responses.filter((x) => x.res.statusCode === 200 && x.label !== 'metrics'))
      expect(r.res.body, r.label).not.toContain('userPw')
  })
})
