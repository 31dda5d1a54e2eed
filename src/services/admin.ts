import { randomUUID } from 'node:crypto'
import { AppError } from '../domain/errors.js'
import { FAULT_KINDS, isFaultKind } from '../domain/faults.js'
import type { Store } from '../store/index.js'
import type { FaultRow } from '../store/faults.js'
import type { CredentialService } from './credentials.js'

export interface AdminDeps {
  credentials: Pick<CredentialService, 'create' | 'list' | 'revoke'>
  store: {
    faults: Pick<Store['faults'], 'insert' | 'list' | 'remove' | 'deleteAll'>
    clusters: Pick<Store['clusters'], 'deleteAll'>
    vms: Pick<Store['vms'], 'deleteAll'>
    events: Pick<Store['events'], 'deleteAll'>
    work: Pick<Store['work'], 'deleteAll'>
    taskRuns: Pick<Store['taskRuns'], 'deleteAll'>
    apiKeys: Pick<Store['apiKeys'], 'deleteAll'>
    jobRequests: Pick<Store['jobRequests'], 'deleteAll'>
    transaction: Store['transaction']
  }
  now: () => number
  /** Forgets everything the provider holds, after the database is emptied (POST /_admin/reset). */
  resetProvider: () => Promise<void>
  /** Drops the fault cache, so a change applies to the next request. */
  onFaultsChanged: () => void
}

/** A fault as the admin API shows it (DESIGN section 7). */
export interface Fault {
  id: string
  match: { clusterName?: string; path?: string }
  fault: string
  status?: number
  times?: number
  createdAt: number
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
/** No label or glob has a use for control characters; U+0000 cannot even be stored in PostgreSQL. */
const hasControl = (s: string) => [...s].some((ch) => ch < ' ' || ch === '\u007f')
/** `times_left` is a 32-bit integer column. */
const MAX_TIMES = 2_147_483_647
const bad = (field: string, message: string) =>
  new AppError('INVALID_VALUE', message, [{ field, code: 'INVALID_VALUE', message }])

const toFault = (r: FaultRow): Fault => ({
  id: r.id,
  match: {
    ...(r.cluster_name_glob !== null ? { clusterName: r.cluster_name_glob } : {}),
    ...(r.path_glob !== null ? { path: r.path_glob } : {}),
  },
  fault: r.fault,
  ...(r.status !== null ? { status: r.status } : {}),
  ...(r.times_left !== null ? { times: r.times_left } : {}),
  createdAt: r.created_at,
})

/**
 * The admin API's use cases (DESIGN section 7): credentials, injected faults, and the reset that
 * empties the server between test runs. Bodies arrive unchecked and are validated here.
 */
export const createAdminService = ({
  credentials,
  store,
  now,
  resetProvider,
  onFaultsChanged,
}: AdminDeps) => ({
  async createCredential(body: unknown) {
    if (!isObj(body) || typeof body.project !== 'string') throw bad('project', 'project is required')
    if (body.owner !== undefined && typeof body.owner !== 'string')
      throw bad('owner', 'owner must be a string')
    if (typeof body.owner === 'string' && hasControl(body.owner))
      throw bad('owner', 'owner must not contain control characters')
    const c = await credentials.create(body.project, body.owner)
    return { id: c.id, secret: c.secret, project: c.project, owner: c.owner }
  },

  listCredentials: () => credentials.list(),

  async revokeCredential(id: string): Promise<void> {
    if (!(await credentials.revoke(id)))
      throw new AppError('NOT_FOUND', `credential ${id} not found or already revoked`)
  },

  async addFault(body: unknown): Promise<Fault> {
    if (!isObj(body)) throw bad('', 'body must be a JSON object')
    if (!isFaultKind(body.fault)) throw bad('fault', `fault must be one of ${FAULT_KINDS.join(', ')}`)
    const match = body.match === undefined ? {} : body.match
    if (!isObj(match)) throw bad('match', 'match must be an object')
    const glob = (k: 'clusterName' | 'path'): string | null => {
      const v = match[k]
      if (v === undefined) return null
      if (typeof v !== 'string' || v === '' || hasControl(v))
        throw bad(`match.${k}`, `match.${k} must be a non-empty glob without control characters`)
      return v
    }
    const clusterName = glob('clusterName')
    const path = glob('path')
    if (body.fault === 'apiError' && path === null)
      throw bad('match.path', 'an apiError fault needs match.path')
    if (body.fault !== 'apiError' && clusterName === null)
      throw bad('match.clusterName', `a ${body.fault} fault needs match.clusterName`)
    const status = body.status ?? (body.fault === 'apiError' ? 500 : null)
    if (
      status !== null &&
      (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)
    )
      throw bad('status', 'status must be an HTTP error status (400-599)')
    const times = body.times ?? null
    if (
      times !== null &&
      (typeof times !== 'number' || !Number.isInteger(times) || times < 1 || times > MAX_TIMES)
    )
      throw bad('times', `times must be an integer from 1 to ${MAX_TIMES}`)
    const row: FaultRow = {
      id: randomUUID(),
      cluster_name_glob: clusterName,
      path_glob: path,
      fault: body.fault,
      status,
      times_left: times,
      created_at: now(),
    }
    await store.faults.insert(row)
    onFaultsChanged()
    return toFault(row)
  },

  listFaults: async (): Promise<Fault[]> => (await store.faults.list()).map(toFault),

  async removeFault(id: string): Promise<void> {
    if (!(await store.faults.remove(id))) throw new AppError('NOT_FOUND', `fault ${id} not found`)
    onFaultsChanged()
  },

  /** Empties the server: clusters with their VMs, events and work, faults, and the provider's state. */
  async reset(): Promise<void> {
    await store.transaction(async (tx) => {
      await store.work.deleteAll(tx)
      await store.events.deleteAll(tx)
      await store.taskRuns.deleteAll(tx)
      await store.jobRequests.deleteAll(tx)
      await store.apiKeys.deleteAll(tx)
      await store.vms.deleteAll(tx)
      await store.clusters.deleteAll(tx)
      await store.faults.deleteAll(tx)
    })
    await resetProvider()
    onFaultsChanged()
  },
})

export type AdminService = ReturnType<typeof createAdminService>
