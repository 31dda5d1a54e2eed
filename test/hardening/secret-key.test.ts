import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { loadConfig } from '../../src/config.js'
import { createServer, type Server } from '../../src/server.js'
import { createSecretBox } from '../../src/services/secret-box.js'
import { freshDatabase, TEST_BACKEND, validBody } from '../helpers.js'
import { b64, BASE } from '../api/util.js'

/** Where the key that seals stored passwords comes from, and what the server refuses. */
describe('the secret key', () => {
  const dirs: string[] = []
  const servers: Server[] = []
  const drops: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close()
    for (const d of drops.splice(0)) await d()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  const setup = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-key-'))
    dirs.push(dir)
    const db = await freshDatabase(dir)
    drops.push(db.drop)
    return { dir, url: db.url }
  }
  const start = async (env: Record<string, string>, startReconciler = false) => {
    const s = await createServer(loadConfig({ HADOOP_ECO_CREDENTIALS: 'k-id:k-secret-1234@p', ...env }), {
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
      logger: pino({ level: 'silent' }),
      startReconciler,
    })
    servers.push(s)
    return s
  }
  const headers = { 'credential-id': 'k-id', 'credential-secret': 'k-secret-1234' }
  const storedPw = async (s: Server, name: string) => {
    const row = await s.store.database.db
      .selectFrom('clusters')
      .select('spec')
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
    return (JSON.parse(row.spec) as { adminInfo: { userPw: string } }).adminInfo.userPw
  }

  it('is generated on first start into the data directory, 0600, and reused after a restart', async () => {
    const { dir, url: given } = await setup()
    // on SQLite, a database in a folder that does not exist yet: it is created private
    const url = TEST_BACKEND === 'sqlite' ? `sqlite:${join(dir, 'data', 'hadoop-eco.db')}` : given
    const env = { HADOOP_ECO_DATABASE_URL: url, HADOOP_ECO_DATA_DIR: dir }
    const first = await start(env)
    const file = join(dir, 'secret.key')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    if (TEST_BACKEND === 'sqlite') expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700)
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
    expect(key.length).toBe(32)
    const res = await first.app.inject({
      method: 'POST',
      url: BASE,
      headers,
      payload: validBody({ name: 'keyed', adminInfo: { userId: 'u', userPw: b64('Pw-1') } }),
    })
    expect(res.statusCode, res.body).toBe(200)
    await first.close()
    servers.splice(0)

    const second = await start(env)
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toEqual(key)
    expect(createSecretBox(key).open(await storedPw(second, 'keyed'))).toBe(b64('Pw-1'))
  })

  it('refuses a key file that other users can read', async () => {
    const { dir, url } = await setup()
    const env = { HADOOP_ECO_DATABASE_URL: url, HADOOP_ECO_DATA_DIR: dir }
    await (await start(env)).close()
    servers.splice(0)
    chmodSync(join(dir, 'secret.key'), 0o644)
    await expect(start(env)).rejects.toThrow(/readable by other users .*chmod 600/)
  })

  it('refuses to start with another key than the one the database is sealed with', async () => {
    const { dir, url } = await setup()
    await (await start({ HADOOP_ECO_DATABASE_URL: url, HADOOP_ECO_DATA_DIR: dir })).close()
    servers.splice(0)
    await expect(
      start({ HADOOP_ECO_DATABASE_URL: url, HADOOP_ECO_SECRET_KEY: randomBytes(32).toString('base64') }),
    ).rejects.toThrow(/passwords are sealed with key \w+, but this server's key is \w+/)
  })

  it('takes HADOOP_ECO_SECRET_KEY as hex or base64, and names a bad one', async () => {
    const { dir, url } = await setup()
    const key = randomBytes(32)
    const env = { HADOOP_ECO_DATABASE_URL: url, HADOOP_ECO_DATA_DIR: dir }
    const s = await start({ ...env, HADOOP_ECO_SECRET_KEY: key.toString('hex') })
    const res = await s.app.inject({
      method: 'POST',
      url: BASE,
      headers,
      payload: validBody({ name: 'hexed', adminInfo: { userId: 'u', userPw: b64('Hex-Pw') } }),
    })
    expect(res.statusCode, res.body).toBe(200)
    // sealed with those 32 bytes, read as hex, and no key file made instead
    expect(createSecretBox(key).open(await storedPw(s, 'hexed'))).toBe(b64('Hex-Pw'))
    expect(() => statSync(join(dir, 'secret.key'))).toThrow()
    await s.close()
    servers.splice(0)
    // the same bytes in base64 (either alphabet) are the same key: the database opens with it
    for (const text of [key.toString('base64'), key.toString('base64url')]) {
      const again = await start({ ...env, HADOOP_ECO_SECRET_KEY: text })
      expect(createSecretBox(key).open(await storedPw(again, 'hexed'))).toBe(b64('Hex-Pw'))
      await again.close()
      servers.splice(0)
    }
    for (const bad of ['short', randomBytes(16).toString('base64'), 'z'.repeat(64)])
      expect(() => loadConfig({ HADOOP_ECO_SECRET_KEY: bad })).toThrow(
        /HADOOP_ECO_SECRET_KEY: expected 32 bytes/,
      )
  })

  it.each([
    ['a 0.1 database (no key recorded)', true],
    ['a start that crashed after recording its key, or an older replica', false],
  ])('seals passwords left in clear by %s on the next start', async (_label, dropKeyRecord) => {
    const { dir, url } = await setup()
    const key = randomBytes(32)
    const env = {
      HADOOP_ECO_DATABASE_URL: url,
      HADOOP_ECO_SECRET_KEY: key.toString('base64'),
      HADOOP_ECO_DATA_DIR: dir,
    }
    const s = await start(env)
    const res = await s.app.inject({
      method: 'POST',
      url: BASE,
      headers,
      payload: validBody({ name: 'legacy', adminInfo: { userId: 'u', userPw: b64('Old-Pw') } }),
    })
    expect(res.statusCode).toBe(200)
    // make it look like a 0.1 database: the password in clear, no key recorded
    const { db } = s.store.database
    const row = await db
      .selectFrom('clusters')
      .select('spec')
      .where('name', '=', 'legacy')
      .executeTakeFirstOrThrow()
    const spec = JSON.parse(row.spec) as { adminInfo: { userPw: string } }
    spec.adminInfo.userPw = b64('Old-Pw')
    await db
      .updateTable('clusters')
      .set({ spec: JSON.stringify(spec) })
      .where('name', '=', 'legacy')
      .execute()
    if (dropKeyRecord) await db.deleteFrom('settings').execute()
    // and idempotency records of that time: a stale one and one stored in clear
    await db
      .insertInto('idempotency_keys')
      .values([
        {
          project: 'p',
          key: 'old',
          request_hash: 'h',
          state: 'done',
          response_status: 200,
          response_body: '"x"',
          created_at: 0,
        },
        {
          project: 'p',
          key: 'clear',
          request_hash: 'h',
          state: 'done',
          response_status: 201,
          response_body: '{"secret":"in-clear"}',
          created_at: Date.UTC(2026, 0, 1),
        },
      ])
      .execute()
    await s.close()
    servers.splice(0)

    // The server answers before the pass over stored passwords ends; the reconciler, which
    // hands passwords to the provider, waits for it.
    const again = await start(env, true)
    expect(again.reconciler.running).toBe(false)
    expect((await again.app.inject({ url: '/readyz' })).json()).toMatchObject({
      checks: { reconciler: 'starting' },
    })
    expect((await again.app.inject({ method: 'GET', url: BASE, headers })).statusCode).toBe(200)
    await again.sealed
    expect(again.reconciler.running).toBe(true)
    const sealed = await storedPw(again, 'legacy')
    expect(sealed).toMatch(/^enc:v1:/)
    expect(createSecretBox(key).open(sealed)).toBe(b64('Old-Pw'))
    const keys = await again.store.database.db.selectFrom('idempotency_keys').select('key').execute()
    expect(keys.map((k) => k.key)).not.toContain('old')
    expect(keys.map((k) => k.key)).not.toContain('clear')
  })

  it('records how far specs were checked, so a start reads only the clusters made since (less a margin)', async () => {
    const { dir, url } = await setup()
    const key = randomBytes(32)
    const env = {
      HADOOP_ECO_DATABASE_URL: url,
      HADOOP_ECO_SECRET_KEY: key.toString('base64'),
      HADOOP_ECO_DATA_DIR: dir,
    }
    const s = await start(env)
    for (const name of ['one', 'two'])
      expect(
        (
          await s.app.inject({
            method: 'POST',
            url: BASE,
            headers,
            payload: validBody({ name, adminInfo: { userId: 'u', userPw: b64('Pw-1') } }),
          })
        ).statusCode,
      ).toBe(200)
    await s.close()
    servers.splice(0)
    const again = await start(env)
    await again.sealed
    const { db } = again.store.database
    const seqOf = async (name: string) =>
      Number(
        (await db.selectFrom('clusters').select('seq').where('name', '=', name).executeTakeFirstOrThrow())
          .seq,
      )
    // The restart checked everything there was, and says so.
    expect(await again.store.secrets.sealedThrough()).toBe(await seqOf('two'))
    // Both in clear again (as an older replica would write them): a pass from 'one' reads 'two' only.
    for (const name of ['one', 'two']) {
      const row = await db
        .selectFrom('clusters')
        .select('spec')
        .where('name', '=', name)
        .executeTakeFirstOrThrow()
      const spec = JSON.parse(row.spec) as { adminInfo: { userPw: string } }
      spec.adminInfo.userPw = b64('Pw-1')
      await db
        .updateTable('clusters')
        .set({ spec: JSON.stringify(spec) })
        .where('name', '=', name)
        .execute()
    }
    const seen: string[] = []
    const { lastSeq } = await again.store.secrets.resealSpecs(
      (spec) => {
        seen.push((JSON.parse(spec) as { name: string }).name)
        return undefined
      },
      await seqOf('one'),
    )
    expect(seen).toEqual(['two'])
    expect(lastSeq).toBe(await seqOf('two'))
    // Read a seq at a time (the pass yields to requests between chunks): nothing skipped.
    seen.length = 0
    await again.store.secrets.resealSpecs(
      (spec) => {
        seen.push((JSON.parse(spec) as { name: string }).name)
        return undefined
      },
      0,
      1,
    )
    expect(seen).toEqual(['one', 'two'])
  })

  it('a pass that fails for good is answered by `sealed`, and the reconciler never starts', async () => {
    const { dir, url } = await setup()
    const env = {
      HADOOP_ECO_DATABASE_URL: url,
      HADOOP_ECO_SECRET_KEY: randomBytes(32).toString('base64'),
      HADOOP_ECO_DATA_DIR: dir,
    }
    const s = await start(env)
    await s.sealed
    expect(
      (
        await s.app.inject({
          method: 'POST',
          url: BASE,
          headers,
          payload: validBody({ name: 'broken', adminInfo: { userId: 'u', userPw: b64('Pw-1') } }),
        })
      ).statusCode,
    ).toBe(200)
    // A spec no JSON parser reads, with a password in clear: not the database being away.
    await s.store.database.db
      .updateTable('clusters')
      .set({ spec: '{"adminInfo":{"userPw":"clear"' })
      .where('name', '=', 'broken')
      .execute()
    await s.close()
    servers.splice(0)
    const again = await start(env, true)
    expect(await again.sealed).toBeInstanceOf(SyntaxError)
    expect(again.reconciler.running).toBe(false)
    expect((await again.app.inject({ url: '/readyz' })).statusCode).toBe(503)
  })

  it.runIf(TEST_BACKEND === 'sqlite')(
    'an in-memory database gets a key that lives and dies with it',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-key-'))
      dirs.push(dir)
      await start({ HADOOP_ECO_DATABASE_URL: 'sqlite::memory:', HADOOP_ECO_DATA_DIR: dir })
      expect(() => statSync(join(dir, 'secret.key'))).toThrow()
    },
  )
})
