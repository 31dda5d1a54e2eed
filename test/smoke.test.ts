import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, validBody, type TestServer } from './helpers.js'

describe('smoke', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  it('creates a cluster and drives it to Running', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/v2/hadoop-eco/clusters',
      headers: s.headers,
      payload: validBody(),
    })
    expect(res.statusCode).toBe(200)
    const { id } = res.json()
    await s.runUntil(
      async () =>
        (await s.app.inject({ url: `/v2/hadoop-eco/clusters/${id}`, headers: s.headers })).json().status ===
        'Running',
    )
  })
})
