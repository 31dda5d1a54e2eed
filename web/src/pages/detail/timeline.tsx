import { useQuery } from '@tanstack/react-query'
import { client, errorText } from '../../api.js'
import { Empty, ErrorAlert, Loading } from '../../components/feedback.js'
import { Time } from '../../components/time.js'

const POLL_MS = 2000

/** The cluster's history from its events, oldest first: statuses, and why each came. */
export function Timeline({ clusterId, live }: { clusterId: string; live: boolean }) {
  const q = useQuery({
    queryKey: ['events', clusterId],
    queryFn: ({ signal }) => client.clusters.events(clusterId, { size: 1000 }, { signal }),
    refetchInterval: live ? POLL_MS : false,
  })
  if (q.isPending) return <Loading what="the timeline" />
  if (q.isError) return <ErrorAlert title="The events could not be loaded">{errorText(q.error)}</ErrorAlert>
  const events = q.data.content
  if (events.length === 0) return <Empty>No events yet.</Empty>
  return (
    <>
      <ol className="timeline">
        {events.map((e) => (
          <li key={e.seq} className={e.toStatus ? 'transition' : 'note'}>
            <Time ms={e.at} />{' '}
            {e.toStatus ? (
              <strong>
                {e.fromStatus ? `${e.fromStatus} → ` : ''}
                {e.toStatus}
              </strong>
            ) : (
              <strong>{e.type}</strong>
            )}{' '}
            <code>{e.reason}</code>
            <div className="message">{e.message}</div>
          </li>
        ))}
      </ol>
      {q.data.totalElements > events.length ? (
        <p className="muted">
          Showing the first {events.length} of {q.data.totalElements} events.
        </p>
      ) : null}
    </>
  )
}
