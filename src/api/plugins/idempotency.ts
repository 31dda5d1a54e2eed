import type { FastifyReply, FastifyRequest } from 'fastify'
import type { IdempotencyClaim, IdempotencyService, Recorder } from '../../services/idempotency.js'

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: IdempotencyClaim
  }
}

/**
 * The HTTP side of `Idempotency-Key` (DESIGN section 6): reads the header, sends a replay, and
 * hands the answer back to the service once it is serialized. The rules live in
 * services/idempotency.ts.
 */
export const createIdempotency = (service: IdempotencyService) => {
  /** True when the request was answered here (a replay): the route must not run. */
  const preHandler = async (req: FastifyRequest, reply: FastifyReply, project: string): Promise<boolean> => {
    const raw = req.headers['idempotency-key']
    const key = raw === undefined ? undefined : Array.isArray(raw) ? (raw[0] ?? '') : raw
    const started = await service.start(project, key, {
      method: req.method,
      path: req.url.split('?')[0] ?? '',
      body: req.body,
    })
    if (started.kind === 'claimed') req.idempotency = started.claim
    if (started.kind !== 'replay') return false
    reply
      .code(started.status)
      .header('idempotent-replayed', 'true')
      .type('application/json')
      .send(started.body)
    return true
  }

  /** For a route whose service acts in one transaction (see IdempotencyService.recorder). */
  const recorder = (req: FastifyRequest): Recorder | undefined =>
    req.idempotency ? service.recorder(req.idempotency) : undefined

  const onSend = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = req.idempotency
    if (!claim) return payload
    req.idempotency = undefined
    await service.finish(
      claim,
      reply.statusCode,
      typeof payload === 'string' ? payload : String(payload ?? ''),
    )
    return payload
  }

  /**
   * The two hooks of a mutation route in the caller's project: replay before the handler, store
   * the answer once it is serialized.
   */
  const mutation = {
    preHandler: async (req: FastifyRequest, reply: FastifyReply) => {
      if (await preHandler(req, reply, req.caller.project)) return reply
      return undefined
    },
    onSend,
  }

  return { preHandler, onSend, recorder, mutation }
}

export type Idempotency = ReturnType<typeof createIdempotency>
