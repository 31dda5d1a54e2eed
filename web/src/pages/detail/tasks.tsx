import { useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { client, errorText } from '../../api.js'
import { Empty, ErrorAlert, Loading } from '../../components/feedback.js'
import { Time } from '../../components/time.js'

export function TasksPanel({ clusterId, live }: { clusterId: string; live: boolean }) {
  const [open, setOpen] = useState<string>()
  const q = useQuery({
    queryKey: ['tasks', clusterId],
    queryFn: ({ signal }) => client.clusters.tasks(clusterId, { size: 50 }, { signal }),
    refetchInterval: live ? 2000 : false,
  })
  if (q.isPending) return <Loading what="the task runs" />
  if (q.isError)
    return <ErrorAlert title="The task runs could not be loaded">{errorText(q.error)}</ErrorAlert>
  if (q.data.totalElements === 0) return <Empty>The task has not run yet.</Empty>
  return (
    <ul className="plain tasks">
      {q.data.content.map((t) => (
        <li key={t.id}>
          <div className="task-head">
            <strong>{t.type}</strong> <span className="badge busy">{t.status}</span> started{' '}
            <Time ms={t.startedAt} />
            {t.endedAt !== undefined ? (
              <>
                , ended <Time ms={t.endedAt} />
              </>
            ) : null}
            {t.exitCode !== undefined ? <> · exit code {t.exitCode}</> : null}
            <button
              type="button"
              className="secondary small"
              aria-expanded={open === t.id}
              onClick={() => setOpen(open === t.id ? undefined : t.id)}
            >
              {open === t.id ? 'Hide log' : 'Show log'}
              <span className="visually-hidden"> of run {t.id}</span>
            </button>
          </div>
          {t.message ? <div className="message">{t.message}</div> : null}
          {open === t.id ? (
            <TaskLog clusterId={clusterId} taskId={t.id} running={t.endedAt === undefined} />
          ) : null}
        </li>
      ))}
    </ul>
  )
}

function TaskLog({ clusterId, taskId, running }: { clusterId: string; taskId: string; running: boolean }) {
  const q = useQuery({
    queryKey: ['task-log', clusterId, taskId],
    queryFn: ({ signal }) => client.clusters.taskLog(clusterId, taskId, { signal }),
    refetchInterval: running ? 2000 : false,
  })
  if (q.isPending) return <Loading what="the log" />
  if (q.isError) return <ErrorAlert title="The log could not be loaded">{errorText(q.error)}</ErrorAlert>
  return (
    <pre className="code log" tabIndex={0} aria-label={`Log of run ${taskId}`}>
      {q.data || '(empty)'}
    </pre>
  )
}
