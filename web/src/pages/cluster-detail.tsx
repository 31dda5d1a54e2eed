import { useEffect, useState, type ReactNode } from 'react'
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { Link, useParams } from 'react-router'
import { isTerminatedStatus, NotFoundError, type Cluster } from '../../../src/sdk/index.js'
import { client, errorText } from '../api.js'
import { ErrorAlert, Loading } from '../components/feedback.js'
import { StatusBadge } from '../components/status.js'
import { duration, Time } from '../components/time.js'
import { ApiKeyPanel } from './detail/api-key.js'
import { ConfigsPanel } from './detail/configs.js'
import { DeleteDialog, ScaleDialog } from './detail/dialogs.js'
import { TasksPanel } from './detail/tasks.js'
import { Timeline } from './detail/timeline.js'
import { VmsPanel } from './detail/vms.js'

/** While the cluster can still change, a second's poll; after that, none. */
export const DETAIL_POLL_MS = 1000

type Dialogs = 'scale-out' | 'scale-in' | 'delete' | undefined

export default function ClusterDetailPage() {
  const { id = '' } = useParams()
  const [dialog, setDialog] = useState<Dialogs>()
  const q = useQuery({
    queryKey: ['cluster', id],
    queryFn: ({ signal }) => client.clusters.get(id, { signal }),
    // No poll once it can no longer change, nor after an error (a 404 stays a 404; the page
    // offers to try again).
    refetchInterval: (query) => {
      const s = query.state.data?.status
      return query.state.status === 'error' || (s && isTerminatedStatus(s)) ? false : DETAIL_POLL_MS
    },
  })
  // The panels stop polling when the cluster ends: one last look shows how it ended.
  const status = q.data?.status
  const qc = useQueryClient()
  useEffect(() => {
    if (!status || !isTerminatedStatus(status)) return
    for (const key of ['events', 'vms', 'tasks']) void qc.invalidateQueries({ queryKey: [key, id] })
  }, [status, id, qc])

  if (q.isPending) return <Loading what="the cluster" />
  if (q.isError)
    return q.error instanceof NotFoundError ? (
      <>
        <h1>Cluster not found</h1>
        <p>
          No cluster <code>{id}</code> in this project. <Link to="/">Back to the list</Link>.
        </p>
      </>
    ) : (
      <ErrorAlert title="The cluster could not be loaded" onRetry={() => void q.refetch()}>
        {errorText(q.error)}
      </ErrorAlert>
    )

  const c = q.data
  const ended = isTerminatedStatus(c.status)
  const scalable = c.status === 'Running' && c.isScalable
  return (
    <>
      <p className="crumbs">
        <Link to="/">Clusters</Link> / {c.name}
      </p>
      <div className="title-row">
        <h1>
          {c.name} <StatusBadge status={c.status} />
        </h1>
        <div className="actions">
          {(['scale-out', 'scale-in'] as const).map((d) => (
            <button
              key={d}
              type="button"
              disabled={!scalable}
              title={scalable ? undefined : 'Only a Running cluster can be scaled'}
              onClick={() => setDialog(d)}
            >
              {d === 'scale-out' ? 'Scale out' : 'Scale in'}
            </button>
          ))}
          <button
            type="button"
            className="danger"
            disabled={ended || c.status === 'Terminating'}
            onClick={() => setDialog('delete')}
          >
            Delete
          </button>
        </div>
      </div>
      <ScaleDialog
        cluster={c}
        direction="out"
        open={dialog === 'scale-out'}
        onClose={() => setDialog(undefined)}
      />
      <ScaleDialog
        cluster={c}
        direction="in"
        open={dialog === 'scale-in'}
        onClose={() => setDialog(undefined)}
      />
      <DeleteDialog cluster={c} open={dialog === 'delete'} onClose={() => setDialog(undefined)} />

      <Section title="Overview">
        <Fields value={c} />
      </Section>
      <Section title="Status timeline">
        <Timeline clusterId={c.id} live={!ended} />
      </Section>
      <Section title="VMs">
        <VmsPanel clusterId={c.id} live={!ended} />
      </Section>
      {c.userTask ? (
        <Section title="Task runs">
          <TasksPanel clusterId={c.id} live={!ended} />
        </Section>
      ) : null}
      <Section title="Rendered configuration">
        <ConfigsPanel clusterId={c.id} />
      </Section>
      <Section title="API key and re-run">
        <ApiKeyPanel cluster={c} />
      </Section>
    </>
  )
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  const id = `section-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`
  return (
    <section aria-labelledby={id} className="card">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  )
}

