import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AppError } from '../domain/errors.js'
import type { CredentialRow, CredentialStore } from '../store/credentials.js'
import { createCredentialService, hashSecret } from './credentials.js'

const SECRET = 'right-secret-0123456789'

/** A store of one credential whose row the test can change behind the service's back. */
const fakeStore = () => {
  let row: CredentialRow | undefined = {
    id: 'k1',
    secret_hash: hashSecret(SECRET),
    project: 'p',
    owner: 'o',
    created_at: 0,
    revoked_at: null,
  } as CredentialRow
  const store = {
    reads: 0,
    set: (r: CredentialRow | undefined) => (row = r),
    row: () => row,
    getActive: async () => {
      store.reads++
      return row
    },
  }
  return store
}

const code = (f: () => unknown) => {
  try {
    f()
    return 'ok'
  } catch (e) {
    return e instanceof AppError ? e.code : String(e)
  }
}

describe('createCredentialService: the cached check', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }))
  afterEach(() => vi.useRealTimers())

  const service = (store: ReturnType<typeof fakeStore>) =>
    createCredentialService({ store: store as unknown as CredentialStore, now: () => 0 })

  it('refuses every other secret once the right one has been verified', async () => {
    const store = fakeStore()
    const creds = service(store)
    await expect(creds.authenticate('k1', SECRET)).resolves.toMatchObject({ project: 'p' })
    // From the cache, with the verified secret remembered: same length, a prefix, a longer one.
    expect(creds.authenticateCached('k1', SECRET)).toMatchObject({ credentialId: 'k1' })
    expect(code(() => creds.authenticateCached('k1', SECRET.replace(/9$/, '8')))).toBe('UNAUTHORIZED')
    expect(code(() => creds.authenticateCached('k1', SECRET.slice(0, -1)))).toBe('UNAUTHORIZED')
    expect(code(() => creds.authenticateCached('k1', `${SECRET}x`))).toBe('UNAUTHORIZED')
    // A wrong guess does not replace the remembered secret, and the right one still passes.
    expect(creds.authenticateCached('k1', SECRET)).toMatchObject({ credentialId: 'k1' })
    expect(store.reads).toBe(1)
  })

  it('forgets the verified secret when the stored row changes or goes', async () => {
    const store = fakeStore()
    const creds = service(store)
    await creds.authenticate('k1', SECRET)
    // Another process replaces the credential's secret: once the cache is due, the old secret fails.
    store.set({ ...store.row()!, secret_hash: hashSecret('another-secret-0123456') })
    vi.setSystemTime(Date.now() + 1500)
    await expect(creds.authenticate('k1', SECRET)).rejects.toMatchObject({ code: 'UNAUTHORIZED' })
    await expect(creds.authenticate('k1', 'another-secret-0123456')).resolves.toMatchObject({ project: 'p' })
    // Revoked elsewhere: the row is gone, and so is the remembered secret.
    store.set(undefined)
    vi.setSystemTime(Date.now() + 1500)
    await expect(creds.authenticate('k1', 'another-secret-0123456')).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    })
  })

  it('a revoke is not undone by a lookup that was under way during it', async () => {
    const store = fakeStore()
    const row = store.row()!
    let answer: (r: CredentialRow | undefined) => void = () => undefined
    let revoked: (ok: boolean) => void = () => undefined
    const slow = {
      ...store,
      getActive: () => new Promise<CredentialRow | undefined>((r) => (answer = r)),
      revoke: () => new Promise<boolean>((r) => (revoked = r)),
    }
    const creds = service(slow as unknown as ReturnType<typeof fakeStore>)
    const lookup = creds.authenticate('k1', SECRET)
    const revoke = creds.revoke('k1')
    // The lookup read the row before the revoke's write and comes back while it is under way.
    answer(row)
    await expect(lookup).resolves.toMatchObject({ credentialId: 'k1' })
    revoked(true)
    await revoke
    expect(creds.authenticateCached('k1', SECRET)).toBeUndefined()
  })
})
