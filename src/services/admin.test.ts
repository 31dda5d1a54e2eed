import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../domain/errors.js'
import { createStore, openDatabase, type Database, type Store } from '../store/index.js'
import { createAdminService, type AdminService } from './admin.js'
import { createCredentialService } from './credentials.js'

describe('createAdminService', () => {
  let database: Database
  let store: Store
  let admin: AdminService
  let calls: string[]

  beforeEach(async () => {
    database = await openDatabase('sqlite::memory:')
    await database.migrate()
    store = createStore(database)
    calls = []
    admin = createAdminService({
      credentials: createCredentialService({ store: store.credentials, now: () => 5 }),
      store,
      now: () => 7,
      resetProvider: async () => {
        // The database is already empty when the provider is told to forget.
        calls.push(`resetProvider faults=${(await store.faults.list()).length}`)
      },
      onFaultsChanged: () => calls.push('onFaultsChanged'),
    })
  })
  afterEach(() => database.close())

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) =>
        e instanceof AppError ? { code: e.code, message: e.message, field: e.errors[0]?.field } : e,
    )

  it.each([
    [[], '', 'body must be a JSON object'],
    [
      { fault: 'meteor' },
      'fault',
      'fault must be one of provisionFailure, installFailure, taskFailure, apiError',
    ],
    [{ fault: 'apiError', match: [] }, 'match', 'match must be an object'],
    [
      { fault: 'apiError', match: { path: 'a\u0000' } },
      'match.path',
      'match.path must be a non-empty glob without control characters',
    ],
    [{ fault: 'apiError' }, 'match.path', 'an apiError fault needs match.path'],
    [
      { fault: 'taskFailure', match: { path: '/x' } },
      'match.clusterName',
      'a taskFailure fault needs match.clusterName',
    ],
    [
      { fault: 'apiError', match: { path: '/x' }, status: 302 },
      'status',
      'status must be an HTTP error status (400-599)',
    ],
    [
      { fault: 'apiError', match: { path: '/x' }, times: 0 },
      'times',
      'times must be an integer from 1 to 2147483647',
    ],
  ])('refuses the fault %j: INVALID_VALUE on %s', async (body, field, message) => {
    expect(await refusal(admin.addFault(body))).toEqual({ code: 'INVALID_VALUE', message, field })
    expect(calls).toEqual([])
  })

  it('adds, lists and removes a fault, dropping the cache each time', async () => {
    const fault = await admin.addFault({ fault: 'apiError', match: { path: '/v2/*' } })
    expect(fault).toEqual({
      id: fault.id,
      match: { path: '/v2/*' },
      fault: 'apiError',
      status: 500,
      createdAt: 7,
    })
    expect(await admin.listFaults()).toEqual([fault])
    await admin.removeFault(fault.id)
    expect(await admin.listFaults()).toEqual([])
    expect(await refusal(admin.removeFault(fault.id))).toMatchObject({ code: 'NOT_FOUND' })
    expect(calls).toEqual(['onFaultsChanged', 'onFaultsChanged'])
  })

  it('creates, lists and revokes credentials', async () => {
    expect(await refusal(admin.createCredential({ owner: 'x' }))).toMatchObject({ field: 'project' })
    expect(await refusal(admin.createCredential({ project: 'p', owner: 'a\nb' }))).toMatchObject({
      message: 'owner must not contain control characters',
    })
    const c = await admin.createCredential({ project: 'p', owner: 'ann' })
    expect(c).toEqual({ id: c.id, secret: c.secret, project: 'p', owner: 'ann' })
    expect(await admin.listCredentials()).toEqual([{ id: c.id, project: 'p', owner: 'ann', createdAt: 5 }])
    await admin.revokeCredential(c.id)
    expect(await refusal(admin.revokeCredential(c.id))).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('reset empties the database, then the provider, then drops the fault cache', async () => {
    await admin.addFault({ fault: 'installFailure', match: { clusterName: 'x-*' }, times: 2 })
    calls = []
    await admin.reset()
    expect(calls).toEqual(['resetProvider faults=0', 'onFaultsChanged'])
  })
})
