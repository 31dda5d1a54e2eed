import { randomBytes, randomUUID } from 'node:crypto'
import { masterCountFor, type ClusterRecord } from '../domain/cluster.js'
import { parseRerunRequest } from '../domain/cluster-spec.js'
import { AppError } from '../domain/errors.js'
import {
  applyOverrides,
  clusterMeta,
  describeOverrides,
  mainSettings,
  toJobRequest,
} from '../domain/job-runs.js'
import { parsePageRequest, toPage } from '../domain/paging.js'
import { deriveApiKeyStatus, isTerminated } from '../domain/statuses.js'
import type { Store } from '../store/index.js'
import { DuplicateNameError } from '../store/index.js'
import type { ApiKey, JobRequest, Page, RerunResponse } from '../wire/schemas.js'
import type { Caller } from './clusters.js'
import { hashSecret, sameHash } from './credentials.js'
import type { Recorder } from './idempotency.js'

interface Deps {
  store: Pick<Store, 'clusters' | 'events' | 'work' | 'apiKeys' | 'jobRequests' | 'transaction'>
  now: () => number
  /** Tells the local reconciler there is new desired state (other replicas poll). */
  wake: () => void
}

const notFound = (id: string) => new AppError('CLUSTER_NOT_FOUND', `cluster ${id} not found`)
const invalidKey = () =>
  new AppError('API_KEY_INVALID', 'the Hadoop-Eco-Api-Key header does not match the key of this cluster', [
    { field: 'Hadoop-Eco-Api-Key', code: 'API_KEY_INVALID', message: 'not the key of this cluster' },
  ])
// Compared against when a cluster has no key, so the answer takes as long either way.
const DUMMY_HASH = hashSecret('no-key-issued')
const conflict = (code: 'CLUSTER_BUSY' | 'API_KEY_NOT_POSSIBLE', message: string) =>
  new AppError(code, message, [{ field: 'status', code, message }])

/**
 * DESIGN section 11: the Open API key of a job cluster, its re-runs and their requests. A key is
 * 256 random bits shown once; only its SHA-256 is stored, compared in constant time.
 */
