import { useState, type FormEvent } from 'react'
import { useMutation, useQuery } from '@tanstack/react-query'
import type { Cluster, RerunResponse } from '../../../../src/sdk/index.js'
import { client, errorText } from '../../api.js'
import { ErrorAlert } from '../../components/feedback.js'
import { useRefreshCluster } from './refresh.js'

/**
 * DESIGN section 11. The key is shown once, when issued, and kept nowhere: a re-run asks for
 * it, as the Open API does.
 */
export function ApiKeyPanel({ cluster }: { cluster: Cluster }) {
  const refresh = useRefreshCluster(cluster.id)
  const [issued, setIssued] = useState<string>()
  const issue = useMutation({
    mutationFn: () => client.clusters.apiKey.issue(cluster.id),
    onSuccess: (k) => {
      setIssued(k.apiKey)
      refresh()
    },
  })
  const revoke = useMutation({
    mutationFn: () => client.clusters.apiKey.revoke(cluster.id),
    onSuccess: () => {
      setIssued(undefined)
      refresh()
    },
  })

  if (cluster.apiKeyStatus === 'impossible')
    return (
      <p className="muted">
        Only a job cluster (one with a task and termination policy <code>always</code> or{' '}
        <code>onSuccess</code>) can have an API key and be re-run.
      </p>
    )
  return (
    <div className="stack">
      <p>
        API key status: <strong>{cluster.apiKeyStatus}</strong>
      </p>
      {issue.error ? <ErrorAlert title="The key was not issued">{errorText(issue.error)}</ErrorAlert> : null}
      {revoke.error ? (
        <ErrorAlert title="The key was not revoked">{errorText(revoke.error)}</ErrorAlert>
      ) : null}
      {issued ? (
        <div className="alert info" role="status">
          <p>This is the cluster&apos;s API key. Copy it now: it is not shown again.</p>
          <label htmlFor="issued-key">Issued API key</label>
          <input
            id="issued-key"
            readOnly
            value={issued}
            className="mono"
            onFocus={(e) => e.currentTarget.select()}
          />
        </div>
      ) : null}
      <div className="actions left">
        {cluster.apiKeyStatus === 'possible' ? (
          <button type="button" disabled={issue.isPending} onClick={() => issue.mutate()}>
            Issue API key
          </button>
        ) : (
          <button
            type="button"
            className="secondary"
            disabled={revoke.isPending}
            onClick={() => revoke.mutate()}
          >
            Revoke API key
          </button>
        )}
      </div>
      {cluster.apiKeyStatus === 'applied' ? <RerunForm cluster={cluster} /> : null}
    </div>
  )
}

function RerunForm({ cluster }: { cluster: Cluster }) {
  const refresh = useRefreshCluster(cluster.id)
  const [apiKey, setApiKey] = useState('')
  const [done, setDone] = useState<{ run: RerunResponse; apiKey: string }>()
  const m = useMutation({
    mutationFn: (v: { apiKey: string; workerCnt?: number; userTaskExecParams?: string }) =>
      client.clusters.rerun(cluster.id, v),
    onSuccess: (run, v) => {
      setDone({ run, apiKey: v.apiKey })
      refresh()
    },
  })
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const workers = String(f.get('workerCnt') ?? '').trim()
    const params = String(f.get('execParams') ?? '').trim()
    m.mutate({
      apiKey,
      ...(workers ? { workerCnt: Number(workers) } : {}),
      ...(params ? { userTaskExecParams: params } : {}),
    })
  }
  return (
    <>
      <h3>Re-run</h3>
      <form onSubmit={submit} className="stack" aria-label="Re-run">
        <div className="field">
          <label htmlFor="rerun-key">API key</label>
          <input
            id="rerun-key"
            type="password"
            autoComplete="off"
            required
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="rerun-workers">Worker count (optional)</label>
          <input id="rerun-workers" name="workerCnt" type="number" min={1} max={1000} />
        </div>
        <div className="field">
          <label htmlFor="rerun-params">Task exec params (optional)</label>
          <input id="rerun-params" name="execParams" />
        </div>
        {m.error ? <ErrorAlert title="The re-run was refused">{errorText(m.error)}</ErrorAlert> : null}
        <div className="actions left">
          <button type="submit" disabled={m.isPending}>
            Re-run
          </button>
        </div>
      </form>
      {done ? <RequestStatus clusterId={cluster.id} run={done.run} apiKey={done.apiKey} /> : null}
    </>
  )
}

function RequestStatus({
  clusterId,
  run,
  apiKey,
}: {
  clusterId: string
  run: RerunResponse
  apiKey: string
}) {
  const q = useQuery({
    queryKey: ['request', clusterId, run.requestId],
    queryFn: ({ signal }) => client.clusters.requests.get(clusterId, run.requestId, { apiKey }, { signal }),
    // Until it ends; not after an error (a revoked key would be refused, and counted, every time).
    refetchInterval: (query) =>
      query.state.status === 'error' || (query.state.data && query.state.data.requestStatus !== 'Processing')
        ? false
        : 2000,
    retry: false,
  })
  if (q.isError)
    return (
      <ErrorAlert title={`Request ${run.requestId} could not be followed`}>{errorText(q.error)}</ErrorAlert>
    )
  return (
    <p role="status">
      Request <code>{run.requestId}</code>: <strong>{q.data?.requestStatus ?? 'Processing'}</strong>
      {q.data?.requestResult ? ` — ${q.data.requestResult}` : ''}
    </p>
  )
}
