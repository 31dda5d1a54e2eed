import { randomUUID, timingSafeEqual, createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { AppError } from '../../domain/errors.js'
import { FAULT_KINDS, isFaultKind } from '../../domain/faults.js'
import type { CredentialService } from '../../services/credentials.js'
import type { createIdempotency } from '../plugins/idempotency.js'
import type { AbuseLimits } from '../plugins/rate-limit.js'
import type { FaultRow } from '../../store/faults.js'
import type { Store } from '../../store/index.js'

export interface AdminDeps {
  token: string | undefined
  credentials: CredentialService
  store: Pick<Store, 'faults' | 'clusters' | 'vms' | 'events' | 'work' | 'transaction'> & {
    resetProvider: () => Promise<void>
  }
  now: () => number
  onFaultsChanged: () => void
  idempotency: ReturnType<typeof createIdempotency>
  limits: AbuseLimits
}

/**
 * Admin keys live in their own namespace: a project name must start with a letter or digit, so
 * none can collide with it.
 */
const ADMIN_SCOPE = '_admin'

const digest = (s: string) => createHash('sha256').update(s).digest()

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
/** No label or glob has a use for control characters; U+0000 cannot even be stored in PostgreSQL. */
const hasControl = (s: string) => [...s].some((ch) => ch < ' ' || ch === '\u007f')
/** `times_left` is a 32-bit integer column. */
const MAX_TIMES = 2_147_483_647
const bad = (field: string, message: string) =>
  new AppError('INVALID_VALUE', message, [{ field, code: 'INVALID_VALUE', message }])

/** DESIGN section 7. Without a token configured every /_admin path is a plain 404. */
export const adminRoutes = async (app: FastifyInstance, deps: AdminDeps) => {
  const { token, credentials, store, now } = deps
  app.addHook('onRequest', async (req) => {
    if (!token) throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.url.split('?')[0]}`)
    const blocked = deps.limits.beforeAuth(req.ip)
    if (blocked) throw blocked
    const h = req.headers.authorization ?? ''
    const given = h.startsWith('Bearer ') ? h.slice(7) : ''
    if (!timingSafeEqual(digest(given), digest(token))) {
      if (given) deps.limits.authFailed(req.ip)
      throw new AppError('UNAUTHORIZED', 'admin token missing or wrong')
    }
  })
  // Idempotency-Key on every POST and DELETE (DESIGN section 6), as on the cluster routes.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' && req.method !== 'DELETE') return undefined
    if (await deps.idempotency.preHandler(req, reply, ADMIN_SCOPE)) return reply
    return undefined
  })
  app.addHook('onSend', deps.idempotency.onSend)
  const tags = ['admin']
  const hdr = Type.Object({ authorization: Type.String({ description: 'Bearer <HADOOP_ECO_ADMIN_TOKEN>' }) })

  app.post('/_admin/credentials', { schema: { tags, headers: hdr } }, async (req, reply) => {
    const body = req.body
    if (!isObj(body) || typeof body.project !== 'string') throw bad('project', 'project is required')
    if (body.owner !== undefined && typeof body.owner !== 'string')
      throw bad('owner', 'owner must be a string')
    if (typeof body.owner === 'string' && hasControl(body.owner))
      throw bad('owner', 'owner must not contain control characters')
    const c = await credentials.create(body.project, body.owner as string | undefined)
    reply.code(201)
    return { id: c.id, secret: c.secret, project: c.project, owner: c.owner }
  })
  app.get('/_admin/credentials', { schema: { tags, headers: hdr } }, () => credentials.list())
  app.delete('/_admin/credentials/:id', { schema: { tags, headers: hdr } }, async (req, reply) => {
    const { id } = req.params as { id: string }
    if (!(await credentials.revoke(id)))
      throw new AppError('NOT_FOUND', `credential ${id} not found or already revoked`)
    reply.code(204).send()
  })

  app.post('/_admin/faults', { schema: { tags, headers: hdr } }, async (req, reply) => {
    const body = req.body
    if (!isObj(body)) throw bad('', 'body must be a JSON object')
    if (!isFaultKind(body.fault)) throw bad('fault', `fault must be one of ${FAULT_KINDS.join(', ')}`)
    const match = body.match === undefined ? {} : body.match
    if (!isObj(match)) throw bad('match', 'match must be an object')
    for (const k of ['clusterName', 'path'] as const)
      if (
        match[k] !== undefined &&
        (typeof match[k] !== 'string' || match[k] === '' || hasControl(match[k] as string))
      )
        throw bad(`match.${k}`, `match.${k} must be a non-empty glob without control characters`)
    if (body.fault === 'apiError' && match.path === undefined)
      throw bad('match.path', 'an apiError fault needs match.path')
    if (body.fault !== 'apiError' && match.clusterName === undefined)
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
    const row = {
      id: randomUUID(),
      cluster_name_glob: (match.clusterName as string | undefined) ?? null,
      path_glob: (match.path as string | undefined) ?? null,
      fault: body.fault,
      status: status as number | null,
      times_left: times as number | null,
      created_at: now(),
    }
    await store.faults.insert(row)
    deps.onFaultsChanged()
    reply.code(201)
    return toFault(row)
  })
  app.get('/_admin/faults', { schema: { tags, headers: hdr } }, async () =>
    (await store.faults.list()).map(toFault),
  )
  app.delete('/_admin/faults/:id', { schema: { tags, headers: hdr } }, async (req, reply) => {
    const { id } = req.params as { id: string }
    if (!(await store.faults.remove(id))) throw new AppError('NOT_FOUND', `fault ${id} not found`)
    deps.onFaultsChanged()
    reply.code(204).send()
  })

  app.post('/_admin/reset', { schema: { tags, headers: hdr } }, async (_req, reply) => {
    await store.transaction(async (trx) => {
      await store.work.deleteAll(trx)
      await store.events.deleteAll(trx)
      await store.vms.deleteAll(trx)
      await store.clusters.deleteAll(trx)
      await store.faults.deleteAll(trx)
    })
    await store.resetProvider()
    deps.onFaultsChanged()
    reply.code(204).send()
  })
}

const toFault = (r: FaultRow) => ({
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
