import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VM_STATUSES } from '../../src/domain/statuses.js'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, createRunning, expectError, runUntilStatus } from './util.js'

const warning = (names: string) => `299 hadoop-eco "unknown query parameter(s) ignored: ${names}"`

describe('query parameters of the list routes', () => {
  let s: TestServer
  let running: string
  let job: { id: string; key: string }
  beforeAll(async () => {
    s = await startTestServer({ timeScale: 0 })
    running = await createRunning(s, { name: 'q-running' })
    // A job cluster with a key, for its requests list.
    const id = (
      await api(s).create(
        validBody({
          name: 'q-job',
          userTask: { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'select 1' },
        }),
      )
    ).json().id as string
    await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
    const issued = await s.app.inject({ method: 'POST', url: `${BASE}/${id}/api-key`, headers: s.headers })
    expect(issued.statusCode, issued.body).toBe(201)
    job = { id, key: issued.json().apiKey as string }
  })
  afterAll(() => s.cleanup())

  const get = (url: string, headers: Record<string, string> = {}) =>
    s.app.inject({ method: 'GET', url, headers: { ...s.headers, ...headers } })

  describe('unknown parameters: still 200, with a Warning naming them', () => {
    it('?status=Running on the cluster list filters nothing, and says so', async () => {
      const res = await api(s).list('status=Running')
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().totalElements).toBe(2)
      expect(res.headers.warning).toBe(warning('status'))
    })

    it.each([
      ['cluster list', (): string => `${BASE}?size=5&bogus=1`, false],
      ['VM list', (): string => `${BASE}/${running}/vms?bogus=1&sort=name,asc`, false],
      ['events', (): string => `${BASE}/${running}/events?bogus=1`, false],
      ['tasks', (): string => `${BASE}/${job.id}/tasks?bogus=1`, false],
      ['requests', (): string => `${BASE}/${job.id}/requests?bogus=1`, true],
    ] as const)('on the %s', async (_label, url, withKey) => {
      const res = await get(url(), withKey ? { 'hadoop-eco-api-key': job.key } : {})
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers.warning).toBe(warning('bogus'))
    })

    it('names every unknown parameter once, in the order given, and only those', async () => {
      const res = await api(s).list('status=Running&page=0&foo=1&includeTerminated=true&foo=2&bar=')
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers.warning).toBe(warning('status, foo, bar'))
    })

    it('sends no Warning when every parameter is known', async () => {
      for (const url of [
        `${BASE}?page=0&size=5&includeTerminated=false&name=q&apiKeyStatus=imp&sort=name,asc`,
        `${BASE}/${running}/vms?ip=10&name=Hadoop&instanceId=a&status=run&sort=name,asc&page=0&size=3`,
        `${BASE}/${running}/events?page=0&size=3`,
        `${BASE}`,
      ]) {
        const res = await get(url)
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
        expect(res.headers.warning, url).toBeUndefined()
      }
    })

    it('keeps odd names a valid header value (quotes escaped, non-ASCII percent-encoded)', async () => {
      const res = await get(`${BASE}?${encodeURIComponent('a"b\\c')}=1&${encodeURIComponent('état')}=2`)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers.warning).toBe(warning('a\\"b\\\\c, %C3%A9tat'))
    })

    it('caps the list at ten names', async () => {
      const query = Array.from({ length: 13 }, (_, i) => `p${i}=1`).join('&')
      const res = await api(s).list(query)
      expect(res.headers.warning).toBe(warning('p0, p1, p2, p3, p4, p5, p6, p7, p8, p9 and 3 more'))
    })
  })

  describe('the VM list status filter', () => {
    it.each(['Runing', 'stopped', 'Running,Creating', 'x'])(
      'refuses %s with 400 naming the statuses',
      async (value) => {
        const body = expectError(
          await api(s).vms(running, `status=${encodeURIComponent(value)}`),
          400,
          'INVALID_PARAMETER',
        )
        for (const st of VM_STATUSES) expect(body.message).toContain(st)
        expect(body.errors).toEqual([expect.objectContaining({ field: 'status', code: 'INVALID_PARAMETER' })])
      },
    )

    it('accepts a case-insensitive part of a VM status, as the filter matches', async () => {
      const all = (await api(s).vms(running)).json().totalElements as number
      expect(all).toBeGreaterThan(0)
      for (const value of ['Running', 'RUNNING', 'run', 'ing', ''])
        expect((await api(s).vms(running, `status=${value}`)).json().totalElements, value).toBe(all)
      // A valid status no VM is in: an empty page, not an error.
      const res = await api(s).vms(running, 'status=decommissioning')
      expect(res.statusCode).toBe(200)
      expect(res.json().totalElements).toBe(0)
    })
  })
})
