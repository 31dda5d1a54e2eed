import { afterEach, describe, expect, it, vi } from 'vitest'
import { HadoopEcoClient } from './client.js'

describe('the global fetch', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('is called as a plain function, as browsers require ("Illegal invocation" otherwise)', async () => {
    // A browser's fetch refuses any `this` but the window (here: globalThis) or undefined.
    const calls: unknown[] = []
    vi.stubGlobal('fetch', function (this: unknown, input: string) {
      if (this !== undefined && this !== globalThis)
        throw new TypeError("Failed to execute 'fetch': Illegal invocation")
      calls.push(input)
      return Promise.resolve(new Response('{"id":"x","name":"n","status":"Running"}', { status: 200 }))
    })
    const client = new HadoopEcoClient({ endpoint: 'http://h', auth: 'session', maxRetries: 0 })
    await expect(client.clusters.get('x')).resolves.toMatchObject({ id: 'x' })
    expect(calls).toEqual(['http://h/v2/hadoop-eco/clusters/x'])
  })
})
