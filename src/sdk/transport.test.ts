import { afterEach, describe, expect, it, vi } from 'vitest'
import { authHeaders, randomKey, type TransportConfig } from './transport.js'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('randomKey', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('makes a UUID v4 with crypto.randomUUID', () => {
    expect(randomKey()).toMatch(UUID_V4)
  })

  it('makes one with getRandomValues where randomUUID is missing (a browser page on plain http)', () => {
    const real = globalThis.crypto
    vi.stubGlobal('crypto', { getRandomValues: (a: Uint8Array) => real.getRandomValues(a) })
    expect(globalThis.crypto.randomUUID).toBeUndefined()
    const keys = new Set(Array.from({ length: 200 }, () => randomKey()))
    expect(keys.size).toBe(200)
    for (const k of keys) expect(k).toMatch(UUID_V4)
  })
})

describe('authHeaders', () => {
  const cfg = (over: Partial<TransportConfig>): TransportConfig => ({
    endpoint: '',
    auth: 'credentials',
    credentialId: 'id',
    credentialSecret: 'secret',
    state: {},
    maxRetries: 0,
    timeoutMs: 1000,
    retryBaseDelayMs: 1,
    maxRetryDelayMs: 1,
    maxRetryAfterMs: 1,
    headers: {},
    fetch: globalThis.fetch,
    ...over,
  })

  it('sends the credential headers in credentials mode, never the CSRF token', () => {
    const c = cfg({ state: { csrfToken: 't' } })
    expect(authHeaders(c, 'POST')).toEqual({ 'credential-id': 'id', 'credential-secret': 'secret' })
  })

  it('sends the CSRF token on mutations only in session mode, and no credential', () => {
    const c = cfg({
      auth: 'session',
      credentialId: undefined,
      credentialSecret: undefined,
      state: { csrfToken: 't' },
    })
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE'])
      expect(authHeaders(c, m)).toEqual({ 'x-csrf-token': 't' })
    for (const m of ['GET', 'HEAD']) expect(authHeaders(c, m)).toEqual({})
    expect(authHeaders(cfg({ auth: 'session' }), 'POST')).toEqual({})
  })

  it('sends only the bearer on admin calls', () => {
    const c = cfg({ state: { csrfToken: 't', adminToken: 'adm' } })
    expect(authHeaders(c, 'DELETE', 'admin')).toEqual({ authorization: 'Bearer adm' })
    expect(authHeaders(cfg({}), 'GET', 'admin')).toEqual({})
  })
})
