import { randomUUID } from 'node:crypto'
import {
  masterCountFor,
  isScalable,
  toCluster,
  toSummary,
  type ClusterRecord,
  type NewCluster,
} from '../domain/cluster.js'
import { toClusterEvent, type NewEvent } from '../domain/events.js'
import { toVm } from '../domain/vm.js'
import { parseCreateCluster, parseScaleRequest } from '../domain/cluster-spec.js'
import { AppError } from '../domain/errors.js'
import { MAX_WORKERS } from '../domain/catalog.js'
import {
  CLUSTER_SORT_FIELDS,
  VM_SORT_FIELDS,
  normalizeFilter,
  parseBool,
  parsePageRequest,
  toPage,
  type PageRequest,
  type VmSortField,
} from '../domain/paging.js'
import { deriveApiKeyStatus, isTerminated, type ClusterStatus } from '../domain/statuses.js'
import type { Store } from '../store/index.js'
import type { Recorder } from './idempotency.js'
import type { SecretBox } from './secret-box.js'
import { DuplicateNameError } from '../store/index.js'
import type { ClusterType, ClusterVersion } from '../domain/catalog.js'
import type { Cluster, ClusterEvent, ClusterRef, ClusterSummary, Page, Vm } from '../wire/schemas.js'

export interface Caller {
  credentialId: string
  project: string
  owner: string
}

interface Deps {
  store: Pick<Store, 'clusters' | 'vms' | 'events' | 'work' | 'transaction'>
  now: () => number
  /** Tells the local reconciler there is new desired state (other replicas poll). */
  wake: () => void
  /** Seals passwords before they are stored. */
  box: Pick<SecretBox, 'seal' | 'isSealed'>
  /**
   * What the active provider cannot run, checked at create after the seed's own rules (DESIGN
   * section 12): undefined when it can. The simulator runs every type and version.
   */
  unsupported?: (type: ClusterType, version: ClusterVersion) => AppError | undefined
}

interface WithPasswords {
  adminInfo?: { userPw?: string }
  hiveDbInfo?: { userPw?: string }
}

/**
 * A spec as stored: every password sealed, one already sealed left as it is (a Base64 password
 * cannot look sealed). Creates use it, and the start-up pass over specs stored in clear.
 */
export const sealPasswords = <S extends WithPasswords>(
  spec: S,
  box: Pick<SecretBox, 'seal' | 'isSealed'>,
): S => {
  const seal = <T extends { userPw?: string }>(holder: T): T =>
    holder.userPw === undefined || box.isSealed(holder.userPw)
      ? holder
      : { ...holder, userPw: box.seal(holder.userPw) }
  return {
    ...spec,
    ...(spec.adminInfo ? { adminInfo: seal(spec.adminInfo) } : {}),
    ...(spec.hiveDbInfo ? { hiveDbInfo: seal(spec.hiveDbInfo) } : {}),
  }
}

const notFound = (id: string) => new AppError('CLUSTER_NOT_FOUND', `cluster ${id} not found`)
const ref = (c: Pick<ClusterRecord, 'id' | 'name'>, status: ClusterStatus): ClusterRef => ({
  id: c.id,
  name: c.name,
  status,
})

/**
 * The use cases behind the seed's seven operations. Each validates, records the desired state
 * in one transaction with its event and a work item, and wakes the reconciler; the reconciler
 * is what actually moves clusters.
 */
