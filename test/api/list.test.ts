import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixture, startTestServer, type TestServer } from '../helpers.js'
import { api, createCluster, expectError, runUntilStatus } from './util.js'

interface Row {
  id: string
  name: string
  status: string
  owner: string
  clusterType: string
  clusterVersion: string
  apiKeyStatus: string
  masterCnt: number
  workerCnt: number
  createdAt: number
  runningAt?: number
  elapsedTime: number
}
type SortKey = [field: keyof Row, dir: 'asc' | 'desc']

/** The contract's order: the requested keys, then id ascending. */
const expectedOrder = (rows: Row[], keys: SortKey[]): string[] =>
  [...rows]
    .sort((a, b) => {
      for (const [f, dir] of [...keys, ['id', 'asc'] as SortKey]) {
        const x = a[f] as string | number
        const y = b[f] as string | number
        if (x === y) continue
        const c = x < y ? -1 : 1
        return dir === 'asc' ? c : -c
      }
      return 0
    })
    .map((r) => r.id)

const keysDeep = (o: Record<string, unknown>) => ({
  top: Object.keys(o).sort(),
  pageable: Object.keys(o.pageable as object).sort(),
  pageableSort: Object.keys((o.pageable as { sort: object }).sort).sort(),
  sort: Object.keys(o.sort as object).sort(),
})

