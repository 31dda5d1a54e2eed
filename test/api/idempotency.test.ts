import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, createRunning, expectError, runUntilStatus } from './util.js'

describe('Idempotency-Key', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  const key = (k: string) => ({ 'idempotency-key': k })
  const count = async (name: string, headers = s.headers) =>
    (await api(s, headers).list(`name=${name}`)).json().totalElements as number

  it('replays the first response for the same key and body, acting once', async () => {
    const body = validBody({ name: 'idem-create' })
    const first = await api(s).create(body, key('k-create'))
    expect(first.statusCode).toBe(200)
    expect(first.headers['idempotent-replayed']).toBeUndefined()
    const again = await api(s).create(body, key('k-create'))
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.headers['content-type']).toMatch(/^application\/json/)
    expect(again.body).toBe(first.body)
    expect(again.json()).toEqual({ id: first.json().id, name: 'idem-create', status: 'Initializing' })
    expect(await count('idem-create')).toBe(1)
    // a third time, after the cluster moved on: still the first response
    await s.step(0)
    const third = await api(s).create(body, key('k-create'))
    expect(third.json().status).toBe('Initializing')
    expect(third.headers['idempotent-replayed']).toBe('true')
  })

  it('without a key, the same body creates again (and the name conflicts)', async () => {
    const body = validBody({ name: 'idem-none' })
    expect((await api(s).create(body)).statusCode).toBe(200)
    expectError(await api(s).create(body), 409, 'DUPLICATE_CLUSTER_NAME')
  })

  it('lets two racing requests with one key create one cluster and answer the same', async () => {
    const body = validBody({ name: 'idem-race' })
    const results = await Promise.all([
      api(s).create(body, key('k-race')),
      api(s).create(body, key('k-race')),
      api(s).create(body, key('k-race')),
    ])
    for (const r of results) expect(r.statusCode, r.body).toBe(200)
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1)
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(2)
    expect(await count('idem-race')).toBe(1)
  })

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body or path', async () => {
    expect((await api(s).create(validBody({ name: 'idem-reuse' }), key('k-reuse'))).statusCode).toBe(200)
    const body = expectError(
      await api(s).create(validBody({ name: 'idem-reuse-2' }), key('k-reuse')),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    )
    expect(body.error).toBe('Unprocessable Entity')
    expect(await count('idem-reuse-2')).toBe(0)
    const id = (await api(s).list('name=idem-reuse')).json().content[0].id
    expectError(await api(s).delete(id, key('k-reuse')), 422, 'IDEMPOTENCY_KEY_REUSED')
    expect((await api(s).get(id)).json().status).toBe('Initializing')
  })

  it('keeps keys per project', async () => {
    const body = validBody({ name: 'idem-project' })
    const a = await api(s).create(body, key('k-shared'))
    const b = await api(s, s.otherHeaders).create(body, key('k-shared'))
    expect(a.statusCode).toBe(200)
    expect(b.statusCode).toBe(200)
    expect(b.headers['idempotent-replayed']).toBeUndefined()
    expect(b.json().id).not.toBe(a.json().id)
    expect(await count('idem-project')).toBe(1)
    expect(await count('idem-project', s.otherHeaders)).toBe(1)
    // and each project replays its own
    const b2 = await api(s, s.otherHeaders).create(body, key('k-shared'))
    expect(b2.json().id).toBe(b.json().id)
  })

  it('replays an error response too, without acting', async () => {
    const bad = validBody({ name: 'idem-bad', workerCnt: 0 })
    const first = await api(s).create(bad, key('k-bad'))
    expectError(first, 400, 'VALUE_OUT_OF_RANGE')
    const again = await api(s).create(bad, key('k-bad'))
    expect(again.statusCode).toBe(400)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
  })

  it('replays a DELETE: the second one does not see the cluster terminated', async () => {
    const id = (await api(s).create(validBody({ name: 'idem-delete' }))).json().id
    const first = await api(s).delete(id, key('k-delete'))
    expect(first.json()).toEqual({ id, name: 'idem-delete', status: 'Terminating' })
    await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
    const again = await api(s).delete(id, key('k-delete'))
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
    // a new key acts, and gets the rule
    expectError(await api(s).delete(id, key('k-delete-2')), 400, 'CLUSTER_TERMINATED')
  })

  it('replays a scale-out: the workers are added once', async () => {
    const id = await createRunning(s, { name: 'idem-scale' })
    const send = () =>
      s.app.inject({
        method: 'POST',
        url: `${BASE}/${id}/scale-out`,
        headers: { ...s.headers, ...key('k-scale') },
        payload: { scaleCnt: 2 },
      })
    expect((await send()).json().status).toBe('Processing')
    await runUntilStatus(s, id, (st) => st === 'Running')
    const again = await send()
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json().status).toBe('Processing')
    await s.step(600_000)
    expect((await api(s).get(id)).json()).toMatchObject({ status: 'Running', workerCnt: 5 })
  })

  it('a crash after acting but before answering does not make the retry act again', async () => {
    const id = await createRunning(s, { name: 'idem-crash' })
    // The process "dies" after the scale-out committed and before its answer was stored by
    // onSend: that write is dropped.
    const complete = s.store.idempotency.complete
    let laterWrites = 0
    s.store.idempotency.complete = async () => {
      laterWrites++
    }
    const send = () =>
      s.app.inject({
        method: 'POST',
        url: `${BASE}/${id}/scale-out`,
        headers: { ...s.headers, ...key('k-crash') },
        payload: { scaleCnt: 1 },
      })
    try {
      expect((await send()).statusCode).toBe(200)
    } finally {
      s.store.idempotency.complete = complete
    }
    // the answer committed with the action: nothing is written a second time after it
    expect(laterWrites).toBe(0)
    await runUntilStatus(s, id, (st) => st === 'Running')
    // Long after a pending claim would count as abandoned (60 s), the retry still replays.
    await s.step(120_000)
    const again = await send()
    expect(again.statusCode).toBe(200)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual({ id, name: 'idem-crash', status: 'Processing' })
    await s.step(600_000)
    expect((await api(s).get(id)).json()).toMatchObject({ status: 'Running', workerCnt: 4 })
  })

  it('a 5xx after the answer was recorded with its action does not free the key', async () => {
    const store = s.store.idempotency
    expect(await store.claim('proj-a', 'k-5xx', 'h', 1)).toBe(true)
    await s.store.transaction((trx) => store.completeIn(trx, 'proj-a', 'k-5xx', 200, 'sealed'))
    await store.release('proj-a', 'k-5xx')
    expect(await store.get('proj-a', 'k-5xx')).toMatchObject({ state: 'done', response_status: 200 })
    // a claim that never acted is freed
    expect(await store.claim('proj-a', 'k-5xx-pending', 'h', 1)).toBe(true)
    await store.release('proj-a', 'k-5xx-pending')
    expect(await store.get('proj-a', 'k-5xx-pending')).toBeUndefined()
  })

  it('forgets a key after 24 hours', async () => {
    const body = validBody({ name: 'idem-ttl' })
    const first = await api(s).create(body, key('k-ttl'))
    await api(s).delete(first.json().id)
    await runUntilStatus(s, first.json().id, (st) => st.startsWith('Terminated'))
    s.clock.advance(24 * 60 * 60 * 1000 + 1)
    const later = await api(s).create(body, key('k-ttl'))
    expect(later.statusCode, later.body).toBe(200)
    expect(later.headers['idempotent-replayed']).toBeUndefined()
    expect(later.json().id).not.toBe(first.json().id)
  })

  it.each([
    ['with a space', 'has space'],
    ['over 255 characters', 'k'.repeat(256)],
    ['empty', ''],
  ])('answers 400 INVALID_PARAMETER to a key %s', async (_label, k) => {
    const res = await api(s).create(validBody({ name: 'idem-badkey' }), key(k))
    expectError(res, 400, 'INVALID_PARAMETER')
    expect(await count('idem-badkey')).toBe(0)
  })

  it('is ignored on GET', async () => {
    const a = await s.app.inject({ url: BASE, headers: { ...s.headers, ...key('k-get') } })
    const b = await s.app.inject({ url: `${BASE}?size=1`, headers: { ...s.headers, ...key('k-get') } })
    expect(a.statusCode).toBe(200)
    expect(b.statusCode).toBe(200)
    expect(b.headers['idempotent-replayed']).toBeUndefined()
    expect(b.json().size).toBe(1)
  })
})

describe('Idempotency-Key on the admin API', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())
  const admin = (key: string) => ({ authorization: `Bearer ${ADMIN_TOKEN}`, 'idempotency-key': key })

  it('replays a credential creation instead of issuing a second credential', async () => {
    const first = await s.app.inject({
      method: 'POST',
      url: '/_admin/credentials',
      headers: admin('adm-1'),
      payload: { project: 'p1' },
    })
    const again = await s.app.inject({
      method: 'POST',
      url: '/_admin/credentials',
      headers: admin('adm-1'),
      payload: { project: 'p1' },
    })
    expect(first.statusCode).toBe(201)
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    expect(again.headers['idempotent-replayed']).toBe('true')
    const list = await s.app.inject({
      url: '/_admin/credentials',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(list.json().filter((c: { project: string }) => c.project === 'p1')).toHaveLength(1)
    const other = await s.app.inject({
      method: 'POST',
      url: '/_admin/credentials',
      headers: admin('adm-1'),
      payload: { project: 'p2' },
    })
    expect(other.statusCode).toBe(422)
  })
})
