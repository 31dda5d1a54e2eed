/**
 * Every status string the API shows lives here, so a typo cannot invent a state the real
 * service does not have (DESIGN section 4).
 */
export const CLUSTER_STATUSES = [
  'Initializing',
  'Creating',
  'Installing',
  'Running',
  'Processing',
  'Terminating',
  'Terminated(User)',
  'Terminated(UserCommand)',
  'Terminated(Error)',
] as const
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number]

export const TERMINATED_STATUSES = [
  'Terminated(User)',
  'Terminated(UserCommand)',
  'Terminated(Error)',
] as const
export type TerminatedStatus = (typeof TERMINATED_STATUSES)[number]

export const isTerminated = (s: string): s is TerminatedStatus =>
  (TERMINATED_STATUSES as readonly string[]).includes(s)

/** The allowed moves. The reconciler and the services both check against this table. */
export const TRANSITIONS: Readonly<Record<ClusterStatus, readonly ClusterStatus[]>> = {
  Initializing: ['Creating', 'Terminating'],
  Creating: ['Installing', 'Terminating'],
  Installing: ['Running', 'Terminating'],
  Running: ['Processing', 'Terminating'],
  Processing: ['Running', 'Terminating'],
  Terminating: ['Terminated(User)', 'Terminated(UserCommand)', 'Terminated(Error)'],
  // A job cluster's re-run (DESIGN section 11) starts the same cluster again.
  'Terminated(User)': ['Initializing'],
  'Terminated(UserCommand)': ['Initializing'],
  'Terminated(Error)': ['Initializing'],
}

export const canTransition = (from: ClusterStatus, to: ClusterStatus): boolean =>
  TRANSITIONS[from].includes(to)

export const VM_STATUSES = ['Creating', 'Installing', 'Running', 'Decommissioning', 'Terminating'] as const
export type VmStatus = (typeof VM_STATUSES)[number]

export const API_KEY_STATUSES = ['possible', 'impossible', 'applied'] as const
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number]

/**
 * DESIGN section 4: `possible` for a hadoop cluster with a userTask once it is Terminated(User)
 * or Terminated(UserCommand); `applied` while a key is issued (section 11), whatever the status.
 */
export const deriveApiKeyStatus = (c: {
  clusterType: string
  hasUserTask: boolean
  status: ClusterStatus
  apiKeyIssued?: boolean
  /** It was run again at least once (section 11): a failed re-run leaves it a job cluster. */
  hasRun?: boolean
}): ApiKeyStatus => {
  if (c.apiKeyIssued) return 'applied'
  if (
    c.clusterType === 'hadoop' &&
    c.hasUserTask &&
    (c.status === 'Terminated(User)' ||
      c.status === 'Terminated(UserCommand)' ||
      (c.status === 'Terminated(Error)' && c.hasRun === true))
  )
    return 'possible'
  return 'impossible'
}

/** Reason codes recorded on every event (DESIGN section 6 / issue "Clusters that live"). */
export const EVENT_REASONS = [
  'USER_REQUEST',
  'PROVISION_STARTED',
  'PROVISIONED',
  'INSTALLED',
  'PROVISION_FAILED',
  'INSTALL_FAILED',
  'TASK_STARTED',
  'TASK_SUCCEEDED',
  'TASK_FAILED',
  'SCALE_OUT_REQUESTED',
  'SCALE_IN_REQUESTED',
  'SCALE_OUT_DONE',
  'SCALE_IN_DONE',
  'TERMINATED',
  'PROVIDER_ERROR',
  'VM_LOST',
  'VM_RECOVERED',
  // DESIGN section 8: a file the cluster needs, found missing or wrong when it is needed.
  'CONFIG_FILE_NOT_FOUND',
  'CONFIG_FILE_INVALID',
  'USER_SCRIPT_NOT_FOUND',
  'TASK_FILE_NOT_FOUND',
  'TASK_TIMEOUT',
  // DESIGN section 11: a job cluster run again under its Open API key.
  'RERUN_REQUESTED',
] as const
export type EventReason = (typeof EVENT_REASONS)[number]

export const isEventReason = (s: unknown): s is EventReason =>
  typeof s === 'string' && (EVENT_REASONS as readonly string[]).includes(s)
