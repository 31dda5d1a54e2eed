import { useMemo } from 'react'
import { keepPreviousData, useQuery } from '@tanstack/react-query'
import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  useReactTable,
  type SortingState,
} from '@tanstack/react-table'
import { Link, useSearchParams } from 'react-router'
import type { ClusterSummary } from '../../../src/sdk/index.js'
import { client, errorText } from '../api.js'
import { Empty, ErrorAlert, Loading } from '../components/feedback.js'
import { StatusBadge } from '../components/status.js'
import { Time } from '../components/time.js'

/** Statuses change on the server; a second's poll shows each change within two. */
export const LIST_POLL_MS = 1000
const PAGE_SIZES = [10, 20, 50, 100]

const col = createColumnHelper<ClusterSummary>()
const columns = [
  col.accessor('name', {
    header: 'Name',
    cell: (c) => <Link to={`/clusters/${c.row.original.id}`}>{c.getValue()}</Link>,
  }),
  col.accessor('status', { header: 'Status', cell: (c) => <StatusBadge status={c.getValue()} /> }),
  col.accessor('clusterType', { header: 'Type' }),
  col.accessor('clusterVersion', { header: 'Version' }),
  col.accessor('workerCnt', { header: 'Workers', meta: { numeric: true } }),
  col.accessor('nodeCnt', { header: 'Nodes', enableSorting: false, meta: { numeric: true } }),
  col.accessor('apiKeyStatus', { header: 'API key' }),
  col.accessor('createdAt', { header: 'Created', cell: (c) => <Time ms={c.getValue()} /> }),
]

const sortFromParam = (s: string): SortingState => {
  const [id = 'createdAt', dir] = s.split(',')
  return [{ id, desc: dir === 'desc' }]
}

export function ClusterListPage() {
  const [search, setSearch] = useSearchParams()
  const name = search.get('name') ?? ''
  const apiKeyStatus = search.get('apiKeyStatus') ?? ''
  const includeTerminated = search.get('includeTerminated') === 'true'
  const sort = search.get('sort') ?? 'createdAt,desc'
  const size = Number(search.get('size') ?? 20) || 20
  const page = Math.max(0, Number(search.get('page') ?? 0) || 0)

  const set = (changes: Record<string, string | undefined>, keepPage = false) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev)
        for (const [k, v] of Object.entries(changes)) {
          if (v === undefined || v === '') next.delete(k)
          else next.set(k, v)
        }
        if (!keepPage) next.delete('page')
        return next
      },
      { replace: true },
    )

  const params = {
    page,
    size,
    sort,
    includeTerminated,
    name: name || undefined,
    apiKeyStatus: apiKeyStatus || undefined,
  }
  const q = useQuery({
    queryKey: ['clusters', params],
    queryFn: ({ signal }) => client.clusters.list(params, { signal }),
    refetchInterval: LIST_POLL_MS,
    placeholderData: keepPreviousData,
  })

  const sorting = useMemo(() => sortFromParam(sort), [sort])
  const table = useReactTable({
    data: q.data?.content ?? [],
    columns,
    state: { sorting },
    manualSorting: true,
    manualPagination: true,
    enableSortingRemoval: false,
    onSortingChange: (updater) => {
      const next = typeof updater === 'function' ? updater(sorting) : updater
      const first = next[0]
      if (first) set({ sort: `${first.id},${first.desc ? 'desc' : 'asc'}` })
    },
    getCoreRowModel: getCoreRowModel(),
  })

  const data = q.data
  return (
    <>
      <div className="title-row">
        <h1>Clusters</h1>
        <Link className="button" to="/clusters/new">
          Create cluster
        </Link>
      </div>
      <form
        className="filters"
        role="search"
        aria-label="Filter clusters"
        onSubmit={(e) => e.preventDefault()}
      >
        <div className="field">
          <label htmlFor="filter-name">Name</label>
          <input
            id="filter-name"
            type="search"
            value={name}
            placeholder="part of a name"
            onChange={(e) => set({ name: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="filter-api-key">API key status</label>
          <select
            id="filter-api-key"
            value={apiKeyStatus}
            onChange={(e) => set({ apiKeyStatus: e.target.value })}
          >
            <option value="">any</option>
            <option value="impossible">impossible</option>
            <option value="possible">possible</option>
            <option value="applied">applied</option>
          </select>
        </div>
        <div className="field checkbox">
          <input
            id="filter-terminated"
            type="checkbox"
            checked={includeTerminated}
            onChange={(e) => set({ includeTerminated: e.target.checked ? 'true' : undefined })}
          />
          <label htmlFor="filter-terminated">Include terminated</label>
        </div>
      </form>

      {q.isPending ? <Loading what="clusters" /> : null}
      {q.isError ? (
        <ErrorAlert title="The clusters could not be listed" onRetry={() => void q.refetch()}>
          {errorText(q.error)}
        </ErrorAlert>
      ) : null}
      {data && data.totalElements === 0 ? (
        <Empty>
          {name || apiKeyStatus ? (
            <p>No cluster matches these filters.</p>
          ) : (
            <p>
              No clusters yet{includeTerminated ? '' : ' (terminated ones are hidden)'}.{' '}
              <Link to="/clusters/new">Create one</Link>.
            </p>
          )}
        </Empty>
      ) : null}
      {data && data.totalElements > 0 ? (
        <>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Clusters table">
            <table>
              <caption className="visually-hidden">
                Clusters, sorted by {sorting[0]?.id} {sorting[0]?.desc ? 'descending' : 'ascending'}
              </caption>
              <thead>
                {table.getHeaderGroups().map((hg) => (
                  <tr key={hg.id}>
                    {hg.headers.map((h) => {
                      const sorted = h.column.getIsSorted()
                      const numeric = (h.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric
                      return (
                        <th
                          key={h.id}
                          scope="col"
                          className={numeric ? 'num' : undefined}
                          aria-sort={
                            sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined
                          }
                        >
                          {h.column.getCanSort() ? (
                            <button
                              type="button"
                              className="sort"
                              onClick={h.column.getToggleSortingHandler()}
                            >
                              {flexRender(h.column.columnDef.header, h.getContext())}
                              <span aria-hidden="true" className="arrow">
                                {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
                              </span>
                            </button>
                          ) : (
                            flexRender(h.column.columnDef.header, h.getContext())
                          )}
                        </th>
                      )
                    })}
                  </tr>
                ))}
              </thead>
              <tbody>
                {table.getRowModel().rows.map((row) => (
                  <tr key={row.id}>
                    {row.getVisibleCells().map((cell) => {
                      const numeric = (cell.column.columnDef.meta as { numeric?: boolean } | undefined)
                        ?.numeric
                      return (
                        <td key={cell.id} className={numeric ? 'num' : undefined}>
                          {flexRender(cell.column.columnDef.cell, cell.getContext())}
                        </td>
                      )
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              className="secondary"
              disabled={data.first}
              onClick={() => set({ page: String(page - 1) }, true)}
            >
              Previous page
            </button>
            <span>
              Page {data.number + 1} of {Math.max(1, data.totalPages)} · {data.totalElements}{' '}
              {data.totalElements === 1 ? 'cluster' : 'clusters'}
            </span>
            <button
              type="button"
              className="secondary"
              disabled={data.last}
              onClick={() => set({ page: String(page + 1) }, true)}
            >
              Next page
            </button>
            <label htmlFor="page-size">Per page</label>
            <select id="page-size" value={size} onChange={(e) => set({ size: e.target.value })}>
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </nav>
        </>
      ) : null}
    </>
  )
}
