import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { client, errorText } from '../../api.js'
import { ErrorAlert, Loading } from '../../components/feedback.js'

/** The rendered files, asked for only when the user wants them (they can be long). */
export function ConfigsPanel({ clusterId }: { clusterId: string }) {
  const [shown, setShown] = useState(false)
  const q = useQuery({
    queryKey: ['configs', clusterId],
    queryFn: ({ signal }) => client.clusters.configs(clusterId, { signal }),
    enabled: shown,
  })
  if (!shown)
    return (
      <button type="button" className="secondary" onClick={() => setShown(true)}>
        Show rendered configuration
      </button>
    )
  if (q.isPending) return <Loading what="the configuration" />
  if (q.isError)
    return <ErrorAlert title="The configuration could not be loaded">{errorText(q.error)}</ErrorAlert>
  return (
    <div className="configs">
      {(['master', 'worker'] as const).map((role) => (
        <div key={role}>
          <h3>{role === 'master' ? 'Master nodes' : 'Worker nodes'}</h3>
          {q.data[role].length === 0 ? <p className="muted">No files.</p> : null}
          {q.data[role].map((f) => (
            <details key={f.path}>
              <summary>
                <code>{f.path}</code>
              </summary>
              <pre className="code" tabIndex={0} aria-label={f.path}>
                {f.content}
              </pre>
            </details>
          ))}
        </div>
      ))}
    </div>
  )
}
