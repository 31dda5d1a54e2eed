import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { AppError } from '../domain/errors.js'
import type { CredentialRow, CredentialStore } from '../store/credentials.js'
import type { Caller } from './clusters.js'

/**
 * Secrets are 256-bit random tokens, so a plain SHA-256 is as strong as a slow KDF against
 * guessing, and keeps the per-request check in microseconds. Only the hash is stored.
 */
export const hashSecret = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('hex')

const DUMMY_HASH = hashSecret('not-a-credential')

/** Compares a stored hex hash with a secret's digest in constant time. */
export const sameHash = (storedHex: string, secret: string): boolean => {
  const stored = Buffer.from(storedHex, 'hex')
  const given = createHash('sha256').update(secret, 'utf8').digest()
  return stored.length === given.length && timingSafeEqual(stored, given)
}

export interface NewCredential {
  id: string
  secret: string
  project: string
  owner: string
}

export const PROJECT_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** `id:secret[@project]` items, comma separated (DESIGN section 1). */
export const parseCredentialList = (text: string): { id: string; secret: string; project: string }[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const colon = item.indexOf(':')
      if (colon <= 0)
        throw new Error(`HADOOP_ECO_CREDENTIALS item "${item.split(':')[0]}..." must be id:secret[@project]`)
      const id = item.slice(0, colon)
      let rest = item.slice(colon + 1)
      let project = 'default'
      const at = rest.lastIndexOf('@')
      if (at >= 0) {
        project = rest.slice(at + 1)
        rest = rest.slice(0, at)
      }
      if (rest.length < 8)
        throw new Error(`HADOOP_ECO_CREDENTIALS: the secret of "${id}" must have at least 8 characters`)
      if (!PROJECT_RULE.test(project))
        throw new Error(`HADOOP_ECO_CREDENTIALS: "${project}" is not a valid project name`)
      return { id, secret: rest, project }
    })

/**
 * Active credentials are cached for a second: every request authenticates, and the lookup
 * would otherwise be a third of a GET's database work. A revoke through this process takes
 * effect at once; one made by another replica (or the CLI) within CACHE_MS.
 */
const CACHE_MS = 1000

export const createCredentialService = ({ store, now }: { store: CredentialStore; now: () => number }) => {
  // `verified`: the last secret that matched the row, so a client sending the same pair again
  // skips the SHA-256 (a tenth of a cached GET's time). Compared in constant time; a guess of
  // another length, or for an id nobody used in the last second, is hashed as before. The
  // price: a second's worth of verified secrets live in memory, as every request's headers do.
  const cache = new Map<string, { row: CredentialRow | undefined; at: number; verified?: Buffer }>()
  const lookup = async (id: string) => {
    const hit = cache.get(id)
    const t = Date.now()
    if (hit && t - hit.at < CACHE_MS) return hit
    const row = await store.getActive(id)
    // Unknown ids are cached too, so a second probe is answered alike whether the id exists or
    // not (timing tells nothing); the map is bounded, so a flood of random ids cannot grow it.
    if (cache.size > 10_000) cache.clear()
    // A refreshed row keeps the verified secret only while its hash is the same.
    const verified = hit?.row && row && hit.row.secret_hash === row.secret_hash ? hit.verified : undefined
    const entry = { row, at: t, verified }
    cache.set(id, entry)
    return entry
  }
  // The same work whether or not the id exists, so timing does not tell which ids are real.
  const verify = (entry: { row: CredentialRow | undefined; verified?: Buffer }, secret: string): Caller => {
    const { row } = entry
    const given = Buffer.from(secret, 'utf8')
    const seen = entry.verified
    if (!(row && seen && seen.length === given.length && timingSafeEqual(seen, given))) {
      const ok = sameHash(row?.secret_hash ?? DUMMY_HASH, secret)
      if (!row || !ok) throw new AppError('UNAUTHORIZED', 'credential authentication failed')
      entry.verified = given
    }
    return { credentialId: row.id, project: row.project, owner: row.owner }
  }
  return {
    /**
     * The synchronous fast path of authenticate: answers from the cache when it can (a Caller,
     * or a thrown 401), and returns undefined when the database must be asked.
     */
    authenticateCached(id: string | undefined, secret: string | undefined): Caller | undefined {
      if (!id || !secret)
        throw new AppError('UNAUTHORIZED', 'Credential-ID and Credential-Secret headers are required')
      const hit = cache.get(id)
      if (!hit || Date.now() - hit.at >= CACHE_MS) return undefined
      return verify(hit, secret)
    },

    /** Checks a Credential-ID/Credential-Secret pair against the database (through the cache). */
    async authenticate(id: string | undefined, secret: string | undefined): Promise<Caller> {
      if (!id || !secret)
        throw new AppError('UNAUTHORIZED', 'Credential-ID and Credential-Secret headers are required')
      return verify(await lookup(id), secret)
    },

    async create(
      project: string,
      owner?: string,
      fixed?: { id: string; secret: string },
    ): Promise<NewCredential & { created: boolean }> {
      if (!PROJECT_RULE.test(project))
        throw new AppError('INVALID_VALUE', 'project must be 1-64 letters, digits, ".", "_" or "-"', [
          {
            field: 'project',
            code: 'INVALID_VALUE',
            message: 'project must be 1-64 letters, digits, ".", "_" or "-"',
          },
        ])
      const id = fixed?.id ?? randomBytes(16).toString('hex')
      const secret = fixed?.secret ?? randomBytes(32).toString('base64url')
      const created = await store.insert({
        id,
        project,
        owner: owner ?? id,
        secret_hash: hashSecret(secret),
        created_at: now(),
        revoked_at: null,
      })
      // A probe of this id in the last second may have cached it as unknown.
      cache.delete(id)
      return { id, secret, project, owner: owner ?? id, created }
    },

    async list() {
      return (await store.list()).map((r) => ({
        id: r.id,
        project: r.project,
        owner: r.owner,
        createdAt: r.created_at,
        ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
      }))
    },

    async revoke(id: string) {
      cache.delete(id)
      try {
        return await store.revoke(id, now())
      } finally {
        // Again after the write: a lookup under way during it may have cached the row as it was.
        cache.delete(id)
      }
    },
    countActive: () => store.countActive(),
  }
}

export type CredentialService = ReturnType<typeof createCredentialService>
