import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from './db.js'

const err = (code: string | undefined, message = 'x') => Object.assign(new Error(message), { code })

describe('isDatabaseUnavailable: 503 for a database that cannot serve now, not for bugs', () => {
  it.each([
    ['SQLITE_READONLY', 'attempt to write a readonly database'],
    ['SQLITE_FULL', 'database or disk is full'],
    ['SQLITE_IOERR_WRITE', 'disk I/O error'],
    ['SQLITE_BUSY', 'database is locked'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['57P01', 'terminating connection due to administrator command'],
    ['25006', 'cannot execute INSERT in a read-only transaction'],
    ['08006', 'connection failure'],
    ['53300', 'too many connections'],
    ['40001', 'could not serialize access'],
    [undefined, 'Connection terminated unexpectedly'],
    [undefined, 'timeout exceeded when trying to connect'],
    [undefined, 'Query read timeout'],
  ])('%s %s: unavailable', (code, message) => {
    expect(isDatabaseUnavailable(err(code, message))).toBe(true)
  })

  it.each([
    ['SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'],
    ['SQLITE_ERROR', 'no such column'],
    ['23505', 'duplicate key value'],
    ['42P01', 'relation does not exist'],
    [undefined, 'Cannot read properties of undefined'],
  ])('%s %s: a bug or a conflict, not an outage', (code, message) => {
    expect(isDatabaseUnavailable(err(code, message))).toBe(false)
  })

  it('is false for non-errors', () => {
    for (const v of [undefined, null, 'SQLITE_FULL', 42]) expect(isDatabaseUnavailable(v)).toBe(false)
  })
})
