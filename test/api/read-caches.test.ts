import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, validBody, type TestServer } from '../helpers.js'

const BASE = '/v2/hadoop-eco/clusters'

/** The list and GET caches must never serve a stale answer: every change shows on the next read. */
describe('read caches stay fresh', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  const list = async (q: string) => (await s.app.inject({ url: `${BASE}?${q}`, headers: s.headers })).json()
  const get = async (id: string) => (await s.app.inject({ url: `${BASE}/${id}`, headers: s.headers })).json()
  const create = async (name: string) =>
    (
      await s.app.inject({ method: 'POST', url: BASE, headers: s.headers, payload: validBody({ name }) })
    ).json().id as string

  it('shows creates, status changes and deletes on the next identical list and GET', async () => {
    const q = 'name=cache&sort=status,asc&sort=name,asc&size=2'
    expect((await list(q)).totalElements).toBe(0)
    const a = await create('cache-a')
    expect((await list(q)).totalElements).toBe(1)
    expect((await list(q)).content[0].status).toBe('Initializing')
    expect((await get(a)).status).toBe('Initializing')

    await s.step() // the reconciler moves it to Creating
    expect((await list(q)).content[0].status).toBe('Creating')
    expect((await get(a)).status).toBe('Creating')

    const b = await create('cache-b')
    const c = await create('cache-c')
    const page1 = await list(`${q}&page=1`)
    expect(page1.totalElements).toBe(3)
    // status asc: Creating (a) before Initializing (b, c), then by name.
    expect(page1.content.map((x: { name: string }) => x.name)).toEqual(['cache-c'])

    await s.app.inject({ method: 'DELETE', url: `${BASE}/${b}`, headers: s.headers })
    expect((await get(b)).status).toBe('Terminating')
    expect((await list(`${q}&includeTerminated=false`)).totalElements).toBe(3)
    await s.runUntil(async () => (await get(b)).status === 'Terminated(User)', { tick: 10_000 })
    expect((await list(`${q}&includeTerminated=false`)).totalElements).toBe(2)
    expect((await list(q)).totalElements).toBe(3)
    expect((await get(c)).status).not.toBe('Initializing')
  })

  it('computes elapsedTime per response even when the record comes from the cache', async () => {
    const id = await create('cache-time')
    await s.runUntil(async () => (await get(id)).status === 'Running', { tick: 10_000 })
    const first = (await get(id)).elapsedTime
    s.clock.advance(5_000)
    expect((await get(id)).elapsedTime).toBe(first + 5_000)
  })
})
