import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../domain/errors.js'
import { createStore, openDatabase, type Database, type Store } from '../store/index.js'
import { createIdempotencyService, type IdempotencyClaim } from './idempotency.js'
import { createSecretBox } from './secret-box.js'

describe('createIdempotencyService', () => {
  let database: Database
  let store: Store
  let t = 1_000_000
  const box = createSecretBox(randomBytes(32))
  const service = () =>
    createIdempotencyService({ store: store.idempotency, now: () => t, digest: box.mac, box })
  const post = (body: unknown) => ({ method: 'POST', path: '/v2/hadoop-eco/clusters', body })
  const claimOf = async (key: string, body: unknown = { name: 'a' }): Promise<IdempotencyClaim> => {
    const started = await service().start('p', key, post(body))
    if (started.kind !== 'claimed') throw new Error(`expected a claim, got ${started.kind}`)
    return started.claim
  }
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: unknown) => (e instanceof AppError ? e.code : String(e)),
    )

  beforeEach(async () => {
    database = await openDatabase('sqlite::memory:')
    await database.migrate()
    store = createStore(database)
  })
  afterEach(() => database.close())

  it('leaves a request without a key alone and refuses a malformed key', async () => {
    expect(await service().start('p', undefined, post({}))).toEqual({ kind: 'none' })
    expect(await codeOf(service().start('p', '', post({})))).toBe('INVALID_PARAMETER')
    expect(await codeOf(service().start('p', 'a b', post({})))).toBe('INVALID_PARAMETER')
  })

  it('replays what the first request answered, sealed at rest, and refuses the key for another request', async () => {
    const claim = await claimOf('k1')
    await service().finish(claim, 201, '{"secret":"shown once"}')
    expect(await service().start('p', 'k1', post({ name: 'a' }))).toEqual({
      kind: 'replay',
      status: 201,
      body: '{"secret":"shown once"}',
    })
    expect((await store.idempotency.get('p', 'k1'))?.response_body).not.toContain('shown once')
    expect(await codeOf(service().start('p', 'k1', post({ name: 'b' })))).toBe('IDEMPOTENCY_KEY_REUSED')
    // Keys are per project.
    expect((await service().start('q', 'k1', post({ name: 'b' }))).kind).toBe('claimed')
  })

  it('frees the key after a 5xx, so a retry acts', async () => {
    await service().finish(await claimOf('k2'), 503, '{}')
    expect((await service().start('p', 'k2', post({ name: 'a' }))).kind).toBe('claimed')
  })

  it('an answer recorded with its action commits with it, and is not written again', async () => {
    const claim = await claimOf('k3')
    const record = service().recorder(claim)
    await store.transaction((tx) => record(tx, { id: 'c1' }))
    expect(claim.recorded).toBe(200)
    await service().finish(claim, 200, '{"id":"ignored"}')
    expect(await service().start('p', 'k3', post({ name: 'a' }))).toEqual({
      kind: 'replay',
      status: 200,
      body: '{"id":"c1"}',
    })
  })

  it('a recorded answer rolled back with its action is replaced by the answer sent', async () => {
    const claim = await claimOf('k4')
    const record = service().recorder(claim)
    await expect(
      store.transaction(async (tx) => {
        await record(tx, { id: 'c1' })
        throw new Error('the action failed')
      }),
    ).rejects.toThrow('the action failed')
    await service().finish(claim, 409, '{"code":"CONFLICT"}')
    expect(await service().start('p', 'k4', post({ name: 'a' }))).toMatchObject({
      kind: 'replay',
      status: 409,
    })
  })

  it('takes over a claim abandoned for a minute, and any record older than a day', async () => {
    await claimOf('k5')
    t += 60_001
    expect((await service().start('p', 'k5', post({ name: 'other' }))).kind).toBe('claimed')
    await service().finish(await claimOf('k6'), 201, '{}')
    t += 24 * 60 * 60 * 1000 + 1
    expect((await service().start('p', 'k6', post({ name: 'other' }))).kind).toBe('claimed')
  })
})
