import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, createCluster, expectError, runUntilStatus, statusOf } from './util.js'

describe('409 duplicate cluster name', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  it('refuses a second cluster with the same name in one project', async () => {
    await createCluster(s, { name: 'dup-name' })
    const body = expectError(
      await api(s).create(validBody({ name: 'dup-name' })),
      409,
      'DUPLICATE_CLUSTER_NAME',
    )
    expect(body.error).toBe('Conflict')
    expect(body.errors).toEqual([
      { field: 'name', code: 'DUPLICATE_CLUSTER_NAME', message: expect.any(String) },
    ])
    expect((await api(s).list('name=dup-name')).json().totalElements).toBe(1)
  })

  it('refuses it whatever else differs in the body', async () => {
    await createCluster(s, { name: 'dup-other' })
    expectError(
      await api(s).create(validBody({ name: 'dup-other', clusterType: 'hbase', workerCnt: 5 })),
      409,
      'DUPLICATE_CLUSTER_NAME',
    )
  })

  it('validation comes first: a bad body with a taken name is 400', async () => {
    await createCluster(s, { name: 'dup-invalid' })
    expectError(
      await api(s).create(validBody({ name: 'dup-invalid', workerCnt: 0 })),
      400,
      'VALUE_OUT_OF_RANGE',
    )
  })

  it('allows the same name in another project', async () => {
    await createCluster(s, { name: 'shared-name' })
    const res = await api(s, s.otherHeaders).create(validBody({ name: 'shared-name' }))
    expect(res.statusCode, res.body).toBe(200)
  })

  it('still refuses while the first is Terminating, and allows it once Terminated', async () => {
    const first = await createCluster(s, { name: 'reuse-me' })
    expect((await api(s).delete(first)).json().status).toBe('Terminating')
    expectError(await api(s).create(validBody({ name: 'reuse-me' })), 409, 'DUPLICATE_CLUSTER_NAME')
    await runUntilStatus(s, first, (st) => st.startsWith('Terminated'))
    expect(await statusOf(s, first)).toBe('Terminated(User)')
    const second = await api(s).create(validBody({ name: 'reuse-me' }))
    expect(second.statusCode, second.body).toBe(200)
    expect(second.json().id).not.toBe(first)
    // and the new one blocks the name again
    expectError(await api(s).create(validBody({ name: 'reuse-me' })), 409, 'DUPLICATE_CLUSTER_NAME')
    const all = (await api(s).list('name=reuse-me')).json()
    expect(all.content.map((c: { status: string }) => c.status).sort()).toEqual([
      'Initializing',
      'Terminated(User)',
    ])
  })

  it('lets only one of many racing creates with one name win', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api(s).create(validBody({ name: 'race-name' }))),
    )
    const codes = results.map((r) => r.statusCode).sort()
    expect(codes).toEqual([200, 409, 409, 409, 409, 409, 409, 409])
    expect((await api(s).list('name=race-name')).json().totalElements).toBe(1)
  })
})
