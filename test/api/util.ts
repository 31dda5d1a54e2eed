import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { TestServer } from '../helpers.js'
import { validBody } from '../helpers.js'

export const BASE = '/v2/hadoop-eco/clusters'
export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

type Headers = Record<string, string>

/** Thin wrappers over app.inject for the seed's operations. */
export const api = (s: TestServer, headers: Headers = s.headers) => ({
  create: (body: unknown, extra: Headers = {}) =>
    s.app.inject({ method: 'POST', url: BASE, headers: { ...headers, ...extra }, payload: body as object }),
  get: (id: string) => s.app.inject({ method: 'GET', url: `${BASE}/${id}`, headers }),
  list: (query = '') => s.app.inject({ method: 'GET', url: `${BASE}${query ? `?${query}` : ''}`, headers }),
  vms: (id: string, query = '') =>
    s.app.inject({ method: 'GET', url: `${BASE}/${id}/vms${query ? `?${query}` : ''}`, headers }),
  events: (id: string) => s.app.inject({ method: 'GET', url: `${BASE}/${id}/events?size=1000`, headers }),
  delete: (id: string, extra: Headers = {}) =>
    s.app.inject({ method: 'DELETE', url: `${BASE}/${id}`, headers: { ...headers, ...extra } }),
  scale: (id: string, direction: 'out' | 'in', scaleCnt: unknown, method: 'POST' | 'DELETE' = 'POST') =>
    s.app.inject({
      method,
      url: `${BASE}/${id}/scale-${direction}`,
      headers,
      payload: { scaleCnt },
    }),
})

/** Asserts the error envelope of DESIGN section 2 and returns its body. */
export const expectError = (res: LightMyRequestResponse, status: number, code: string) => {
  expect(res.statusCode, res.body).toBe(status)
  const body = res.json()
  expect(body).toMatchObject({ status, code, path: expect.any(String), message: expect.any(String) })
  expect(Object.keys(body).sort()).toEqual(
    ['code', 'error', 'errors', 'message', 'path', 'status', 'timestamp'].sort(),
  )
  expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp)
  expect(res.headers['x-request-id']).toBeTruthy()
  return body as {
    code: string
    message: string
    error: string
    path: string
    errors: { field: string; code: string; message: string }[]
  }
}

export const statusOf = async (s: TestServer, id: string): Promise<string> =>
  (await api(s).get(id)).json().status as string

/** Creates a cluster and returns its id (the create must succeed). */
export const createCluster = async (s: TestServer, over: Record<string, unknown> = {}, headers?: Headers) => {
  const res = await api(s, headers ?? s.headers).create(validBody(over))
  expect(res.statusCode, res.body).toBe(200)
  return res.json().id as string
}

/** Advances the simulated clock until the cluster's status satisfies `done`. */
export const runUntilStatus = async (
  s: TestServer,
  id: string,
  done: (status: string) => boolean,
  tick = 10_000,
) => {
  await s.runUntil(async () => done(await statusOf(s, id)), { tick })
}

export const createRunning = async (s: TestServer, over: Record<string, unknown> = {}) => {
  const id = await createCluster(s, over)
  await runUntilStatus(s, id, (st) => st === 'Running')
  return id
}
