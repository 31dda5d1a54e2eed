import { useEffect, useState, type FormEvent } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiError, UnauthorizedError, type NewFault } from '../../../src/sdk/index.js'
import { client, errorText } from '../api.js'
import { Empty, ErrorAlert, Loading } from '../components/feedback.js'
import { Time } from '../components/time.js'

const FAULTS = ['provisionFailure', 'installFailure', 'taskFailure', 'apiError'] as const

/**
 * DESIGN section 7, for an admin: the token is asked for here and kept in this page's memory
 * only (a reload forgets it), never in storage.
 */
export default function AdminPage() {
  const [token, setToken] = useState<string>()
  // Leaving the page forgets the token too.
  useEffect(() => () => client.admin.setToken(undefined), [])
  return (
    <>
      <h1>Admin</h1>
      {token ? (
        <Faults
          onTokenRejected={() => {
            client.admin.setToken(undefined)
            setToken(undefined)
          }}
        />
      ) : (
        <TokenForm
          onToken={(t) => {
            client.admin.setToken(t)
            setToken(t)
          }}
        />
      )}
    </>
  )
}

function TokenForm({ onToken }: { onToken: (t: string) => void }) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const t = String(new FormData(e.currentTarget).get('adminToken') ?? '')
    if (t) onToken(t)
  }
  return (
    <form onSubmit={submit} className="stack narrow">
      <p>Fault injection needs the server&apos;s admin token (HADOOP_ECO_ADMIN_TOKEN).</p>
      <div className="field">
        <label htmlFor="admin-token">Admin token</label>
        <input id="admin-token" name="adminToken" type="password" autoComplete="off" required />
      </div>
      <div className="actions left">
        <button type="submit">Use token</button>
      </div>
    </form>
  )
}

function Faults({ onTokenRejected }: { onTokenRejected: () => void }) {
  const qc = useQueryClient()
  const q = useQuery({ queryKey: ['faults'], queryFn: () => client.admin.faults.list(), retry: false })
  const remove = useMutation({
    mutationFn: (id: string) => client.admin.faults.remove(id),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['faults'] }),
  })
  // The admin API answers 401 for a wrong token and 404 when no token is configured at all.
  if (q.error instanceof UnauthorizedError || (q.error instanceof ApiError && q.error.status === 404))
    return (
      <>
        <ErrorAlert title="The admin token was refused">
          {q.error.status === 404
            ? 'This server has no admin token configured (HADOOP_ECO_ADMIN_TOKEN).'
            : 'The token is wrong.'}
        </ErrorAlert>
        <button type="button" onClick={onTokenRejected}>
          Enter another token
        </button>
      </>
    )
  return (
    <>
      <section className="card" aria-labelledby="faults-title">
        <h2 id="faults-title">Faults</h2>
        {q.isPending ? <Loading what="the faults" /> : null}
        {q.isError ? (
          <ErrorAlert title="The faults could not be listed">{errorText(q.error)}</ErrorAlert>
        ) : null}
        {remove.error ? (
          <ErrorAlert title="The fault was not removed">{errorText(remove.error)}</ErrorAlert>
        ) : null}
        {q.data && q.data.length === 0 ? <Empty>No faults: everything behaves.</Empty> : null}
        {q.data && q.data.length > 0 ? (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Faults table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Fault</th>
                  <th scope="col">Cluster name</th>
                  <th scope="col">Path</th>
                  <th scope="col">Status</th>
                  <th scope="col">Times left</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {q.data.map((f) => (
                  <tr key={f.id}>
                    <td>{f.fault}</td>
                    <td>{f.match.clusterName ?? '—'}</td>
                    <td>{f.match.path ?? '—'}</td>
                    <td>{f.status ?? '—'}</td>
                    <td>{f.times ?? 'unlimited'}</td>
                    <td>
                      <Time ms={f.createdAt} />
                    </td>
                    <td>
                      <button type="button" className="secondary small" onClick={() => remove.mutate(f.id)}>
                        Remove
                        <span className="visually-hidden">
                          {' '}
                          {f.fault} fault {f.id}
                        </span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <AddFault />
    </>
  )
}

function AddFault() {
  const qc = useQueryClient()
  const [kind, setKind] = useState<(typeof FAULTS)[number]>('provisionFailure')
  const add = useMutation({
    mutationFn: (f: NewFault) => client.admin.faults.add(f),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['faults'] }),
  })
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const get = (k: string) => String(f.get(k) ?? '').trim()
    const match = kind === 'apiError' ? { path: get('path') } : { clusterName: get('clusterName') }
    add.mutate({
      fault: kind,
      match,
      ...(kind === 'apiError' && get('status') ? { status: Number(get('status')) } : {}),
      ...(get('times') ? { times: Number(get('times')) } : {}),
    } as NewFault)
  }
  return (
    <section className="card" aria-labelledby="add-fault-title">
      <h2 id="add-fault-title">Add a fault</h2>
      <form onSubmit={submit} className="stack">
        <div className="field">
          <label htmlFor="fault-kind">Fault</label>
          <select
            id="fault-kind"
            value={kind}
            onChange={(e) => setKind(e.target.value as (typeof FAULTS)[number])}
          >
            {FAULTS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        {kind === 'apiError' ? (
          <>
            <div className="field">
              <label htmlFor="fault-path">Path glob</label>
              <input id="fault-path" name="path" required placeholder="/v2/hadoop-eco/clusters*" />
            </div>
            <div className="field">
              <label htmlFor="fault-status">Status</label>
              <input id="fault-status" name="status" type="number" min={400} max={599} placeholder="500" />
            </div>
          </>
        ) : (
          <div className="field">
            <label htmlFor="fault-cluster">Cluster name glob</label>
            <input id="fault-cluster" name="clusterName" required placeholder="test-*" />
          </div>
        )}
        <div className="field">
          <label htmlFor="fault-times">Times</label>
          <input id="fault-times" name="times" type="number" min={1} placeholder="unlimited" />
        </div>
        {add.error ? <ErrorAlert title="The fault was not added">{errorText(add.error)}</ErrorAlert> : null}
        <div className="actions left">
          <button type="submit" disabled={add.isPending}>
            Add fault
          </button>
        </div>
      </form>
    </section>
  )
}
