import type { ClusterEvent } from '../wire/schemas.js'
import type { ClusterStatus, EventReason } from './statuses.js'

export const EVENT_TYPES = ['StatusChanged', 'Requested', 'VmChanged', 'TaskChanged', 'Error'] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** An entry of a cluster's history, as recorded. */
export interface NewEvent {
  clusterId: string
  at: number
  type: EventType
  fromStatus?: ClusterStatus | null
  toStatus?: ClusterStatus | null
  reason: EventReason
  message: string
}

/** A recorded event with its position in the cluster's history (1, 2, ...). */
export interface EventRecord {
  seq: number
  at: number
  type: string
  fromStatus: string | null
  toStatus: string | null
  reason: string
  message: string
}

/** The events extension's item (DESIGN section 6): absent statuses are omitted. */
export const toClusterEvent = (r: EventRecord): ClusterEvent => {
  const e: ClusterEvent = { seq: r.seq, at: r.at, type: r.type, reason: r.reason, message: r.message }
  if (r.fromStatus) e.fromStatus = r.fromStatus
  if (r.toStatus) e.toStatus = r.toStatus
  return e
}
