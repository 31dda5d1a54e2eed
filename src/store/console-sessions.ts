import type { Database } from './db.js'
import { hasNul } from './text.js'

/** A web console session as the layers above see it (DESIGN section 13). */
export interface ConsoleSessionRecord {
  tokenHash: string
  credentialId: string
  project: string
  /** The credential's owner, read with the session (the caller of its requests). */
  owner: string
  csrfToken: string
  createdAt: number
  lastSeenAt: number
  expiresAt: number
}

export type NewConsoleSession = Omit<ConsoleSessionRecord, 'owner'>

interface LiveRow {
  token_hash: string
  credential_id: string
  project: string
  owner: string
  csrf_token: string
  created_at: number
  last_seen_at: number
  expires_at: number
}

export const createConsoleSessionStore = (database: Database) => {
  const { db } = database
  // Every cookie-authenticated request runs this, so it is compiled once. Joined with the
  // active credentials: a revoked credential ends its sessions at once, on every replica,
  // without a write to them.
  const live = database.prepared<LiveRow>(
    db
      .selectFrom('console_sessions as s')
      .innerJoin('credentials as c', 'c.id', 's.credential_id')
      .select([
        's.token_hash',
        's.credential_id',
        'c.project',
        'c.owner',
        's.csrf_token',
        's.created_at',
        's.last_seen_at',
        's.expires_at',
      ])
      .where('s.token_hash', '=', '?')
      .where('s.expires_at', '>', 0) // `now`
      .where('c.revoked_at', 'is', null)
      .compile(),
  )
  return {
    async insert(s: NewConsoleSession): Promise<void> {
      await db
        .insertInto('console_sessions')
        .values({
          token_hash: s.tokenHash,
          credential_id: s.credentialId,
          project: s.project,
          csrf_token: s.csrfToken,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
          expires_at: s.expiresAt,
        })
        .execute()
    },

    /** The session, unless it expired by `now`, was deleted, or its credential was revoked. */
    async getLive(tokenHash: string, now: number): Promise<ConsoleSessionRecord | undefined> {
      if (hasNul(tokenHash)) return undefined
      const [r] = await live([tokenHash, now])
      if (!r) return undefined
      return {
        tokenHash: r.token_hash,
        credentialId: r.credential_id,
        project: r.project,
        owner: r.owner,
        csrfToken: r.csrf_token,
        createdAt: r.created_at,
        lastSeenAt: r.last_seen_at,
        expiresAt: r.expires_at,
      }
    },

    /**
     * Moves the session's end. Never backwards, and never brings back a session that expired or
     * was deleted meanwhile (by another replica): false then.
     */
    async touch(tokenHash: string, now: number, expiresAt: number): Promise<boolean> {
      const res = await db
        .updateTable('console_sessions')
        .set({ last_seen_at: now, expires_at: expiresAt })
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .where('expires_at', '<', expiresAt)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    },

    async delete(tokenHash: string): Promise<boolean> {
      if (hasNul(tokenHash)) return false
      const res = await db
        .deleteFrom('console_sessions')
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst()
      return Number(res.numDeletedRows) === 1
    },

    /** Deletes the sessions that ended by `now`; how many. */
    async purgeExpired(now: number): Promise<number> {
      const res = await db.deleteFrom('console_sessions').where('expires_at', '<=', now).executeTakeFirst()
      return Number(res.numDeletedRows)
    },
  }
}

export type ConsoleSessionStore = ReturnType<typeof createConsoleSessionStore>
