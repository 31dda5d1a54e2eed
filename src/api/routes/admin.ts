import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../domain/errors.js'
import type { AdminService } from '../../services/admin.js'
import { ADMIN_TOKEN } from '../openapi.js'
import type { Idempotency } from '../plugins/idempotency.js'
import type { AbuseLimits } from '../plugins/rate-limit.js'

export interface AdminRouteDeps {
  token: string | undefined
  admin: AdminService
  idempotency: Idempotency
  limits: AbuseLimits
}

/**
 * Admin keys live in their own namespace: a project name must start with a letter or digit, so
 * none can collide with it.
 */
const ADMIN_SCOPE = '_admin'

const digest = (s: string) => createHash('sha256').update(s).digest()

/**
 * DESIGN section 7. Without a token configured the routes are not registered at all: every
 * /_admin path is a plain 404 (never a 405 that would tell them apart) and /openapi.json leaves
 * them out.
 */
export const adminRoutes = async (scope: FastifyInstance, deps: AdminRouteDeps) => {
  const { token, admin, idempotency, limits } = deps
  if (!token) return
  const app = scope.withTypeProvider<TypeBoxTypeProvider>()
  app.addHook('onRequest', async (req) => {
    const blocked = limits.beforeAuth(req.ip)
    if (blocked) throw blocked
    const h = req.headers.authorization ?? ''
    const given = h.startsWith('Bearer ') ? h.slice(7) : ''
    if (!timingSafeEqual(digest(given), digest(token))) {
      if (given) limits.authFailed(req.ip)
      throw new AppError('UNAUTHORIZED', 'admin token missing or wrong')
    }
  })
  // Idempotency-Key on every POST and DELETE (DESIGN section 6), as on the cluster routes.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' && req.method !== 'DELETE') return undefined
    if (await idempotency.preHandler(req, reply, ADMIN_SCOPE)) return reply
    return undefined
  })
  app.addHook('onSend', idempotency.onSend)
  const tags = ['admin']
  const hdr = Type.Object({ authorization: Type.String({ description: 'Bearer <HADOOP_ECO_ADMIN_TOKEN>' }) })
  // The bearer token is a security scheme too (openapi.ts): Swagger UI's Authorize fills it in.
  const doc = { tags, headers: hdr, security: ADMIN_TOKEN }
  const idParam = Type.Object({ id: Type.String() })

  app.post('/_admin/credentials', { schema: doc }, async (req, reply) => {
    const created = await admin.createCredential(req.body)
    reply.code(201)
    return created
  })
  app.get('/_admin/credentials', { schema: doc }, () => admin.listCredentials())
  app.delete('/_admin/credentials/:id', { schema: { ...doc, params: idParam } }, async (req, reply) => {
    await admin.revokeCredential(req.params.id)
    reply.code(204).send()
  })

  app.post('/_admin/faults', { schema: doc }, async (req, reply) => {
    const fault = await admin.addFault(req.body)
    reply.code(201)
    return fault
  })
  app.get('/_admin/faults', { schema: doc }, () => admin.listFaults())
  app.delete('/_admin/faults/:id', { schema: { ...doc, params: idParam } }, async (req, reply) => {
    await admin.removeFault(req.params.id)
    reply.code(204).send()
  })

  app.post('/_admin/reset', { schema: doc }, async (_req, reply) => {
    await admin.reset()
    reply.code(204).send()
  })
}