const LABELS: Record<string, string> = {
  id: 'ID',
  isHa: 'High availability',
  isScalable: 'Scalable',
  apiKeyStatus: 'API key status',
  masterCnt: 'Masters',
  workerCnt: 'Workers',
  nodeCnt: 'Nodes',
  vpcId: 'VPC ID',
  subnetId: 'Subnet ID',
  securityGroupIds: 'Security group IDs',
  nameNodeUrl: 'NameNode URL',
  resourceManagerUrl: 'ResourceManager URL',
  hueUrl: 'Hue URL',
  hmasterUrl: 'HMaster URL',
  trinoUrl: 'Trino URL',
  druidUrl: 'Druid URL',
  supersetUrl: 'Superset URL',
  totalVmUptime: 'Total VM uptime',
  hdfsReplication: 'HDFS replication',
  hdfsBlockSize: 'HDFS block size (MB)',
  configFileUrl: 'Config file URL',
  fileUrl: 'File URL',
  logUrl: 'Log URL',
  userId: 'User ID',
  objectId: 'Object ID',
  dbName: 'DB name',
}

/** `keypairName` -> `Keypair name`. */
const label = (key: string) =>
  LABELS[key] ??
  key
    .replace(/([A-Z])/g, ' $1')
    .replace(/^./, (ch) => ch.toUpperCase())
    .replace(/ ([A-Z])/g, (m) => m.toLowerCase())

const TIMES = new Set(['createdAt', 'runningAt'])
const DURATIONS = new Set(['elapsedTime', 'totalVmUptime'])

const decodeBase64 = (b64: string): string => {
  try {
    const bytes = Uint8Array.from(atob(b64.replace(/\s+/g, '')), (ch) => ch.charCodeAt(0))
    const text = new TextDecoder().decode(bytes)
    try {
      return JSON.stringify(JSON.parse(text), null, 2)
    } catch {
      return text
    }
  } catch {
    return b64
  }
}

function Value({ name, value }: { name: string; value: unknown }): ReactNode {
  if (value === undefined || value === null || value === '') return <span className="muted">—</span>
  if (TIMES.has(name) && typeof value === 'number') return <Time ms={value} />
  if (DURATIONS.has(name) && typeof value === 'number')
    return <span title={`${value} ms`}>{duration(value)}</span>
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (name === 'configText' && typeof value === 'string')
    return <pre className="code">{decodeBase64(value)}</pre>
  if (typeof value === 'string' && /Url$/.test(name) && /^https?:\/\//.test(value))
    return (
      <a href={value} target="_blank" rel="noreferrer noopener">
        {value}
      </a>
    )
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object')) return value.join(', ')
    return (
      <ul className="plain">
        {value.map((v, i) => (
          <li key={i}>
            <Fields value={v as Record<string, unknown>} />
          </li>
        ))}
      </ul>
    )
  }
  if (typeof value === 'object') return <Fields value={value as Record<string, unknown>} />
  return String(value)
}

/** Every field the API returns, in its order: nothing of the seed's object is left out. */
function Fields({ value }: { value: Cluster | Record<string, unknown> }) {
  return (
    <dl className="fields">
      {Object.entries(value).map(([k, v]) => (
        <div key={k}>
          <dt>{label(k)}</dt>
          <dd>
            <Value name={k} value={v} />
          </dd>
        </div>
      ))}
    </dl>
  )
}
