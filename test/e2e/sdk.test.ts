import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  ApiError,
  BadRequestError,
  ClusterEndedError,
  ConflictError,
  ConnectionError,
  HadoopEcoClient,
  HadoopEcoError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
  WaitTimeoutError,
  type CreateClusterRequest,
  type HadoopEcoClientOptions,
} from '../../src/sdk/index.js'
import {
  CREDENTIAL,
  OTHER_CREDENTIAL,
  closedPort,
  minimalSpec,
  startE2EServer,
  startProxy,
  uniqueName,
  type E2EServer,
} from './harness.js'
import { recordSdkPauses } from './sdk-pauses.js'

const spec = (name: string, over: Record<string, unknown> = {}) =>
  minimalSpec(name, over) as unknown as CreateClusterRequest

/** A fetch that records every attempt (method, url, idempotency key) before doing it. */
const recordingFetch = () => {
  const calls: { method: string; url: string; key: string | null }[] = []
  const f: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers)
    calls.push({ method: init?.method ?? 'GET', url: String(input), key: headers.get('idempotency-key') })
    return fetch(input, init)
  }
  return { calls, fetch: f }
}

describe('SDK against the real server', () => {
  let s: E2EServer
  let client: HadoopEcoClient
  const make = (over: HadoopEcoClientOptions = {}) =>
    new HadoopEcoClient({
      endpoint: s.url,
      credentialId: CREDENTIAL.id,
      credentialSecret: CREDENTIAL.secret,
      pollIntervalMs: 20,
      retryBaseDelayMs: 10,
      ...over,
    })

  beforeAll(async () => {
    s = await startE2EServer()
    client = make()
  })
  afterAll(() => s.close())
  afterEach(() => s.clearFaults())

  it('drives a cluster through create -> Running -> scale-out -> scale-in -> delete -> Terminated', async () => {
    const name = uniqueName('sdk-life')
    const ref = await client.clusters.create(spec(name))
    expect(ref).toEqual({ id: expect.any(String), name, status: 'Initializing' })

    const seen: string[] = []
    const running = await client.waitFor(ref.id, 'Running', {
      timeout: 20_000,
      onChange: (c, prev) => {
        expect(prev?.status).not.toBe(c.status)
        seen.push(c.status)
      },
    })
    expect(running).toMatchObject({ id: ref.id, name, status: 'Running', masterCnt: 1, workerCnt: 3 })
    expect(seen.at(-1)).toBe('Running')
    expect(new Set(seen).size).toBe(seen.length)

    const vms = await client.clusters.vms(ref.id, { sort: 'name,asc' })
    expect(vms.content.map((v) => v.name)).toEqual([
      `HadoopMST-${name}-1`,
      `HadoopWRK-${name}-1`,
      `HadoopWRK-${name}-2`,
      `HadoopWRK-${name}-3`,
    ])
    const workers = await client.clusters.vms(ref.id, { name: 'WRK', sort: ['name,desc'] })
    expect(workers.content.map((v) => v.index)).toEqual([3, 2, 1])

    expect(await client.clusters.scaleOut(ref.id, 2)).toEqual({ id: ref.id, name, status: 'Processing' })
    const out = await client.waitFor(ref.id, 'Running', { timeout: 20_000 })
    expect(out.workerCnt).toBe(5)
    expect((await client.clusters.vms(ref.id)).totalElements).toBe(6)

    expect(await client.clusters.scaleIn(ref.id, { scaleCnt: 1 })).toEqual({
      id: ref.id,
      name,
      status: 'Processing',
    })
    const scaledIn = await client.waitFor(ref.id, (c) => c.status === 'Running' && c.workerCnt === 4, {
      timeout: 20_000,
    })
    expect(scaledIn.nodeCnt).toBe(5)

    expect(await client.clusters.delete(ref.id)).toEqual({ id: ref.id, name, status: 'Terminating' })
    const gone = await client.waitFor(ref.id, 'Terminated', { timeout: 20_000 })
    expect(gone.status).toBe('Terminated(User)')
    expect(gone.workerCnt).toBe(0)

    const events = await client.clusters.events(ref.id, { size: 1000 })
    expect(events.content.filter((e) => e.toStatus).map((e) => e.toStatus)).toEqual([
      'Initializing',
      'Creating',
      'Installing',
      'Running',
      'Processing',
      'Running',
      'Processing',
      'Running',
      'Terminating',
      'Terminated(User)',
    ])
  })

  it('lists one page with filters and sort, and every page with listAll / listPages', async () => {
    const prefix = `pg${randomUUID().slice(0, 6)}`
    const names = [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`)
    for (const n of names) await client.clusters.create(spec(n))

    const { calls, fetch: f } = recordingFetch()
    const counting = make({ fetch: f })
    const all: string[] = []
    for await (const c of counting.clusters.listAll({ name: prefix, size: 2 })) all.push(c.name)
    expect([...all].sort()).toEqual(names)
    expect(calls.map((c) => new URL(c.url).searchParams.get('page'))).toEqual(['0', '1', '2'])

    const sizes: number[] = []
    for await (const p of client.clusters.listPages({ name: prefix, size: 2 })) sizes.push(p.numberOfElements)
    expect(sizes).toEqual([2, 2, 1])

    const page = await client.clusters.list({ name: prefix.toUpperCase(), size: 2, sort: ['name,desc'] })
    expect(page.content.map((c) => c.name)).toEqual([names[4], names[3]])
    expect(page).toMatchObject({ totalElements: 5, totalPages: 3, number: 0, first: true, last: false })

    // Another project's credential sees none of them.
    const other = make({ credentialId: OTHER_CREDENTIAL.id, credentialSecret: OTHER_CREDENTIAL.secret })
    expect((await other.clusters.list({ name: prefix })).totalElements).toBe(0)
  })

  describe('errors: one class per status, with code, field list and request id', () => {
    it('400 -> BadRequestError with the fields', async () => {
      const c = make({ headers: { 'x-request-id': 'e2e-req-400' } })
      const e = await c.clusters.create(spec(uniqueName('bad'), { workerCnt: 2 })).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(BadRequestError)
      expect(e).toBeInstanceOf(ApiError)
      expect(e).toBeInstanceOf(HadoopEcoError)
      const err = e as BadRequestError
      expect(err.status).toBe(400)
      expect(err.code).toBe('WORKER_COUNT_BELOW_REPLICATION')
      expect(err.fields).toEqual(['workerCnt'])
      expect(err.errors[0]).toMatchObject({ field: 'workerCnt', code: 'WORKER_COUNT_BELOW_REPLICATION' })
      expect(err.requestId).toBe('e2e-req-400')
      expect(err.body?.path).toBe('/v2/hadoop-eco/clusters')
      expect(err.message).toContain('WORKER_COUNT_BELOW_REPLICATION')
    })

    it('400 on scale-in below replication', async () => {
      const { id } = await client.clusters.create(spec(uniqueName('floor')))
      await client.waitFor(id, 'Running', { timeout: 20_000 })
      const e = (await client.clusters.scaleIn(id, 1).catch((x: unknown) => x)) as BadRequestError
      expect(e).toBeInstanceOf(BadRequestError)
      expect(e.code).toBe('SCALE_IN_BELOW_REPLICATION')
      expect(e.fields).toEqual(['scaleCnt'])
    })

    it('401 -> UnauthorizedError', async () => {
      const e = await make({ credentialSecret: 'wrong-secret' })
        .clusters.list()
        .catch((x: unknown) => x)
      expect(e).toBeInstanceOf(UnauthorizedError)
      expect(e).toMatchObject({ status: 401, code: 'UNAUTHORIZED', requestId: expect.any(String) })
    })

    it('404 -> NotFoundError, also for a cluster of another project', async () => {
      const e = await client.clusters.get(randomUUID()).catch((x: unknown) => x)
      expect(e).toBeInstanceOf(NotFoundError)
      expect(e).toMatchObject({ status: 404, code: 'CLUSTER_NOT_FOUND', requestId: expect.any(String) })
      const { id } = await client.clusters.create(spec(uniqueName('mine')))
      const other = make({ credentialId: OTHER_CREDENTIAL.id, credentialSecret: OTHER_CREDENTIAL.secret })
      await expect(other.clusters.delete(id)).rejects.toBeInstanceOf(NotFoundError)
    })

    it('409 -> ConflictError on a duplicate name', async () => {
      const name = uniqueName('dup')
      await client.clusters.create(spec(name))
      const e = (await client.clusters.create(spec(name)).catch((x: unknown) => x)) as ConflictError
      expect(e).toBeInstanceOf(ConflictError)
      expect(e).toMatchObject({ status: 409, code: 'DUPLICATE_CLUSTER_NAME' })
      expect(e.errors.map((x) => x.field)).toEqual(['name'])
    })

    it('429 -> RateLimitedError once retries are spent', async () => {
      await s.fault({ match: { path: '/v2/hadoop-eco/clusters*' }, fault: 'apiError', status: 429, times: 2 })
      const e = await make({ maxRetries: 1 })
        .clusters.list()
        .catch((x: unknown) => x)
      expect(e).toBeInstanceOf(RateLimitedError)
      expect(e).toMatchObject({ status: 429, code: 'INJECTED_FAULT', requestId: expect.any(String) })
    })

    it('5xx -> ServerError once retries are spent', async () => {
      await s.fault({ match: { path: '/v2/hadoop-eco/clusters*' }, fault: 'apiError', status: 503, times: 1 })
      const e = await make({ maxRetries: 0 })
        .clusters.get(randomUUID())
        .catch((x: unknown) => x)
      expect(e).toBeInstanceOf(ServerError)
      expect(e).toMatchObject({ status: 503, code: 'INJECTED_FAULT', requestId: expect.any(String) })
    })

    it('no server -> ConnectionError, after the retries', async () => {
      const { calls, fetch: f } = recordingFetch()
      const c = make({ endpoint: `http://127.0.0.1:${await closedPort()}`, maxRetries: 2, fetch: f })
      const e = (await c.clusters.list().catch((x: unknown) => x)) as ConnectionError
      expect(e).toBeInstanceOf(ConnectionError)
      expect(e).toBeInstanceOf(HadoopEcoError)
      expect(e.code).toBe('CONNECTION_FAILED')
      expect(e.message).toContain('ECONNREFUSED')
      expect(e.cause).toBeDefined()
      expect(calls).toHaveLength(3)
    })

    it('a server that does not answer in time -> ConnectionError (TIMEOUT)', async () => {
      const proxy = await startProxy(s.url)
      try {
        proxy.actions.push('hang')
        const e = (await make({ endpoint: proxy.url, timeoutMs: 150, maxRetries: 0 })
          .clusters.list()
          .catch((x: unknown) => x)) as ConnectionError
        expect(e).toBeInstanceOf(ConnectionError)
        expect(e.code).toBe('TIMEOUT')
      } finally {
        await proxy.close()
      }
    })
  })

  describe('retries', () => {
    it('retries 5xx with one Idempotency-Key for every attempt and creates once', async () => {
      // 500, not 503: the server's injected 503 carries Retry-After: 1, which the SDK would honour.
      await s.fault({ match: { path: '/v2/hadoop-eco/clusters' }, fault: 'apiError', status: 500, times: 2 })
      const { calls, fetch: f } = recordingFetch()
      const name = uniqueName('retry')
      const { pauses, restore } = recordSdkPauses()
      const ref = await make({ fetch: f, maxRetries: 2 }).clusters.create(spec(name)).finally(restore)
      // no Retry-After to honour: backoff from retryBaseDelayMs (10 ms), doubled, up to 25% less
      expect(pauses).toHaveLength(2)
      expect(pauses[0]).toBeGreaterThanOrEqual(7.5)
      expect(pauses[0]).toBeLessThanOrEqual(10)
      expect(pauses[1]).toBeGreaterThanOrEqual(15)
      expect(pauses[1]).toBeLessThanOrEqual(20)
      expect(calls).toHaveLength(3)
      expect(calls.every((c) => c.method === 'POST')).toBe(true)
      const keys = new Set(calls.map((c) => c.key))
      expect(keys.size).toBe(1)
      expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/)
      const listed = await client.clusters.list({ name })
      expect(listed.content.map((c) => c.id)).toEqual([ref.id])
    })

    it('every mutation gets its own key; GETs get none', async () => {
      const { calls, fetch: f } = recordingFetch()
      const c = make({ fetch: f })
      const a = await c.clusters.create(spec(uniqueName('keys-a')))
      const b = await c.clusters.create(spec(uniqueName('keys-b')))
      await c.clusters.get(a.id)
      await c.clusters.delete(a.id)
      const [k1, k2, k3, k4] = calls.map((x) => x.key)
      expect(k1).toBeTruthy()
      expect(k2).toBeTruthy()
      expect(k1).not.toBe(k2)
      expect(k3).toBeNull()
      expect(k4).toBeTruthy()
      await expect(
        // another cluster: a may already be Terminated(User), and deleting it again is a 400
        c.clusters.delete(b.id, { idempotencyKey: 'my-own-key-1' }).then(() => calls.at(-1)?.key),
      ).resolves.toBe('my-own-key-1')
    })

    it('a response lost after the server acted is retried and replayed, not created twice', async () => {
      const proxy = await startProxy(s.url)
      try {
        proxy.actions.push('drop-response')
        const name = uniqueName('lost')
        const ref = await make({ endpoint: proxy.url, maxRetries: 2 }).clusters.create(spec(name))
        const posts = proxy.seen.filter((r) => r.method === 'POST')
        expect(posts).toHaveLength(2)
        expect(posts[0]?.headers['idempotency-key']).toBeTruthy()
        expect(posts[1]?.headers['idempotency-key']).toBe(posts[0]?.headers['idempotency-key'])
        // Without the key the retry would have been a 409 (the name is taken by the first attempt).
        const listed = await client.clusters.list({ name })
        expect(listed.totalElements).toBe(1)
        expect(listed.content[0]?.id).toBe(ref.id)
      } finally {
        await proxy.close()
      }
    })

    it('honours Retry-After on a 429', async () => {
      const proxy = await startProxy(s.url)
      try {
        proxy.actions.push({
          status: 429,
          headers: { 'retry-after': '1', 'x-request-id': 'rl-1' },
          body: JSON.stringify({ status: 429, code: 'RATE_LIMITED', message: 'slow down', errors: [] }),
        })
        // the pause is recorded, not waited out
        const { pauses, restore } = recordSdkPauses({ skip: true })
        const page = await make({ endpoint: proxy.url }).clusters.list({ size: 1 }).finally(restore)
        expect(page.size).toBe(1)
        expect(proxy.seen).toHaveLength(2)
        // one pause between the two attempts: the 1 s asked for, not the client's 10 ms backoff
        expect(pauses).toEqual([1000])
      } finally {
        await proxy.close()
      }
    })

    it('does not wait for a Retry-After longer than maxRetryAfterMs', async () => {
      const proxy = await startProxy(s.url)
      try {
        proxy.actions.push({
          status: 429,
          headers: { 'retry-after': '120', 'x-request-id': 'rl-2' },
          body: JSON.stringify({ status: 429, code: 'RATE_LIMITED', message: 'slow down', errors: [] }),
        })
        const e = (await make({ endpoint: proxy.url })
          .clusters.list()
          .catch((x: unknown) => x)) as RateLimitedError
        expect(e).toBeInstanceOf(RateLimitedError)
        expect(e).toMatchObject({ retryAfterMs: 120_000, requestId: 'rl-2', code: 'RATE_LIMITED' })
        expect(proxy.seen).toHaveLength(1)
      } finally {
        await proxy.close()
      }
    })
  })

  describe('waitFor', () => {
    it('stops with ClusterEndedError when the cluster ends Terminated(Error)', async () => {
      const name = uniqueName('doomed')
      await s.fault({ match: { clusterName: name }, fault: 'installFailure', times: 1 })
      const { id } = await client.clusters.create(spec(name))
      const e = (await client
        .waitFor(id, 'Running', { timeout: 20_000 })
        .catch((x: unknown) => x)) as ClusterEndedError
      expect(e).toBeInstanceOf(ClusterEndedError)
      expect(e.cluster.status).toBe('Terminated(Error)')
    })

    it('gives up with WaitTimeoutError carrying the last state', async () => {
      const { id } = await client.clusters.create(spec(uniqueName('slowpoke')))
      await client.waitFor(id, 'Running', { timeout: 20_000 })
      const e = (await client
        .waitFor(id, 'Terminated', { timeout: 150 })
        .catch((x: unknown) => x)) as WaitTimeoutError
      expect(e).toBeInstanceOf(WaitTimeoutError)
      expect(e.cluster?.status).toBe('Running')
    })

    it('polls quickly at first without a fixed interval, then slows down to pollIntervalMs', async () => {
      const c = make({ pollIntervalMs: 2000 })
      const { id } = await c.clusters.create(spec(uniqueName('adaptive')))
      const first = recordSdkPauses()
      const changedAt: number[] = []
      await c
        .waitFor(id, 'Running', { timeout: 20_000, onChange: () => void changedAt.push(first.pauses.length) })
        .finally(first.restore)
      // The first poll finds the cluster on its way (Initializing) and the next one comes 250 ms
      // later, not 2 s; so does the one after every status change.
      expect(first.pauses.length).toBeGreaterThan(0)
      expect(first.pauses[0]).toBe(250)
      for (const i of changedAt.filter((n) => n < first.pauses.length)) expect(first.pauses[i]).toBe(250)

      // While nothing changes, each pause is half as long again, up to pollIntervalMs (the
      // pauses are recorded, not waited out).
      const quiet = recordSdkPauses({ skip: true })
      let polls = 0
      await c.waitFor(id, () => ++polls === 9).finally(quiet.restore)
      expect(quiet.pauses).toEqual([250, 375, 563, 845, 1268, 1902, 2000, 2000])
    })

    it('can be cancelled with an AbortSignal', async () => {
      const { id } = await client.clusters.create(spec(uniqueName('cancel')))
      const ac = new AbortController()
      const p = client.waitFor(id, 'Terminated', { signal: ac.signal, interval: 50 })
      setTimeout(() => ac.abort(new Error('stop')), 100)
      await expect(p).rejects.toThrow('stop')
    })
  })

  it('takes endpoint and credential from the environment', async () => {
    const saved = { ...process.env }
    try {
      process.env.HADOOP_ECO_ENDPOINT = `${s.url}/`
      process.env.HADOOP_ECO_CREDENTIAL_ID = CREDENTIAL.id
      process.env.HADOOP_ECO_CREDENTIAL_SECRET = CREDENTIAL.secret
      const c = new HadoopEcoClient()
      expect(c.endpoint).toBe(s.url)
      expect((await c.clusters.list({ size: 1 })).size).toBe(1)
      delete process.env.HADOOP_ECO_ENDPOINT
      expect(() => new HadoopEcoClient()).toThrow(/HADOOP_ECO_ENDPOINT/)
      process.env.HADOOP_ECO_ENDPOINT = s.url
      delete process.env.HADOOP_ECO_CREDENTIAL_SECRET
      expect(() => new HadoopEcoClient()).toThrow(/HADOOP_ECO_CREDENTIAL_SECRET/)
    } finally {
      process.env = saved
    }
  })
})
