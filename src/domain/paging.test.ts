import { describe, expect, it } from 'vitest'
import { AppError } from './errors.js'
import {
  CLUSTER_SORT_FIELDS,
  VM_SORT_FIELDS,
  normalizeFilter,
  parseBool,
  parsePageRequest,
  toPage,
} from './paging.js'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return (e as AppError).code
  }
  return undefined
}

describe('parsePageRequest', () => {
  it('defaults to page 0, size 20, no sort', () => {
    expect(parsePageRequest({}, CLUSTER_SORT_FIELDS)).toEqual({ page: 0, size: 20, sort: [] })
    expect(parsePageRequest({ page: '', size: '' }, CLUSTER_SORT_FIELDS)).toEqual({
      page: 0,
      size: 20,
      sort: [],
    })
  })

  it('accepts size 1..1000 and refuses 0 and 1001', () => {
    expect(parsePageRequest({ size: '1' }, CLUSTER_SORT_FIELDS).size).toBe(1)
    expect(parsePageRequest({ size: '1000' }, CLUSTER_SORT_FIELDS).size).toBe(1000)
    expect(codeOf(() => parsePageRequest({ size: '0' }, CLUSTER_SORT_FIELDS))).toBe('INVALID_PARAMETER')
    expect(codeOf(() => parsePageRequest({ size: '1001' }, CLUSTER_SORT_FIELDS))).toBe('INVALID_PARAMETER')
  })

  it.each(['-1', 'abc', '1.5', '1e2', ' '])('refuses page=%j', (page) => {
    expect(codeOf(() => parsePageRequest({ page }, CLUSTER_SORT_FIELDS))).toBe('INVALID_PARAMETER')
  })

  it('keeps sort keys in the order given, direction default asc, case-insensitive dir', () => {
    expect(
      parsePageRequest({ sort: ['name,DESC', 'status', 'createdAt,asc'] }, CLUSTER_SORT_FIELDS).sort,
    ).toEqual([
      { field: 'name', dir: 'desc' },
      { field: 'status', dir: 'asc' },
      { field: 'createdAt', dir: 'asc' },
    ])
  })

  it('accepts a single sort as a plain string and Spring-style several fields with one direction', () => {
    expect(parsePageRequest({ sort: 'workerCnt,desc' }, CLUSTER_SORT_FIELDS).sort).toEqual([
      { field: 'workerCnt', dir: 'desc' },
    ])
    expect(parsePageRequest({ sort: 'name,status,desc' }, CLUSTER_SORT_FIELDS).sort).toEqual([
      { field: 'name', dir: 'desc' },
      { field: 'status', dir: 'desc' },
    ])
  })

  it('keeps only the first key for a repeated field', () => {
    expect(parsePageRequest({ sort: ['name,desc', 'name,asc'] }, CLUSTER_SORT_FIELDS).sort).toEqual([
      { field: 'name', dir: 'desc' },
    ])
  })

  it.each(['nope', 'nope,asc', 'name,sideways', 'asc', 'password,asc'])(
    'refuses sort=%j with INVALID_SORT',
    (sort) => {
      expect(codeOf(() => parsePageRequest({ sort }, CLUSTER_SORT_FIELDS))).toBe('INVALID_SORT')
    },
  )

  it('knows the seed sortable fields for each list', () => {
    for (const f of [
      'id',
      'name',
      'status',
      'owner',
      'clusterType',
      'clusterVersion',
      'apiKeyStatus',
      'masterCnt',
      'workerCnt',
      'createdAt',
      'runningAt',
      'elapsedTime',
    ])
      expect(parsePageRequest({ sort: `${f},desc` }, CLUSTER_SORT_FIELDS).sort).toEqual([
        { field: f, dir: 'desc' },
      ])
    for (const f of ['name', 'instanceId', 'isMaster', 'flavorName', 'ip', 'floatingIp', 'createdAt'])
      expect(parsePageRequest({ sort: f }, VM_SORT_FIELDS).sort).toEqual([{ field: f, dir: 'asc' }])
    expect(codeOf(() => parsePageRequest({ sort: 'clusterType' }, VM_SORT_FIELDS))).toBe('INVALID_SORT')
  })
})

describe('toPage', () => {
  const keys = (o: object) => Object.keys(o).sort()

  it('renders the Spring Data Page envelope', () => {
    const p = toPage(['a', 'b'], { page: 1, size: 2, sort: [{ field: 'name', dir: 'asc' }] }, 5)
    expect(p).toEqual({
      content: ['a', 'b'],
      pageable: {
        pageNumber: 1,
        pageSize: 2,
        sort: { empty: false, sorted: true, unsorted: false },
        offset: 2,
        paged: true,
        unpaged: false,
      },
      totalPages: 3,
      totalElements: 5,
      last: false,
      size: 2,
      number: 1,
      sort: { empty: false, sorted: true, unsorted: false },
      numberOfElements: 2,
      first: false,
      empty: false,
    })
    expect(keys(p)).toEqual(
      keys({
        content: 0,
        pageable: 0,
        totalPages: 0,
        totalElements: 0,
        last: 0,
        size: 0,
        number: 0,
        sort: 0,
        numberOfElements: 0,
        first: 0,
        empty: 0,
      }),
    )
  })

  it('reads unsorted without sort keys', () => {
    const p = toPage([], { page: 0, size: 20, sort: [] }, 0)
    expect(p.sort).toEqual({ empty: true, sorted: false, unsorted: true })
    expect(p.pageable.sort).toEqual({ empty: true, sorted: false, unsorted: true })
    expect(p).toMatchObject({ totalPages: 0, totalElements: 0, first: true, last: true, empty: true })
  })

  it('a page past the end is empty and last, and keeps the totals', () => {
    const p = toPage([], { page: 7, size: 2, sort: [] }, 3)
    expect(p).toMatchObject({
      totalPages: 2,
      totalElements: 3,
      number: 7,
      numberOfElements: 0,
      first: false,
      last: true,
      empty: true,
      pageable: { offset: 14, pageNumber: 7, pageSize: 2 },
    })
  })

  it('the last full page is last', () => {
    expect(toPage([1, 2], { page: 1, size: 2, sort: [] }, 4).last).toBe(true)
    expect(toPage([1, 2], { page: 0, size: 2, sort: [] }, 4).last).toBe(false)
  })
})

describe('filters', () => {
  it('normalizeFilter lowercases and treats empty as absent, keeping % and _ literal', () => {
    expect(normalizeFilter(undefined)).toBeUndefined()
    expect(normalizeFilter('')).toBeUndefined()
    expect(normalizeFilter('TeSt')).toBe('test')
    expect(normalizeFilter('a%b_c')).toBe('a%b_c')
  })

  it('parseBool: true/false in any case, default when absent, INVALID_PARAMETER otherwise', () => {
    expect(parseBool(undefined, 'x', true)).toBe(true)
    expect(parseBool('', 'x', false)).toBe(false)
    expect(parseBool('FALSE', 'x', true)).toBe(false)
    expect(parseBool('true', 'x', false)).toBe(true)
    expect(codeOf(() => parseBool('yes', 'x', true))).toBe('INVALID_PARAMETER')
    expect(codeOf(() => parseBool('1', 'x', true))).toBe('INVALID_PARAMETER')
  })
})