export const createJobClusterService = ({ store, now, wake }: Deps) => {
  const load = async (caller: Caller, id: string): Promise<ClusterRecord> => {
    const c = await store.clusters.get(caller.project, id)
    if (!c) throw notFound(id)
    return c
  }

  /** The cluster, once `apiKey` is shown to be its key: 401 without one, 403 for a wrong one. */
  const authorize = async (
    caller: Caller,
    id: string,
    apiKey: string | undefined,
  ): Promise<ClusterRecord> => {
    if (apiKey === undefined || apiKey === '')
      throw new AppError('API_KEY_REQUIRED', 'the Hadoop-Eco-Api-Key header is required', [
        { field: 'Hadoop-Eco-Api-Key', code: 'API_KEY_REQUIRED', message: 'required' },
      ])
    const c = await load(caller, id)
    const stored = await store.apiKeys.hash(c.id)
    if (!sameHash(stored ?? DUMMY_HASH, apiKey) || stored === undefined) throw invalidKey()
    return c
  }

  return {
    authorize,

    /**
     * Each of these three locks the cluster's row first, so issue, revoke and re-run take turns:
     * the key table and apiKeyStatus always agree, and a revoke that answered 204 leaves no key.
     */
    async issueKey(caller: Caller, id: string, record?: Recorder): Promise<ApiKey> {
      const c = await load(caller, id)
      const apiKey = `hek_${randomBytes(32).toString('base64url')}`
      const answer: ApiKey = { clusterId: c.id, apiKey }
      const t = now()
      await store.transaction(async (tx) => {
        const cur = (await store.clusters.lock(tx, c.id)) ?? c
        if (cur.apiKeyStatus !== 'possible')
          throw conflict(
            'API_KEY_NOT_POSSIBLE',
            cur.apiKeyStatus === 'applied'
              ? `cluster ${id} already has a key: revoke it first to issue a new one`
              : `a key can be issued only for a terminated hadoop cluster with a hive or spark userTask (apiKeyStatus is ${cur.apiKeyStatus})`,
          )
        await store.apiKeys.insert(tx, c.id, hashSecret(apiKey), t)
        await store.clusters.update(tx, c.id, { apiKeyStatus: 'applied' }, t)
        // In the same transaction: a retry after a crash gets this key again, not a 409.
        await record?.(tx, answer, 201)
      })
      return answer
    },

    async revokeKey(caller: Caller, id: string): Promise<void> {
      const c = await load(caller, id)
      await store.transaction(async (tx) => {
        const cur = (await store.clusters.lock(tx, c.id)) ?? c
        await store.apiKeys.delete(tx, c.id)
        await store.clusters.update(
          tx,
          c.id,
          {
            apiKeyStatus: deriveApiKeyStatus({
              clusterType: cur.clusterType,
              hasUserTask: !!cur.spec.userTask,
              status: cur.status,
              hasRun: cur.info.run !== undefined,
            }),
          },
          now(),
        )
      })
    },

    async rerun(
      caller: Caller,
      id: string,
      apiKey: string,
      body: unknown,
      record?: Recorder,
    ): Promise<RerunResponse> {
      const c = await authorize(caller, id, apiKey)
      // Checked here for a quick 400; again below against the cluster as locked.
      parseRerunRequest(body, c.spec)
      const requestId = randomUUID()
      const t = now()
      try {
        const answer = await store.transaction(async (tx) => {
          const cur = (await store.clusters.lock(tx, c.id)) ?? c
          // The key is checked again under the lock: a revoke that landed meanwhile wins.
          const stored = await store.apiKeys.hash(c.id, tx)
          if (stored === undefined || !sameHash(stored, apiKey)) throw invalidKey()
          // Of several racing re-runs, the first to lock moves the cluster; the others find it busy.
          if (!isTerminated(cur.status))
            throw conflict(
              'CLUSTER_BUSY',
              `cluster ${id} can be run again only once it is terminated (it is ${cur.status})`,
            )
          const overrides = parseRerunRequest(body, cur.spec)
          const spec = applyOverrides(cur.spec, overrides)
          const n = (cur.info.run?.n ?? 1) + 1
          const settings = mainSettings(spec)
          await store.clusters.update(
            tx,
            c.id,
            {
              status: 'Initializing',
              terminalStatus: null,
              apiKeyStatus: 'applied',
              masterCnt: masterCountFor(spec.isHa),
              workerCnt: spec.workerCnt,
              targetWorkerCnt: spec.workerCnt,
              hdfsReplication: spec.config.hdfsReplication,
              runningAt: null,
              terminatedAt: null,
              spec,
              info: { securityGroupIds: cur.info.securityGroupIds, run: { n, requestId } },
            },
            t,
          )
          await store.events.append(tx, {
            clusterId: c.id,
            at: t,
            type: 'StatusChanged',
            fromStatus: cur.status,
            toStatus: 'Initializing',
            reason: 'RERUN_REQUESTED',
            message: `re-run ${n} requested (request ${requestId}): ${describeOverrides(overrides)}`,
          })
          await store.jobRequests.insert(tx, {
            id: requestId,
            clusterId: c.id,
            run: n,
            status: 'Processing',
            result: `re-run ${n}: the cluster is Initializing`,
            settings,
            meta: clusterMeta(cur.name, spec),
            createdAt: t,
            endedAt: null,
          })
          await store.work.enqueue(tx, c.id, t)
          const out: RerunResponse = {
            clusterId: c.id,
            clusterName: cur.name,
            requestId,
            clusterMainSettingValues: settings,
          }
          await record?.(tx, out)
          return out
        })
        wake()
        return answer
      } catch (e) {
        if (e instanceof DuplicateNameError)
          throw new AppError(
            'DUPLICATE_CLUSTER_NAME',
            `a cluster named "${c.name}" is live in this project: this one cannot run again until it ends`,
            [
              {
                field: 'name',
                code: 'DUPLICATE_CLUSTER_NAME',
                message: `"${c.name}" is in use by a live cluster`,
              },
            ],
          )
        throw e
      }
    },

    async request(
      caller: Caller,
      id: string,
      apiKey: string | undefined,
      requestId: string,
      verbose: boolean,
    ): Promise<JobRequest> {
      const c = await authorize(caller, id, apiKey)
      const r = await store.jobRequests.get(c.id, requestId)
      if (!r) throw new AppError('REQUEST_NOT_FOUND', `request ${requestId} of cluster ${id} not found`)
      return toJobRequest(r, c.name, verbose)
    },

    /** Newest first. */
    async requests(
      caller: Caller,
      id: string,
      apiKey: string | undefined,
      query: Record<string, unknown>,
    ): Promise<Page<JobRequest>> {
      const c = await authorize(caller, id, apiKey)
      const page = parsePageRequest({ page: query.page, size: query.size }, [] as const)
      const { rows, total } = await store.jobRequests.list(c.id, page.page * page.size, page.size)
      return toPage(
        rows.map((r) => toJobRequest(r, c.name, false)),
        page,
        total,
      )
    },
  }
}

export type JobClusterService = ReturnType<typeof createJobClusterService>
