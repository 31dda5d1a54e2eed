import { useId, useState, type FormEvent } from 'react'
import { useMutation } from '@tanstack/react-query'
import { ApiError, type Cluster } from '../../../../src/sdk/index.js'
import { client, errorText } from '../../api.js'
import { Dialog } from '../../components/dialog.js'
import { useRefreshCluster } from './refresh.js'

export function ScaleDialog({
  cluster,
  direction,
  open,
  onClose,
}: {
  cluster: Cluster
  direction: 'out' | 'in'
  open: boolean
  onClose: () => void
}) {
  const refresh = useRefreshCluster(cluster.id)
  const [count, setCount] = useState('1')
  const hintId = useId()
  const errorId = useId()
  const verb = direction === 'out' ? 'Scale out' : 'Scale in'
  const m = useMutation({
    mutationFn: (n: number) =>
      direction === 'out' ? client.clusters.scaleOut(cluster.id, n) : client.clusters.scaleIn(cluster.id, n),
    onSuccess: () => {
      refresh()
      close()
    },
  })
  const close = () => {
    m.reset()
    setCount('1')
    onClose()
  }
  const replication = cluster.config.hdfsReplication
  const removable = Math.max(0, cluster.workerCnt - replication)
  const submit = (e: FormEvent) => {
    e.preventDefault()
    m.mutate(Number(count))
  }
  // The API's error about the count (field scaleCnt) belongs beside the Count field; anything
  // else (the cluster is busy, the server failed) above the buttons.
  const fieldError =
    m.error instanceof ApiError ? m.error.errors.find((f) => f.field === 'scaleCnt')?.message : undefined
  const otherError = m.error && fieldError === undefined ? errorText(m.error) : undefined
  return (
    <Dialog open={open} title={`${verb}: ${cluster.name}`} onClose={close}>
      <form onSubmit={submit} className="stack">
        <p id={hintId} className="hint">
          {direction === 'out' ? (
            <>
              Adds workers to the {cluster.workerCnt} it has. New workers join HDFS and YARN when they are
              running.
            </>
          ) : (
            <>
              HDFS keeps {replication} {replication === 1 ? 'copy' : 'copies'} of every block (its replication
              factor), so this cluster needs at least {replication} {replication === 1 ? 'worker' : 'workers'}
              . It has {cluster.workerCnt}: at most {removable} can be removed. The removed workers are
              decommissioned first, so no block is lost.
            </>
          )}
        </p>
        <div className="field">
          <label htmlFor={`${hintId}-count`}>Count</label>
          <input
            id={`${hintId}-count`}
            type="number"
            min={1}
            max={1000}
            step={1}
            required
            value={count}
            onChange={(e) => setCount(e.target.value)}
            aria-describedby={`${hintId}${fieldError ? ` ${errorId}` : ''}`}
            aria-invalid={fieldError ? true : undefined}
          />
          {fieldError ? (
            <p id={errorId} role="alert" className="field-error">
              {fieldError}
            </p>
          ) : null}
        </div>
        {otherError ? (
          <p role="alert" className="field-error">
            {otherError}
          </p>
        ) : null}
        <div className="actions">
          <button type="button" className="secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" disabled={m.isPending}>
            {verb}
          </button>
        </div>
      </form>
    </Dialog>
  )
}

export function DeleteDialog({
  cluster,
  open,
  onClose,
}: {
  cluster: Cluster
  open: boolean
  onClose: () => void
}) {
  const refresh = useRefreshCluster(cluster.id)
  const m = useMutation({
    mutationFn: () => client.clusters.delete(cluster.id),
    onSuccess: () => {
      refresh()
      close()
    },
  })
  const close = () => {
    m.reset()
    onClose()
  }
  return (
    <Dialog open={open} title={`Delete ${cluster.name}?`} onClose={close}>
      <p>
        Its {cluster.nodeCnt} VMs and everything stored on them (HDFS data included) are deleted. The cluster
        stays in the list as <code>Terminated(User)</code>. This cannot be undone.
      </p>
      {m.error ? (
        <p role="alert" className="field-error">
          {errorText(m.error)}
        </p>
      ) : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={close} autoFocus>
          Cancel
        </button>
        <button type="button" className="danger" disabled={m.isPending} onClick={() => m.mutate()}>
          Delete
        </button>
      </div>
    </Dialog>
  )
}