export const createClusterService = ({ store, now, wake, box, unsupported }: Deps) => {
  const load = async (caller: Caller, id: string): Promise<ClusterRecord> => {
    const c = await store.clusters.get(caller.project, id)
    if (!c) throw notFound(id)
    return c
  }

  return {
    async create(caller: Caller, body: unknown, record?: Recorder): Promise<ClusterRef> {
      const spec = parseCreateCluster(body)
      const refused = unsupported?.(spec.clusterType, spec.clusterVersion)
      if (refused) throw refused
      const t = now()
      const id = randomUUID()
      const masters = masterCountFor(spec.isHa)
      const cluster: NewCluster = {
        id,
        project: caller.project,
        name: spec.name,
        owner: caller.owner,
        status: 'Initializing',
        clusterType: spec.clusterType,
        clusterVersion: spec.clusterVersion,
        apiKeyStatus: deriveApiKeyStatus({
          clusterType: spec.clusterType,
          hasUserTask: !!spec.userTask,
          status: 'Initializing',
        }),
        masterCnt: masters,
        workerCnt: spec.workerCnt,
        createdAt: t,
        spec: sealPasswords(spec, box),
        // A securityGroupName asks for a new group: it gets its id now, as the real service does.
        info: { securityGroupIds: spec.securityGroupIds ?? [randomUUID()] },
      }
      const created: NewEvent = {
        clusterId: id,
        at: t,
        type: 'StatusChanged',
        fromStatus: null,
        toStatus: 'Initializing',
        reason: 'USER_REQUEST',
        message: `create requested: ${spec.clusterType} ${spec.clusterVersion}, ${masters} master(s), ${spec.workerCnt} worker(s)`,
      }
      try {
        // An idempotent create records its answer in the same transaction; a plain one is the
        // store's single write (one statement on PostgreSQL).
        if (record)
          await store.transaction(async (trx) => {
            await store.clusters.insert(trx, cluster)
            await store.events.append(trx, created)
            await store.work.enqueue(trx, id, t)
            await record(trx, { id, name: spec.name, status: 'Initializing' })
          })
        else await store.clusters.insertNew(cluster, created, t)
      } catch (e) {
        if (e instanceof DuplicateNameError)
          throw new AppError(
            'DUPLICATE_CLUSTER_NAME',
            `a cluster named "${spec.name}" already exists in this project`,
            [
              {
                field: 'name',
                code: 'DUPLICATE_CLUSTER_NAME',
                message: `"${spec.name}" is in use by a cluster that is not terminated`,
              },
            ],
          )
        throw e
      }
      wake()
      return { id, name: spec.name, status: 'Initializing' }
    },

    async get(caller: Caller, id: string): Promise<Cluster> {
      // Not through load(): one async hop less on the hottest read.
      const c = await store.clusters.get(caller.project, id)
      if (!c) throw notFound(id)
      return toCluster(c, now())
    },

    async list(caller: Caller, query: Record<string, unknown>): Promise<Page<ClusterSummary>> {
      const page = parsePageRequest(query, CLUSTER_SORT_FIELDS)
      const t = now()
      const { rows, total } = await store.clusters.list(
        {
          project: caller.project,
          name: normalizeFilter(query.name),
          apiKeyStatus: normalizeFilter(query.apiKeyStatus),
          includeTerminated: parseBool(query.includeTerminated, 'includeTerminated', true),
        },
        page,
        t,
      )
      return toPage(
        rows.map((r) => toSummary(r, t)),
        page,
        total,
      )
    },

    async vms(caller: Caller, id: string, query: Record<string, unknown>): Promise<Page<Vm>> {
      const page = parsePageRequest(query, VM_SORT_FIELDS)
      const c = await load(caller, id)
      // DESIGN section 2: without a sort parameter, newest first (the page still reads unsorted).
      const order: PageRequest<VmSortField> =
        page.sort.length > 0 ? page : { ...page, sort: [{ field: 'createdAt', dir: 'desc' }] }
      const { rows, total } = await store.vms.list(
        {
          clusterId: c.id,
          name: normalizeFilter(query.name),
          ip: normalizeFilter(query.ip),
          instanceId: normalizeFilter(query.instanceId),
          status: normalizeFilter(query.status),
        },
        order,
      )
      return toPage(rows.map(toVm), page, total)
    },

    async events(caller: Caller, id: string, query: Record<string, unknown>): Promise<Page<ClusterEvent>> {
      const page = parsePageRequest({ page: query.page, size: query.size }, [] as const)
      const c = await load(caller, id)
      const { rows, total } = await store.events.list(c.id, page.page * page.size, page.size)
      return toPage(rows.map(toClusterEvent), page, total)
    },

    async delete(caller: Caller, id: string, record?: Recorder): Promise<ClusterRef> {
      // Retry once: a reconciler step may move the cluster between our read and our write.
      for (let attempt = 0; ; attempt++) {
        const c = await load(caller, id)
        if (isTerminated(c.status))
          throw new AppError('CLUSTER_TERMINATED', `cluster ${id} is already ${c.status}`, [
            { field: 'status', code: 'CLUSTER_TERMINATED', message: `cluster is ${c.status}` },
          ])
        if (c.status === 'Terminating') return ref(c, 'Terminating')
        const t = now()
        const done = await store.transaction(async (trx) => {
          const ok = await store.clusters.update(
            trx,
            c.id,
            { status: 'Terminating', terminalStatus: 'Terminated(User)' },
            t,
            { status: [c.status] },
          )
          if (!ok) return false
          await store.events.append(trx, {
            clusterId: c.id,
            at: t,
            type: 'StatusChanged',
            fromStatus: c.status,
            toStatus: 'Terminating',
            reason: 'USER_REQUEST',
            message:
              c.status === 'Running' || c.status === 'Processing'
                ? 'delete requested'
                : `delete requested while ${c.status}: the create in flight is cancelled`,
          })
          await store.work.enqueue(trx, c.id, t)
          await record?.(trx, ref(c, 'Terminating'))
          return true
        })
        if (done) {
          wake()
          return ref(c, 'Terminating')
        }
        if (attempt >= 5)
          throw new AppError('INVALID_CLUSTER_STATUS', `cluster ${id} is changing status; retry`)
      }
    },

    async scale(
      caller: Caller,
      id: string,
      direction: 'out' | 'in',
      body: unknown,
      record?: Recorder,
    ): Promise<ClusterRef> {
      const n = parseScaleRequest(body)
      const c = await load(caller, id)
      const reject = (
        code:
          | 'INVALID_CLUSTER_STATUS'
          | 'CLUSTER_NOT_SCALABLE'
          | 'SCALE_IN_BELOW_REPLICATION'
          | 'SCALE_OUT_ABOVE_MAXIMUM',
        message: string,
        field = 'scaleCnt',
      ) => new AppError(code, message, [{ field, code, message }])
      const check = (cur: ClusterRecord) => {
        if (isTerminated(cur.status) || cur.status !== 'Running')
          return reject(
            'INVALID_CLUSTER_STATUS',
            `cluster can be scaled only when Running (it is ${cur.status})`,
            'status',
          )
        if (!isScalable(cur))
          return reject(
            'CLUSTER_NOT_SCALABLE',
            'this cluster is not scalable (its userTask terminates it)',
            'isScalable',
          )
        if (direction === 'in' && cur.workerCnt - n < cur.hdfsReplication)
          return reject(
            'SCALE_IN_BELOW_REPLICATION',
            `scale-in of ${n} would leave ${cur.workerCnt - n} worker(s), fewer than config.hdfsReplication (${cur.hdfsReplication})`,
          )
        if (direction === 'out' && cur.workerCnt + n > MAX_WORKERS)
          return reject(
            'SCALE_OUT_ABOVE_MAXIMUM',
            `scale-out of ${n} would make ${cur.workerCnt + n} workers, more than ${MAX_WORKERS}`,
          )
        return undefined
      }
      const problem = check(c)
      if (problem) throw problem
      const target = direction === 'out' ? c.workerCnt + n : c.workerCnt - n
      const t = now()
      const done = await store.transaction(async (trx) => {
        // The guard re-checks status and the replication floor inside the write, so concurrent
        // scale requests cannot together take the cluster below hdfsReplication.
        const ok = await store.clusters.update(
          trx,
          c.id,
          { status: 'Processing', targetWorkerCnt: target },
          t,
          {
            status: ['Running'],
            ...(direction === 'in' ? { minWorkersAfter: { remove: n } } : {}),
          },
        )
        if (!ok) return false
        await store.events.append(trx, {
          clusterId: c.id,
          at: t,
          type: 'StatusChanged',
          fromStatus: 'Running',
          toStatus: 'Processing',
          reason: direction === 'out' ? 'SCALE_OUT_REQUESTED' : 'SCALE_IN_REQUESTED',
          message: `scale-${direction} of ${n} worker(s) requested (${c.workerCnt} -> ${target})`,
        })
        await store.work.enqueue(trx, c.id, t)
        await record?.(trx, ref(c, 'Processing'))
        return true
      })
      if (!done) {
        const cur = await load(caller, id)
        throw (
          check(cur) ??
          reject(
            'INVALID_CLUSTER_STATUS',
            `cluster can be scaled only when Running (it is ${cur.status})`,
            'status',
          )
        )
      }
      wake()
      return ref(c, 'Processing')
    },
  }
}

export type ClusterService = ReturnType<typeof createClusterService>
