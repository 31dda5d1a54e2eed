import { AppError } from '../domain/errors.js'
import type { Store, Tx } from '../store/index.js'
import type { SecretBox } from './secret-box.js'

const TTL_MS = 24 * 60 * 60 * 1000
/** A claim still pending after this long belongs to a request that died; the key is freed. */
const ABANDONED_MS = 60_000
const WAIT_MS = 10_000
const KEY_RULE = /^[\x21-\x7e]{1,255}$/

/**
 * Records, inside the transaction that acts, the answer a retry with the same Idempotency-Key
 * must replay: a crash between acting and answering cannot make that retry act a second time.
 */
export type Recorder = (tx: Tx, result: unknown, status?: number) => Promise<void>

/** A key this request holds until its answer is stored (or the key released). */
export interface IdempotencyClaim {
  readonly project: string
  readonly key: string
  /** The status a recorder wrote, with the answer, inside the action's transaction. */
  recorded?: number
}

/** What to do with a request that carries (or not) an Idempotency-Key. */
export type IdempotencyStart =
  /** No key: act as usual. */
  | { kind: 'none' }
  /** First request with this key: act, then `finish` with the answer. */
  | { kind: 'claimed'; claim: IdempotencyClaim }
  /** A retry of a request already answered: send this again, do not act. */
  | { kind: 'replay'; status: number; body: string }

export interface IdempotencyDeps {
  store: Pick<Store['idempotency'], 'claim' | 'get' | 'complete' | 'completeIn' | 'release'>
  now: () => number
  /** A keyed hash (HMAC): the stored digest of a body must not let anyone test guesses at its passwords. */
  digest: (data: string) => string
  /**
   * Encrypts stored responses: one may hold a secret shown once (POST /_admin/credentials),
   * which a retry with the same key must get again but the database must not keep readable.
   */
  box: Pick<SecretBox, 'seal' | 'open' | 'isSealed'>
}

/**
 * `Idempotency-Key` on POST and DELETE (DESIGN section 6). The first request claims the key
 * with an insert the database arbitrates, so two racing requests cannot both act; the loser
 * waits for the winner's response and replays it.
 */
export const createIdempotencyService = ({ store, now, digest, box }: IdempotencyDeps) => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  // Rows stored before responses were sealed replay as they are.
  const openBody = (body: string | null) => (body && box.isSealed(body) ? box.open(body) : (body ?? ''))

  return {
    /**
     * Claims `key` in `project` for this request, or finds the answer to replay. `body` is the
     * parsed request body (undefined without one); a key reused for another request is a 422.
     */
    async start(
      project: string,
      key: string | undefined,
      request: { method: string; path: string; body: unknown },
    ): Promise<IdempotencyStart> {
      if (key === undefined) return { kind: 'none' }
      if (!KEY_RULE.test(key))
        throw new AppError('INVALID_PARAMETER', 'Idempotency-Key must be 1-255 printable ASCII characters', [
          {
            field: 'Idempotency-Key',
            code: 'INVALID_PARAMETER',
            message: 'must be 1-255 printable ASCII characters',
          },
        ])
      const { method, path, body } = request
      const hash = digest(`${method} ${path}\n${body === undefined ? '' : JSON.stringify(body)}`)
      const deadline = Date.now() + WAIT_MS
      for (;;) {
        const t = now()
        if (await store.claim(project, key, hash, t)) return { kind: 'claimed', claim: { project, key } }
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
        if (row.state === 'done')
          return { kind: 'replay', status: row.response_status ?? 200, body: openBody(row.response_body) }
        if (Date.now() > deadline)
          throw new AppError(
            'IDEMPOTENCY_IN_PROGRESS',
            'a request with this Idempotency-Key is still in progress; retry later',
          )
        await sleep(25)
      }
    },

    /**
     * For a use case that acts in one transaction: writes the answer (200 unless it says) in that
     * same transaction. That status answered means the transaction committed, so `finish` has
     * nothing left to store; any other answer means it rolled back, and `finish` stores that one.
     */
    recorder(claim: IdempotencyClaim): Recorder {
      return (tx, result, status = 200) => {
        claim.recorded = status
        return store.completeIn(tx, claim.project, claim.key, status, box.seal(JSON.stringify(result)))
      }
    },

    /** Stores what the first request answered; a 5xx frees the key so a retry can act. */
    async finish(claim: IdempotencyClaim, status: number, body: string): Promise<void> {
      if (claim.recorded !== undefined && status === claim.recorded) return
      if (status >= 500) await store.release(claim.project, claim.key)
      else await store.complete(claim.project, claim.key, status, box.seal(body))
    },
  }
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>
