import { useQuery } from '@tanstack/react-query'
import { client, errorText } from '../../api.js'
import { Empty, ErrorAlert, Loading } from '../../components/feedback.js'
import { Time } from '../../components/time.js'

export function VmsPanel({ clusterId, live }: { clusterId: string; live: boolean }) {
  const q = useQuery({
    queryKey: ['vms', clusterId],
    queryFn: ({ signal }) =>
      client.clusters.vms(clusterId, { size: 1000, sort: ['isMaster,desc', 'index,asc'] }, { signal }),
    refetchInterval: live ? 2000 : false,
  })
  if (q.isPending) return <Loading what="the VMs" />
  if (q.isError) return <ErrorAlert title="The VMs could not be loaded">{errorText(q.error)}</ErrorAlert>
  if (q.data.totalElements === 0) return <Empty>No VMs.</Empty>
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label="VMs table">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">IP</th>
            <th scope="col">Instance ID</th>
            <th scope="col">Flavor</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {q.data.content.map((vm) => (
            <tr key={vm.name}>
              <td>{vm.name}</td>
              <td>{vm.isMaster ? 'master' : 'worker'}</td>
              <td>{vm.status}</td>
              <td>{vm.ip || '—'}</td>
              <td>
                <code>{vm.instanceId}</code>
              </td>
              <td>{vm.flavorName}</td>
              <td>
                <Time ms={vm.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
