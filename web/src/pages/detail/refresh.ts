import { useQueryClient } from '@tanstack/react-query'

/** After a change to a cluster: its page, the list and the timeline ask again at once. */
export const useRefreshCluster = (id: string) => {
  const qc = useQueryClient()
  return () => {
    void qc.invalidateQueries({ queryKey: ['cluster', id] })
    void qc.invalidateQueries({ queryKey: ['clusters'] })
    void qc.invalidateQueries({ queryKey: ['events', id] })
    void qc.invalidateQueries({ queryKey: ['vms', id] })
  }
}
