import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, BASE, createCluster, expectError, runUntilStatus } from './util.js'

const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }

describe('extensions (DESIGN sections 6 and 7)', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  describe('GET /clusters/{id}/events', () => {
    it('is a Page of the cluster history, oldest first', async () => {
      const id = await createCluster(s, { name: 'events-one' })
      await runUntilStatus(s, id, (st) => st === 'Running')
      await api(s).delete(id)
      await runUntilStatus(s, id, (st) => st.startsWith('Terminated'))
      const page = (await api(s).events(id)).json()
      expect(Object.keys(page).sort()).toEqual(
        [
          'content',
          'pageable',
          'totalPages',
          'totalElements',
          'last',
          'size',
          'number',
          'sort',
          'numberOfElements',
          'first',
          'empty',
        ].sort(),
      )
      const events = page.content as Record<string, unknown>[]
      for (const e of events) {
        for (const k of Object.keys(e))
          expect(['seq', 'at', 'type', 'fromStatus', 'toStatus', 'reason', 'message']).toContain(k)
        expect(e).toMatchObject({ seq: expect.any(Number), at: expect.any(Number), type: expect.any(String) })
      }
      const seqs = events.map((e) => e.seq as number)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      const ats = events.map((e) => e.at as number)
      expect(ats).toEqual([...ats].sort((a, b) => a - b))
      expect(events.filter((e) => e.toStatus).map((e) => e.toStatus)).toEqual([
        'Initializing',
        'Creating',
        'Installing',
        'Running',
        'Terminating',
        'Terminated(User)',
      ])
      expect(events[0]).not.toHaveProperty('fromStatus')
      expect(events.find((e) => e.toStatus === 'Terminating')).toMatchObject({
        fromStatus: 'Running',
        reason: 'USER_REQUEST',
      })
      const second = (
        await s.app.inject({ url: `${BASE}/${id}/events?size=2&page=1`, headers: s.headers })
      ).json()
      expect(second.content.map((e: { seq: number }) => e.seq)).toEqual(seqs.slice(2, 4))
    })
  })

  describe('apiError faults', () => {
    it('answer matching requests with the given status and the error envelope, `times` times', async () => {
      const made = await s.app.inject({
        method: 'POST',
        url: '/_admin/faults',
        headers: ADMIN,
        payload: { fault: 'apiError', match: { path: '/v2/hadoop-eco/clusters' }, status: 503, times: 2 },
      })
      expect(made.statusCode, made.body).toBe(201)
      expect(made.json()).toMatchObject({ fault: 'apiError', status: 503, times: 2, id: expect.any(String) })
      for (let i = 0; i < 2; i++) {
        const body = expectError(await api(s).list(), 503, 'INJECTED_FAULT')
        expect(body.error).toBe('Service Unavailable')
        expect(body.path).toBe(BASE)
      }
      expect((await api(s).list()).statusCode).toBe(200)
    })

    it('default to 500 and match paths by glob, leaving others alone', async () => {
      const made = await s.app.inject({
        method: 'POST',
        url: '/_admin/faults',
        headers: ADMIN,
        payload: { fault: 'apiError', match: { path: '/v2/hadoop-eco/clusters/*/vms' } },
      })
      const fault = made.json()
      const id = await createCluster(s, { name: 'fault-target' })
      expectError(await api(s).vms(id), 500, 'INJECTED_FAULT')
      expectError(await api(s).vms(id), 500, 'INJECTED_FAULT')
      expect((await api(s).get(id)).statusCode).toBe(200)
      const removed = await s.app.inject({
        method: 'DELETE',
        url: `/_admin/faults/${fault.id}`,
        headers: ADMIN,
      })
      expect(removed.statusCode).toBe(204)
      expect((await api(s).vms(id)).statusCode).toBe(200)
    })

    it('unknown fault kinds are refused with 400', async () => {
      const res = await s.app.inject({
        method: 'POST',
        url: '/_admin/faults',
        headers: ADMIN,
        payload: { fault: 'meteorStrike', match: { path: '/x' } },
      })
      expectError(res, 400, 'INVALID_VALUE')
    })

    it('refuses control characters in globs and counts beyond 32 bits; a fault id with U+0000 is 404', async () => {
      // Each of these was a 500 on PostgreSQL (U+0000 in text, integer out of range).
      for (const [payload, field] of [
        [{ fault: 'apiError', match: { path: '/x\u0000' } }, 'match.path'],
        [{ fault: 'provisionFailure', match: { clusterName: 'a\nb' } }, 'match.clusterName'],
        [{ fault: 'apiError', match: { path: '/x' }, times: 2 ** 31 }, 'times'],
        [{ fault: 'apiError', match: { path: '/x' }, times: 1e20 }, 'times'],
      ] as const) {
        const res = await s.app.inject({ method: 'POST', url: '/_admin/faults', headers: ADMIN, payload })
        expect(expectError(res, 400, 'INVALID_VALUE').errors[0]?.field).toBe(field)
      }
      expectError(
        await s.app.inject({ method: 'DELETE', url: '/_admin/faults/%00', headers: ADMIN }),
        404,
        'NOT_FOUND',
      )
      const largest = await s.app.inject({
        method: 'POST',
        url: '/_admin/faults',
        headers: ADMIN,
        payload: { fault: 'apiError', match: { path: '/matches/nothing' }, times: 2 ** 31 - 1 },
      })
      expect(largest.statusCode, largest.body).toBe(201)
      const removed = await s.app.inject({
        method: 'DELETE',
        url: `/_admin/faults/${largest.json().id}`,
        headers: ADMIN,
      })
      expect(removed.statusCode).toBe(204)
    })
  })

  describe('POST /_admin/reset', () => {
    it('deletes every cluster and fault, and keeps the credentials', async () => {
      await createCluster(s, { name: 'reset-me' })
      await createCluster(s, { name: 'reset-me-too' }, s.otherHeaders)
      await s.app.inject({
        method: 'POST',
        url: '/_admin/faults',
        headers: ADMIN,
        payload: { fault: 'apiError', match: { path: '/nowhere' } },
      })
      const res = await s.app.inject({ method: 'POST', url: '/_admin/reset', headers: ADMIN })
      expect(res.statusCode).toBe(204)
      expect((await api(s).list()).json().totalElements).toBe(0)
      expect((await api(s, s.otherHeaders).list()).json().totalElements).toBe(0)
      expect((await s.app.inject({ url: '/_admin/faults', headers: ADMIN })).json()).toEqual([])
      // names are free again
      expect((await api(s).create(validBody({ name: 'reset-me' }))).statusCode).toBe(200)
    })
  })
})
