import { describe, expect, it } from 'vitest'
import type { FaultRow, FaultStore } from '../store/faults.js'
import { createFaultService } from './faults.js'

const row: FaultRow = {
  id: 'f1',
  cluster_name_glob: null,
  path_glob: '/v2/*',
  fault: 'apiError',
  status: 503,
  times_left: null,
  created_at: 1,
}

describe('createFaultService', () => {
  it('tries again after a failed load instead of failing every later request', async () => {
    let calls = 0
    const store = {
      list: async () => {
        calls++
        if (calls === 1) throw new Error('database briefly unavailable')
        return [row]
      },
      consume: async () => true,
    } as unknown as FaultStore
    const faults = createFaultService({ store })
    await expect(faults.apiFault('/v2/x')).rejects.toThrow('briefly unavailable')
    expect(await faults.apiFault('/v2/x')).toEqual({ status: 503 })
    expect(await faults.apiFault('/other')).toBeUndefined()
    expect(calls).toBe(2)
  })
})
