import { beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../src/store/index.js'
import { TEST_BACKEND, useFreshStore } from '../helpers.js'

/** The web console's session store (DESIGN section 13), on SQLite and on PostgreSQL. */
describe(`console session store (${TEST_BACKEND})`, () => {
  const fixture = useFreshStore()
  let store: Store
  let n = 0
  // Epoch milliseconds past 2^31, as real ones are: the columns must hold them.
  const T = Date.UTC(2026, 0, 1)
  beforeAll(async () => {
    store = fixture.store
    for (const id of ['c1', 'c2'])
      await store.credentials.insert({
        id,
        project: `p-${id}`,
        owner: `o-${id}`,
        secret_hash: 'x',
        created_at: T,
        revoked_at: null,
      })
  })

  const open = async (over: { credentialId?: string; expiresAt?: number } = {}) => {
    n++
    const s = {
      tokenHash: `hash-${n}`,
      credentialId: over.credentialId ?? 'c1',
      project: `p-${over.credentialId ?? 'c1'}`,
      csrfToken: `csrf-${n}`,
      createdAt: T,
      lastSeenAt: T,
      expiresAt: over.expiresAt ?? T + 1000,
    }
    await store.consoleSessions.insert(s)
    return s
  }

  it('finds a live session with its credential owner, until it expires', async () => {
    const s = await open()
    expect(await store.consoleSessions.getLive(s.tokenHash, T)).toEqual({ ...s, owner: 'o-c1' })
    expect(await store.consoleSessions.getLive(s.tokenHash, T + 999)).toBeDefined()
    expect(await store.consoleSessions.getLive(s.tokenHash, T + 1000)).toBeUndefined()
    expect(await store.consoleSessions.getLive('no-such-hash', T)).toBeUndefined()
    expect(await store.consoleSessions.getLive('nul\0hash', T)).toBeUndefined()
  })

  it('moves the end forward only, and never revives an ended or deleted session', async () => {
    const s = await open()
    expect(await store.consoleSessions.touch(s.tokenHash, T + 500, T + 1500)).toBe(true)
    expect((await store.consoleSessions.getLive(s.tokenHash, T + 500))?.expiresAt).toBe(T + 1500)
    expect((await store.consoleSessions.getLive(s.tokenHash, T + 500))?.lastSeenAt).toBe(T + 500)
    // an older request (or a slower replica) does not move it back
    expect(await store.consoleSessions.touch(s.tokenHash, T + 400, T + 1400)).toBe(false)
    expect((await store.consoleSessions.getLive(s.tokenHash, T + 500))?.expiresAt).toBe(T + 1500)
    // once ended, it stays ended
    expect(await store.consoleSessions.touch(s.tokenHash, T + 1500, T + 2500)).toBe(false)
    const d = await open()
    expect(await store.consoleSessions.delete(d.tokenHash)).toBe(true)
    expect(await store.consoleSessions.delete(d.tokenHash)).toBe(false)
    expect(await store.consoleSessions.touch(d.tokenHash, T, T + 5000)).toBe(false)
    expect(await store.consoleSessions.getLive(d.tokenHash, T)).toBeUndefined()
  })

  it('hides the sessions of a revoked credential', async () => {
    const s = await open({ credentialId: 'c2' })
    expect(await store.consoleSessions.getLive(s.tokenHash, T)).toMatchObject({
      project: 'p-c2',
      owner: 'o-c2',
    })
    await store.credentials.revoke('c2', T)
    expect(await store.consoleSessions.getLive(s.tokenHash, T)).toBeUndefined()
  })

  it('purges the sessions that ended, and only those', async () => {
    const ended = await open({ expiresAt: T + 10 })
    const live = await open({ expiresAt: T + 100_000 })
    const purged = await store.consoleSessions.purgeExpired(T + 10)
    expect(purged).toBeGreaterThanOrEqual(1)
    const left = await store.database.db.selectFrom('console_sessions').select('token_hash').execute()
    expect(left.map((r) => r.token_hash)).toContain(live.tokenHash)
    expect(left.map((r) => r.token_hash)).not.toContain(ended.tokenHash)
  })
})
