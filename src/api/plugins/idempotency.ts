import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../domain/errors.js'
import type { Recorder } from '../../services/clusters.js'
import type { SecretBox } from '../../services/secret-box.js'
import type { IdempotencyStore } from '../../store/idempotency.js'

const TTL_MS = 24 * 60 * 60 * 1000
/** A claim still pending after this long belongs to a request that died; the key is freed. */
const ABANDONED_MS = 60_000
const WAIT_MS = 10_000
const KEY_RULE = /^[\x21-\x7e]{1,255}$/

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { project: string; key: string; recorded?: boolean }
  }
}

/**
 * `Idempotency-Key` on POST and DELETE (DESIGN section 6). The first request claims the key
 * with an insert the database arbitrates, so two racing requests cannot both act; the loser
 * waits for the winner's response and replays it.
 */
export const createIdempotency = ({
  store,
  now,
  digest,
  box,
}: {
  store: IdempotencyStore
  now: () => number
  /** A keyed hash (HMAC): the stored digest of a body must not let anyone test guesses at its passwords. */
  digest: (data: string) => string
  /**
   * Encrypts stored responses: one may hold a secret shown once (POST /_admin/credentials),
   * which a retry with the same key must get again but the database must not keep readable.
   */
  box: Pick<SecretBox, 'seal' | 'open' | 'isSealed'>
}) => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  // Rows stored before responses were sealed replay as they are.
  const openBody = (body: string | null) => (body && box.isSealed(body) ? box.open(body) : (body ?? ''))

  const preHandler = async (req: FastifyRequest, reply: FastifyReply, project: string): Promise<boolean> => {
    const raw = req.headers['idempotency-key']
    if (raw === undefined) return false
    const key = Array.isArray(raw) ? (raw[0] ?? '') : raw
    if (!KEY_RULE.test(key))
      throw new AppError('INVALID_PARAMETER', 'Idempotency-Key must be 1-255 printable ASCII characters', [
        {
          field: 'Idempotency-Key',
          code: 'INVALID_PARAMETER',
          message: 'must be 1-255 printable ASCII characters',
        },
      ])
    const path = req.url.split('?')[0]
    const hash = digest(`${req.method} ${path}\n${req.body === undefined ? '' : JSON.stringify(req.body)}`)
    const deadline = Date.now() + WAIT_MS
    for (;;) {
      const t = now()
      if (await store.claim(project, key, hash, t)) {
        req.idempotency = { project, key }
        return false
      }
      const row = await store.get(project, key)
      if (!row) continue
      if (row.created_at < t - TTL_MS || (row.state === 'pending' && row.created_at < t - ABANDONED_MS)) {
        await store.release(project, key, row.created_at + 1)
        continue
      }
      if (row.request_hash !== hash)
        throw new AppError(
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was used with a different request',
          [
            {
              field: 'Idempotency-Key',
              code: 'IDEMPOTENCY_KEY_REUSED',
              message: 'reuse a key only to retry the same request',
            },
          ],
        )
      if (row.state === 'done') {
        reply
          .code(row.response_status ?? 200)
          .header('idempotent-replayed', 'true')
          .type('application/json')
          .send(openBody(row.response_body))
        return true
      }
      if (Date.now() > deadline)
        throw new AppError(
          'IDEMPOTENCY_IN_PROGRESS',
          'a request with this Idempotency-Key is still in progress; retry later',
        )
      await sleep(25)
    }
  }

  /**
   * For a route whose service acts in one transaction: writes the 200 it will answer in that
   * same transaction. A 200 means that transaction committed, so onSend has nothing left to
   * store; any other answer means it rolled back, and onSend stores that one.
   */
  const recorder = (req: FastifyRequest): Recorder | undefined => {
    const claim = req.idempotency
    if (!claim) return undefined
    return (trx, result) => {
      claim.recorded = true
      return store.completeIn(trx, claim.project, claim.key, 200, box.seal(JSON.stringify(result)))
    }
  }

  /** Stores what the first request answered; a 5xx frees the key so a retry can act. */
  const onSend = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = req.idempotency
    if (!claim) return payload
    req.idempotency = undefined
    if (claim.recorded && reply.statusCode === 200) return payload
    if (reply.statusCode >= 500) await store.release(claim.project, claim.key)
    else
      await store.complete(
        claim.project,
        claim.key,
        reply.statusCode,
        box.seal(typeof payload === 'string' ? payload : String(payload ?? '')),
      )
    return payload
  }

  return { preHandler, onSend, recorder }
}