describe('GET /clusters: paging, sorting, filtering', () => {
  let s: TestServer
  let all: Row[]
  const ids = (res: { json(): { content: Row[] } }) => res.json().content.map((r) => r.id)

  beforeAll(async () => {
    s = await startTestServer()
    const make = async (name: string, over: Record<string, unknown> = {}, advance = 1000) => {
      const id = await createCluster(s, { name, ...over })
      s.clock.advance(advance)
      return id
    }
    await make('alpha-one', { workerCnt: 3 })
    await make('beta-two', { clusterType: 'hbase', workerCnt: 5 })
    await make('gamma-test', { workerCnt: 4, clusterVersion: 'hde-2.2.0' })
    // three created in the same millisecond: only the id can order them
    await make('same-a', { workerCnt: 3 }, 0)
    await make('same-b', { workerCnt: 3 }, 0)
    await make('same-c', { workerCnt: 4 })
    const job = await make('job-test', {
      userTask: { type: 'hive', terminationPolicy: 'always', hiveQuery: 'select 1' },
    })
    const dead = await make('dead-test', { isHa: true })
    await api(s).delete(dead)
    await runUntilStatus(s, job, (st) => st.startsWith('Terminated'))
    await runUntilStatus(s, dead, (st) => st.startsWith('Terminated'))
    await make('late-test', { workerCnt: 6 })
    await make('test-upper', { workerCnt: 7 })
    all = (await api(s).list('size=1000')).json().content
    expect(all).toHaveLength(10)
  })
  afterAll(() => s.cleanup())

  describe('the Page envelope', () => {
    it('has exactly the keys of the seed examples (list-example-2, vms-example-1)', async () => {
      const list = (await fixture('list-example-2.json')).response as Record<string, unknown>
      const vms = (await fixture('vms-example-1.json')).response as Record<string, unknown>
      expect(keysDeep(list)).toEqual(keysDeep(vms))
      const res = await api(s).list('size=3&page=1&sort=name,asc')
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      expect(keysDeep(res.json())).toEqual(keysDeep(list))
      const row = (list.content as Record<string, unknown>[])[0]!
      for (const r of res.json().content)
        expect(Object.keys(r).sort()).toEqual(
          Object.keys(row)
            .filter((k) => k !== 'runningAt' || 'runningAt' in r)
            .sort(),
        )
    })

    it('reads a sorted middle page like the seed example 1', async () => {
      const page = (await api(s).list('size=3&page=1&sort=name,desc&sort=status,asc')).json()
      expect(page).toMatchObject({
        pageable: {
          pageNumber: 1,
          pageSize: 3,
          sort: { empty: false, sorted: true, unsorted: false },
          offset: 3,
          paged: true,
          unpaged: false,
        },
        totalPages: 4,
        totalElements: 10,
        last: false,
        size: 3,
        number: 1,
        sort: { empty: false, sorted: true, unsorted: false },
        numberOfElements: 3,
        first: false,
        empty: false,
      })
      expect(page.content.map((r: Row) => r.id)).toEqual(
        expectedOrder(all, [
          ['name', 'desc'],
          ['status', 'asc'],
        ]).slice(3, 6),
      )
    })

    it('answers the seed list example 2 request with its semantics', async () => {
      const res = await api(s).list(
        'size=5&page=0&includeTerminated=false&name=test&sort=createdAt,asc&apiKeyStatus=impossibl',
      )
      const page = res.json()
      const expected = all
        .filter(
          (r) =>
            !r.status.startsWith('Terminated') &&
            r.name.includes('test') &&
            r.apiKeyStatus.includes('impossibl'),
        )
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      expect(expected.map((r) => r.name)).toEqual(['gamma-test', 'late-test', 'test-upper'])
      expect(page.content.map((r: Row) => r.id)).toEqual(expected.map((r) => r.id))
      expect(page).toMatchObject({
        pageable: {
          pageNumber: 0,
          pageSize: 5,
          offset: 0,
          sort: { empty: false, sorted: true, unsorted: false },
        },
        totalElements: 3,
        totalPages: 1,
        last: true,
        first: true,
        size: 5,
        number: 0,
        numberOfElements: 3,
        empty: false,
      })
    })
  })

  describe('order', () => {
    it('defaults to createdAt descending, ties by id, with unsorted sort objects', async () => {
      const page = (await api(s).list()).json()
      const unsorted = { empty: true, sorted: false, unsorted: true }
      expect(page.sort).toEqual(unsorted)
      expect(page.pageable.sort).toEqual(unsorted)
      expect(page.content.map((r: Row) => r.id)).toEqual(expectedOrder(all, [['createdAt', 'desc']]))
      expect(page.content[0].name).toBe('test-upper')
      expect(page.size).toBe(20)
    })

    it('breaks ties by id ascending for clusters created in the same millisecond', async () => {
      const same = all.filter((r) => r.name.startsWith('same-'))
      expect(new Set(same.map((r) => r.createdAt)).size).toBe(1)
      const sorted = [...same].map((r) => r.id).sort()
      for (const q of [
        'name=same-',
        'name=same-&sort=createdAt,desc',
        'name=same-&sort=createdAt,asc',
        'name=same-&sort=owner',
      ])
        expect(ids(await api(s).list(q))).toEqual(sorted)
    })

    it.each([
      ['createdAt,asc', [['createdAt', 'asc']]],
      ['name,desc', [['name', 'desc']]],
      ['name', [['name', 'asc']]],
      ['workerCnt,desc', [['workerCnt', 'desc']]],
      ['status,asc', [['status', 'asc']]],
      ['clusterType,desc', [['clusterType', 'desc']]],
      ['clusterVersion,asc', [['clusterVersion', 'asc']]],
      ['apiKeyStatus,asc', [['apiKeyStatus', 'asc']]],
      ['masterCnt,desc', [['masterCnt', 'desc']]],
      ['elapsedTime,desc', [['elapsedTime', 'desc']]],
      ['id,desc', [['id', 'desc']]],
    ] as [string, SortKey[]][])('sort=%s', async (sort, keys) => {
      expect(ids(await api(s).list(`size=1000&sort=${sort}`))).toEqual(expectedOrder(all, keys))
    })

    it('gives the first sort key priority', async () => {
      const a = ids(await api(s).list('size=1000&sort=workerCnt,desc&sort=name,asc'))
      const b = ids(await api(s).list('size=1000&sort=name,asc&sort=workerCnt,desc'))
      expect(a).toEqual(
        expectedOrder(all, [
          ['workerCnt', 'desc'],
          ['name', 'asc'],
        ]),
      )
      expect(b).toEqual(
        expectedOrder(all, [
          ['name', 'asc'],
          ['workerCnt', 'desc'],
        ]),
      )
      expect(a).not.toEqual(b)
      const c = ids(await api(s).list('size=1000&sort=workerCnt,asc&sort=createdAt,desc'))
      expect(c).toEqual(
        expectedOrder(all, [
          ['workerCnt', 'asc'],
          ['createdAt', 'desc'],
        ]),
      )
    })

    it('sorts by runningAt among clusters that ran', async () => {
      const ran = all.filter((r) => r.runningAt !== undefined)
      expect(ran.length).toBeGreaterThan(1)
      const got = (await api(s).list('size=1000&sort=runningAt,desc'))
        .json()
        .content.filter((r: Row) => r.runningAt !== undefined)
      expect(got.map((r: Row) => r.id)).toEqual(expectedOrder(ran, [['runningAt', 'desc']]))
    })

    it.each(['password,asc', 'nodeCnt', 'name,upward', 'createdAt,asc,desc,x', 'isHa'])(
      'answers 400 INVALID_SORT to sort=%s',
      async (sort) => {
        const body = expectError(await api(s).list(`sort=${sort}`), 400, 'INVALID_SORT')
        expect(body.errors[0]?.field).toBe('sort')
      },
    )
  })

  describe('paging', () => {
    it('walks every page without gaps or repeats', async () => {
      const seen: string[] = []
      for (let page = 0; page < 4; page++) {
        const p = (await api(s).list(`size=3&page=${page}&sort=name,asc`)).json()
        expect(p).toMatchObject({
          number: page,
          first: page === 0,
          last: page === 3,
          totalPages: 4,
          totalElements: 10,
        })
        expect(p.numberOfElements).toBe(page === 3 ? 1 : 3)
        seen.push(...p.content.map((r: Row) => r.id))
      }
      expect(seen).toEqual(expectedOrder(all, [['name', 'asc']]))
    })

    it('a page past the end is empty and keeps the totals', async () => {
      const p = (await api(s).list('size=4&page=9')).json()
      expect(p).toMatchObject({
        content: [],
        numberOfElements: 0,
        empty: true,
        first: false,
        last: true,
        number: 9,
        size: 4,
        totalElements: 10,
        totalPages: 3,
        pageable: { pageNumber: 9, pageSize: 4, offset: 36 },
      })
    })

    it('an empty result has zero pages and is first, last and empty', async () => {
      const p = (await api(s).list('name=no-such-cluster')).json()
      expect(p).toMatchObject({
        content: [],
        totalElements: 0,
        totalPages: 0,
        first: true,
        last: true,
        empty: true,
      })
    })

    it('accepts size 1 and 1000', async () => {
      const one = (await api(s).list('size=1')).json()
      expect(one).toMatchObject({ size: 1, numberOfElements: 1, totalPages: 10, last: false })
      const max = (await api(s).list('size=1000')).json()
      expect(max).toMatchObject({ size: 1000, numberOfElements: 10, totalPages: 1, last: true })
    })

    it.each([
      'size=0',
      'size=1001',
      'size=-5',
      'size=abc',
      'size=2.5',
      'page=-1',
      'page=x',
      'includeTerminated=maybe',
      // Given twice: joined as Spring joins them ("1,2"), which is no integer.
      'page=1&page=2',
      'size=5&size=6',
      'includeTerminated=true&includeTerminated=false',
    ])('answers 400 INVALID_PARAMETER to %s', async (q) => {
      const body = expectError(await api(s).list(q), 400, 'INVALID_PARAMETER')
      expect(body.errors[0]?.field).toBe(q.split('=')[0])
    })
  })

  describe('filters', () => {
    const names = async (q: string) =>
      ((await api(s).list(`size=1000&sort=name,asc&${q}`)).json().content as Row[]).map((r) => r.name)

    it('a filter given twice is its values joined by a comma, as Spring binds it', async () => {
      const res = await api(s).list('name=a&name=b')
      expect(res.statusCode).toBe(200)
      // No name holds "a,b".
      expect(res.json().totalElements).toBe(0)
      expect(await names('name=test&name=test')).toEqual([])
    })

    it('name is a case-insensitive substring', async () => {
      expect(await names('name=test')).toEqual([
        'dead-test',
        'gamma-test',
        'job-test',
        'late-test',
        'test-upper',
      ])
      expect(await names('name=TEST')).toEqual(await names('name=test'))
      expect(await names('name=Alpha-On')).toEqual(['alpha-one'])
      expect(await names('name=pha-o')).toEqual(['alpha-one'])
    })

    it('treats % and _ in the name filter literally', async () => {
      expect(await names('name=%25')).toEqual([])
      expect(await names('name=_')).toEqual([])
      expect(await names('name=a%25')).toEqual([])
      expect(await names('name=same_a')).toEqual([])
      expect(await names('name=s_me')).toEqual([])
      expect(await names('name=same-a')).toEqual(['same-a'])
    })

    it('a filter holding U+0000 matches nothing (PostgreSQL refused the query: a 500)', async () => {
      for (const q of ['name=%00', 'name=test%00', 'apiKeyStatus=%00', 'name=a&apiKeyStatus=imp%00'])
        expect(await names(q)).toEqual([])
    })

    it('apiKeyStatus is a case-insensitive substring', async () => {
      const byStatus = (k: string) =>
        all
          .filter((r) => r.apiKeyStatus.includes(k))
          .map((r) => r.name)
          .sort()
      expect(all.find((r) => r.name === 'job-test')?.apiKeyStatus).toBe('possible')
      expect(await names('apiKeyStatus=possible')).toEqual(byStatus('possible'))
      expect((await names('apiKeyStatus=possible')).length).toBe(10)
      expect(await names('apiKeyStatus=impossible')).toEqual(byStatus('impossible'))
      expect(await names('apiKeyStatus=IMPOSSIBL')).toEqual(byStatus('impossible'))
      expect(await names('apiKeyStatus=impossible')).not.toContain('job-test')
      expect(await names('apiKeyStatus=applied')).toEqual([])
      expect(await names('apiKeyStatus=%25')).toEqual([])
    })

    it('includeTerminated defaults to true; false hides Terminated(*) but not Terminating', async () => {
      const terminated = ['dead-test', 'job-test']
      expect(
        all
          .filter((r) => r.status.startsWith('Terminated'))
          .map((r) => r.name)
          .sort(),
      ).toEqual(terminated)
      expect(await names('')).toEqual(expect.arrayContaining(terminated))
      expect(await names('includeTerminated=true')).toEqual(await names(''))
      const live = await names('includeTerminated=false')
      expect(live).toHaveLength(8)
      for (const n of terminated) expect(live).not.toContain(n)
      expect((await api(s).list('includeTerminated=FALSE')).json().totalElements).toBe(8)

      const going = await createCluster(s, { name: 'going-away' })
      await api(s).delete(going)
      expect(await names('includeTerminated=false&name=going')).toEqual(['going-away'])
      await runUntilStatus(s, going, (st) => st.startsWith('Terminated'))
      expect(await names('includeTerminated=false&name=going')).toEqual([])
      expect(await names('name=going')).toEqual(['going-away'])
    })

    it('filters combine with each other and with paging', async () => {
      const p = (await api(s).list('name=test&includeTerminated=false&size=2&page=1&sort=name,asc')).json()
      expect(p.content.map((r: Row) => r.name)).toEqual(['test-upper'])
      expect(p).toMatchObject({ totalElements: 3, totalPages: 2, last: true })
    })
  })
})
