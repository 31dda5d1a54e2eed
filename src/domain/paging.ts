import { AppError } from './errors.js'

export interface SortKey<F extends string = string> {
  field: F
  dir: 'asc' | 'desc'
}

export interface PageRequest<F extends string = string> {
  page: number
  size: number
  sort: SortKey<F>[]
}

export const CLUSTER_SORT_FIELDS = [
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
] as const
export type ClusterSortField = (typeof CLUSTER_SORT_FIELDS)[number]

export const VM_SORT_FIELDS = [
  'name',
  'instanceId',
  'isMaster',
  'flavorName',
  'ip',
  'floatingIp',
  'createdAt',
  'status',
  'index',
] as const
export type VmSortField = (typeof VM_SORT_FIELDS)[number]

export const MAX_PAGE_SIZE = 1000

const int = (raw: unknown, name: string, def: number, min: number, max: number): number => {
  if (raw === undefined || raw === '') return def
  const s = String(raw)
  if (!/^-?\d+$/.test(s))
    throw new AppError('INVALID_PARAMETER', `${name} must be an integer`, [
      { field: name, code: 'INVALID_PARAMETER', message: `${name} must be an integer` },
    ])
  const n = Number(s)
  if (n < min || n > max)
    throw new AppError('INVALID_PARAMETER', `${name} must be between ${min} and ${max}`, [
      {
        field: name,
        code: 'INVALID_PARAMETER',
        message: `${name} must be between ${min} and ${max} (got ${n})`,
      },
    ])
  return n
}

/**
 * Spring's `page`, `size` and repeatable `sort=field,dir`. Spring also accepts
 * `sort=a,b,desc` (several fields, one direction); so do we.
 */
export const parsePageRequest = <F extends string>(
  query: { page?: unknown; size?: unknown; sort?: unknown },
  fields: readonly F[],
): PageRequest<F> => {
  const page = int(query.page, 'page', 0, 0, 10_000_000)
  const size = int(query.size, 'size', 20, 1, MAX_PAGE_SIZE)
  const raw = query.sort === undefined ? [] : Array.isArray(query.sort) ? query.sort : [query.sort]
  const sort: SortKey<F>[] = []
  for (const item of raw) {
    const parts = String(item)
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')
    if (parts.length === 0) continue
    let dir: 'asc' | 'desc' = 'asc'
    const last = parts[parts.length - 1]!.toLowerCase()
    if (last === 'asc' || last === 'desc') {
      dir = last
      parts.pop()
    }
    if (parts.length === 0) throw badSort(String(item), fields)
    for (const f of parts) {
      if (!(fields as readonly string[]).includes(f)) throw badSort(String(item), fields)
      if (!sort.some((k) => k.field === f)) sort.push({ field: f as F, dir })
    }
  }
  return { page, size, sort }
}

const badSort = (item: string, fields: readonly string[]) =>
  new AppError(
    'INVALID_SORT',
    `sort "${item}" is not valid: use field,asc|desc with field one of ${fields.join(', ')}`,
    [
      {
        field: 'sort',
        code: 'INVALID_SORT',
        message: `sortable fields: ${fields.join(', ')}; directions: asc, desc`,
      },
    ],
  )

/** Spring Data's Page JSON for one slice of a result. */
export const toPage = <T>(content: T[], req: PageRequest, totalElements: number) => {
  const sorted = req.sort.length > 0
  const sortInfo = { empty: !sorted, sorted, unsorted: !sorted }
  const totalPages = Math.ceil(totalElements / req.size)
  return {
    content,
    pageable: {
      pageNumber: req.page,
      pageSize: req.size,
      sort: sortInfo,
      offset: req.page * req.size,
      paged: true,
      unpaged: false,
    },
    totalPages,
    totalElements,
    last: req.page + 1 >= totalPages,
    size: req.size,
    number: req.page,
    sort: sortInfo,
    numberOfElements: content.length,
    first: req.page === 0,
    empty: content.length === 0,
  }
}

/** Case-insensitive literal substring: `%` and `_` in a filter match themselves. */
export const normalizeFilter = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined
  const s = String(v)
  return s === '' ? undefined : s.toLowerCase()
}

export const parseBool = (raw: unknown, name: string, def: boolean): boolean => {
  if (raw === undefined || raw === '') return def
  const s = String(raw).toLowerCase()
  if (s === 'true') return true
  if (s === 'false') return false
  throw new AppError('INVALID_PARAMETER', `${name} must be true or false`, [
    { field: name, code: 'INVALID_PARAMETER', message: `${name} must be true or false` },
  ])
}
