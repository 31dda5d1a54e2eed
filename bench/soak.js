// npm run soak: a bounded open-loop load of every operation against the real server, then the
// accounting: every accepted request is reflected in the final state, and the database passes
// the invariant checker (src/store/invariants.ts). Exits 1 on any violation.
//
//   SOAK_SECONDS (120)    length of the load
//   SOAK_RATE (60)        operations per second, started on schedule whatever the server's latency
//                         (most are one request; an idempotent create is three, a retried delete two)
//   SOAK_TIME_SCALE       simulator speed (0.005: create to Running in about 1.7 s)
//   SOAK_SEED             seed of the request mix (default: from the clock; printed)
//   --postgres URL        run on a fresh database created through URL (or SOAK_POSTGRES_URL)
//
// Aimed at 127.0.0.1 only.
import { randomUUID } from 'node:crypto'
import { URLSearchParams } from 'node:url'
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, pgDatabase, rssMb, sleep, spawnNode, waitHttp, ROOT } from './lib.js'

const argPg = process.argv.indexOf('--postgres')
const PG_URL = argPg > 0 ? process.argv[argPg + 1] : process.env.SOAK_POSTGRES_URL
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120)
const RATE = Number(process.env.SOAK_RATE ?? 60)
const TIME_SCALE = process.env.SOAK_TIME_SCALE ?? '0.005'
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000)
const SETTLE_MS = Number(process.env.SOAK_SETTLE_SECONDS ?? 120) * 1000
const MAX_IN_FLIGHT = 2000
const ADMIN = 'soak-admin-token'
const PROJECTS = [
  { project: 'soak-a', id: 'soak-a-id', secret: 'soak-a-secret-123' },
  { project: 'soak-b', id: 'soak-b-id', secret: 'soak-b-secret-123' },
]

// A small deterministic PRNG (mulberry32), so a failing mix can be replayed with SOAK_SEED.
let rngState = SEED >>> 0
const rand = () => {
  rngState = (rngState + 0x6d2b79f5) >>> 0
  let t = rngState
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)]
const chance = (p) => rand() < p

const TRANSITIONAL = new Set(['Initializing', 'Creating', 'Installing', 'Processing', 'Terminating'])

// ---------------------------------------------------------------- the server under test

const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-soak-'))
const database = PG_URL
  ? await pgDatabase(PG_URL, 'soak')
  : { url: `sqlite:${join(dir, 'soak.db')}`, drop: async () => undefined }
const port = await freePort()
const logFile = join(dir, 'server.log')
const server = spawnNode(
  ['bin/hadoop-eco.js', 'serve', '--port', String(port)],
  {
    HADOOP_ECO_DATABASE_URL: database.url,
    HADOOP_ECO_CREDENTIALS: PROJECTS.map((p) => `${p.id}:${p.secret}@${p.project}`).join(','),
    HADOOP_ECO_ADMIN_TOKEN: ADMIN,
    HADOOP_ECO_TIME_SCALE: TIME_SCALE,
    HADOOP_ECO_LOG_LEVEL: 'info',
  },
  openSync(logFile, 'w'),
)
const origin = `http://127.0.0.1:${port}`
const BASE = `${origin}/v2/hadoop-eco/clusters`
await waitHttp(`${origin}/healthz`)

// ---------------------------------------------------------------- recording

/** Per request kind: counts by status, latencies, and what went wrong. */
const stats = new Map()
const violations = []
const violate = (what) => {
  violations.push(what)
  if (violations.length <= 20) console.error(`VIOLATION: ${what}`)
}
const record = (kind, status, ms) => {
  let s = stats.get(kind)
  if (!s) stats.set(kind, (s = { count: 0, statuses: {}, ms: [] }))
  s.count++
  s.statuses[status] = (s.statuses[status] ?? 0) + 1
  s.ms.push(ms)
}
let networkErrors = 0
let serverErrors = 0
let inFlight = 0
let skipped = 0

const headersFor = (p, extra = {}) => ({
  'credential-id': p.id,
  'credential-secret': p.secret,
  ...extra,
})

/**
 * One request: the whole body is read and parsed (a truncated or non-JSON body is a violation),
 * the status must be one `allowed` for this kind, and 5xx or a network error always counts.
 */
const call = async (kind, method, url, { project, body, headers = {}, allowed, raw } = {}) => {
  inFlight++
  const t0 = performance.now()
  try {
    const res = await fetch(url, {
      method,
      headers: {
        ...(project ? headersFor(project) : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    })
    const text = await res.text()
    const ms = performance.now() - t0
    record(kind, res.status, ms)
    if (res.status >= 500) {
      serverErrors++
      violate(`${kind}: ${method} ${url} answered ${res.status}: ${text.slice(0, 300)}`)
    } else if (allowed && !allowed.includes(res.status))
      violate(
        `${kind}: ${method} ${url} answered ${res.status} (expected ${allowed.join('/')}): ${text.slice(0, 300)}`,
      )
    let json
    try {
      json = JSON.parse(text)
    } catch {
      violate(
        `${kind}: ${method} ${url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      )
    }
    if (json && res.status >= 400 && (json.status !== res.status || typeof json.code !== 'string'))
      violate(`${kind}: error body does not match the envelope: ${text.slice(0, 200)}`)
    return { status: res.status, json, headers: res.headers }
  } catch (e) {
    record(kind, 'network', performance.now() - t0)
    networkErrors++
    violate(`${kind}: ${method} ${url}: network error ${e.cause?.code ?? ''} ${e.message}`)
    return { status: 0 }
  } finally {
    inFlight--
  }
}

const isRef = (j) =>
  j &&
  typeof j.id === 'string' &&
  typeof j.name === 'string' &&
  typeof j.status === 'string' &&
  Object.keys(j).length === 3
const isPage = (j) =>
  j &&
  Array.isArray(j.content) &&
  typeof j.totalElements === 'number' &&
  typeof j.totalPages === 'number' &&
  typeof j.pageable === 'object' &&
  j.numberOfElements === j.content.length

// ---------------------------------------------------------------- what the client knows

/**
 * Every accepted create: its id, name and project, and what we accepted since. `kind` says how
 * it should end: plain clusters live until deleted, `job` ones end by their userTask, `fail`
 * ones by an injected provisioning or installation fault.
 */
const clusters = new Map()
const byProject = new Map(PROJECTS.map((p) => [p.project, []]))
let nameSeq = 0
const freshName = (prefix) => `${prefix}${(nameSeq++).toString(36)}-${Math.floor(rand() * 1296).toString(36)}`

const spec = (name, over = {}) => ({
  name,
  clusterType: 'hadoop',
  clusterVersion: pick(['hde-1.1.2', 'hde-2.0.1', 'hde-2.1.0', 'hde-2.2.0']),
  isHa: chance(0.2),
  keypairName: 'kp',
  masterFlavorName: pick(['m2a.large', 'm2a.xlarge', 'c2a.2xlarge']),
  masterVolumeSize: 50,
  workerCnt: 2 + Math.floor(rand() * 3),
  workerFlavorName: pick(['m2a.xlarge', 'r2a.xlarge']),
  workerVolumeSize: 100,
  monitoring: chance(0.5),
  securityGroupName: 'sg',
  vpcId: '3ebb3020-d416-f1a4-534c-d3ad0fa1bec0',
  subnetId: '5c1632bf-a7da-fdbf-a594-e6a7bedb328c',
  config: { hdfsReplication: 2, hdfsBlockSize: 128 },
  ...over,
})

const accept = (project, body, id, kind) => {
  if (clusters.has(id)) return violate(`create: id ${id} handed out twice`)
  const c = {
    id,
    name: body.name,
    project: project.project,
    kind,
    workers: body.workerCnt,
    status: 'Initializing',
    deleted: false,
    /** A delete is on its way: its outcome is not known yet, so nothing else may rely on the cluster living. */
    deleting: false,
    /** Requests in flight that count on the cluster staying alive (a duplicate name): no delete meanwhile. */
    pinned: 0,
    scales: 0,
  }
  clusters.set(id, c)
  byProject.get(project.project).push(c)
}

/** A cluster of `project` to act on: not deleted, optionally of a kind or last seen in a status. */
const target = (project, { kind, status, alive = true, unpinned = false } = {}) => {
  const all = byProject.get(project.project)
  // Mostly recent ones: they are the ones moving.
  for (let tries = 0; tries < 8 && all.length > 0; tries++) {
    const c = all[Math.max(0, all.length - 1 - Math.floor(rand() * Math.min(all.length, 200)))]
    if (alive && (c.deleted || c.deleting)) continue
    if (unpinned && c.pinned > 0) continue
    if (kind && c.kind !== kind) continue
    if (status && c.status !== status) continue
    return c
  }
  return undefined
}

const see = (id, status) => {
  const c = clusters.get(id)
  if (c) c.status = status
}

// ---------------------------------------------------------------- the operations

const createOp = async (p) => {
  const r = rand()
  const kind = r < 0.8 ? 'plain' : r < 0.92 ? 'job' : 'fail'
  const prefix = kind === 'plain' ? 'p' : kind === 'job' ? 'job-' : pick(['fail-', 'inst-'])
  const body = spec(
    freshName(prefix),
    kind === 'job'
      ? {
          userTask: pick([
            { type: 'hive', terminationPolicy: 'always', hiveQuery: 'select 1' },
            {
              type: 'spark',
              terminationPolicy: 'always',
              fileUrl: 'https://example.com/j.jar',
              deployMode: 'cluster',
            },
          ]),
        }
      : {},
  )
  const res = await call('create', 'POST', BASE, { project: p, body, allowed: [200] })
  if (res.status !== 200) return
  if (!isRef(res.json) || res.json.name !== body.name || res.json.status !== 'Initializing')
    return violate(`create: unexpected answer ${JSON.stringify(res.json)}`)
  accept(p, body, res.json.id, kind)
}

/** A name held by a cluster that cannot have ended (plain, never deleted): must be 409. */
const duplicateOp = async (p) => {
  const c = target(p, { kind: 'plain' })
  if (!c) return createOp(p)
  const body = spec(c.name)
  // Under load requests overtake each other: a delete sent after this create could free the
  // name before the create is handled, and the 200 would be right.
  c.pinned++
  const res = await call('create-duplicate', 'POST', BASE, { project: p, body, allowed: [409] })
  c.pinned--
  // Already a violation; tracked so the final accounting does not report it a second time.
  if (res.status === 200) accept(p, body, res.json.id, 'plain')
}

const getOp = async (p) => {
  const c = target(p, { alive: false })
  if (!c) return
  const res = await call('get', 'GET', `${BASE}/${c.id}`, { project: p, allowed: [200] })
  if (res.status !== 200) return
  if (res.json?.id !== c.id || res.json.name !== c.name)
    violate(`get ${c.id}: wrong cluster ${JSON.stringify(res.json)}`)
  see(c.id, res.json.status)
}

/** A cluster of one project asked for with the other project's credential: it does not exist. */
const foreignGetOp = async (p) => {
  const other = PROJECTS.find((x) => x !== p)
  const c = target(other, { alive: false })
  if (!c) return
  await call('get-foreign', 'GET', `${BASE}/${c.id}`, { project: p, allowed: [404] })
}

const listOp = async (p) => {
  const q = new URLSearchParams()
  if (chance(0.5)) q.set('size', String(pick([5, 20, 100])))
  if (chance(0.3)) q.set('page', String(Math.floor(rand() * 3)))
  if (chance(0.4)) q.append('sort', pick(['createdAt,desc', 'name,asc', 'status,asc', 'workerCnt,desc']))
  if (chance(0.2)) q.set('includeTerminated', 'false')
  if (chance(0.2)) q.set('name', pick(['p', 'job-', 'fail', '-1']))
  const res = await call('list', 'GET', `${BASE}?${q}`, { project: p, allowed: [200] })
  if (res.status !== 200) return
  if (!isPage(res.json)) return violate(`list: not a page: ${JSON.stringify(res.json).slice(0, 200)}`)
  for (const item of res.json.content) {
    const c = clusters.get(item.id)
    // Creates still in flight may already be listed; anything else must be ours, in our project.
    if (c && c.project !== p.project) violate(`list of ${p.project} shows ${item.id} of ${c.project}`)
    see(item.id, item.status)
  }
}

const vmsOp = async (p) => {
  const c = target(p, { alive: false })
  if (!c) return
  const q = chance(0.3) ? '?sort=name,asc&size=50' : ''
  const res = await call('vms', 'GET', `${BASE}/${c.id}/vms${q}`, { project: p, allowed: [200] })
  if (res.status === 200 && !isPage(res.json)) violate(`vms ${c.id}: not a page`)
}

const eventsOp = async (p) => {
  const c = target(p, { alive: false })
  if (!c) return
  const res = await call('events', 'GET', `${BASE}/${c.id}/events?size=100`, { project: p, allowed: [200] })
  if (res.status === 200 && !isPage(res.json)) violate(`events ${c.id}: not a page`)
}

const scaleOp = async (p, direction) => {
  // Mostly clusters last seen Running (so the scale is accepted), some in any status (400).
  const c = target(p, { kind: 'plain', status: chance(0.8) ? 'Running' : undefined })
  if (!c) return
  const n = direction === 'out' ? 1 + Math.floor(rand() * 2) : 1
  const method = direction === 'in' && chance(0.3) ? 'DELETE' : 'POST'
  const res = await call(`scale-${direction}`, method, `${BASE}/${c.id}/scale-${direction}`, {
    project: p,
    body: { scaleCnt: n },
    allowed: [200, 400],
  })
  if (res.status === 200) {
    if (!isRef(res.json) || res.json.status !== 'Processing')
      violate(`scale ${c.id}: ${JSON.stringify(res.json)}`)
    c.workers += direction === 'out' ? n : -n
    c.scales++
    see(c.id, 'Processing')
  } else if (res.status === 400) {
    const code = res.json?.code
    if (!['INVALID_CLUSTER_STATUS', 'SCALE_IN_BELOW_REPLICATION'].includes(code))
      violate(`scale ${c.id}: refused with ${code}`)
  }
}

const deleteOp = async (p) => {
  const c = target(p, { kind: 'plain', unpinned: true })
  if (!c) return
  const key = chance(0.3) ? randomUUID() : undefined
  const headers = key ? { 'idempotency-key': key } : {}
  const url = `${BASE}/${c.id}`
  c.deleting = true
  const res = await call('delete', 'DELETE', url, { project: p, headers, allowed: [200] })
  c.deleting = false
  if (res.status !== 200) return
  if (!isRef(res.json) || res.json.status !== 'Terminating')
    violate(`delete ${c.id}: ${JSON.stringify(res.json)}`)
  c.deleted = true
  see(c.id, 'Terminating')
  if (key) {
    // A retry after a lost answer replays the first answer, without acting again.
    const again = await call('delete-retry', 'DELETE', url, { project: p, headers, allowed: [200] })
    if (
      again.status === 200 &&
      (again.headers.get('idempotent-replayed') !== 'true' || again.json?.id !== c.id)
    )
      violate(`delete retry ${c.id}: not a replay`)
  }
}

/** The same create sent twice with one key, at once or one after the other: one cluster. */
const idempotentCreateOp = async (p) => {
  const body = spec(freshName('p'))
  const headers = { 'idempotency-key': randomUUID() }
  const opts = { project: p, body, headers, allowed: [200] }
  const [a, b] = chance(0.5)
    ? await Promise.all([call('create-idem', 'POST', BASE, opts), call('create-idem', 'POST', BASE, opts)])
    : [await call('create-idem', 'POST', BASE, opts), await call('create-idem', 'POST', BASE, opts)]
  if (a.status !== 200 || b.status !== 200) return
  if (a.json?.id !== b.json?.id)
    violate(`idempotent create gave two clusters: ${a.json?.id} and ${b.json?.id}`)
  accept(p, body, a.json.id, 'plain')
  // The key with another body: refused, nothing created.
  await call('create-idem-reuse', 'POST', BASE, {
    project: p,
    body: { ...body, workerCnt: body.workerCnt + 1 },
    headers,
    allowed: [422],
  })
}

const INVALID = [
  (p) => call('invalid', 'POST', BASE, { project: p, body: spec('Bad_Name'), allowed: [400] }),
  (p) =>
    call('invalid', 'POST', BASE, {
      project: p,
      body: spec(freshName('x'), { workerCnt: 1, config: { hdfsReplication: 3, hdfsBlockSize: 128 } }),
      allowed: [400],
    }),
  (p) => call('invalid', 'POST', BASE, { project: p, body: '{"name":', raw: true, allowed: [400] }),
  (p) =>
    call('invalid', 'POST', BASE, {
      project: p,
      body: 'name=x',
      raw: true,
      headers: { 'content-type': 'text/plain' },
      allowed: [415],
    }),
  (p) => call('invalid', 'GET', `${BASE}/${randomUUID()}`, { project: p, allowed: [404] }),
  (p) => call('invalid', 'GET', `${BASE}?sort=bogus,asc`, { project: p, allowed: [400] }),
  (p) => call('invalid', 'GET', `${BASE}?size=0`, { project: p, allowed: [400] }),
  () =>
    call('invalid', 'GET', BASE, {
      headers: headersFor({ id: 'soak-a-id', secret: 'wrong-secret' }),
      allowed: [401],
    }),
  (p) => {
    const c = target(p, { alive: false })
    return c
      ? call('invalid', 'POST', `${BASE}/${c.id}/scale-out`, {
          project: p,
          body: { scaleCnt: 0 },
          allowed: [400],
        })
      : undefined
  },
]

/** The mix, by weight (per 100 requests). */
const MIX = [
  [15, createOp],
  [2, duplicateOp],
  [20, getOp],
  [2, foreignGetOp],
  [12, listOp],
  [10, vmsOp],
  [4, eventsOp],
  [9, (p) => scaleOp(p, 'out')],
  [7, (p) => scaleOp(p, 'in')],
  [8, deleteOp],
  [3, idempotentCreateOp],
  [8, (p) => pick(INVALID)(p)],
]
const TOTAL_WEIGHT = MIX.reduce((s, [w]) => s + w, 0)
const nextOp = () => {
  let r = rand() * TOTAL_WEIGHT
  for (const [w, op] of MIX) if ((r -= w) < 0) return op
  return MIX[0][1]
}

// ---------------------------------------------------------------- the run

const faults = [
  { match: { clusterName: 'fail-*' }, fault: 'provisionFailure' },
  { match: { clusterName: 'inst-*' }, fault: 'installFailure' },
]
for (const f of faults) {
  const r = await fetch(`${origin}/_admin/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(f),
  })
  if (r.status !== 201) throw new Error(`could not set up fault: ${r.status} ${await r.text()}`)
}

console.log(
  `soak: ${SECONDS} s at ${RATE} operations/s, time scale ${TIME_SCALE}, seed ${SEED}, ${PG_URL ? 'PostgreSQL' : 'SQLite'} (${dir})`,
)
let maxRss = rssMb(server.child.pid)
const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssMb(server.child.pid))), 500)
const pending = new Set()
const t0 = Date.now()
let started = 0
let lastReport = t0
while (Date.now() - t0 < SECONDS * 1000) {
  // Open loop: start every request that is due by now, whether or not earlier ones answered.
  const due = Math.floor(((Date.now() - t0) / 1000) * RATE)
  while (started < due) {
    started++
    if (inFlight >= MAX_IN_FLIGHT) {
      skipped++
      continue
    }
    const p = pick(PROJECTS)
    const op = Promise.resolve(nextOp()(p)).catch((e) => violate(`soak client error: ${e.stack ?? e}`))
    pending.add(op)
    void op.finally(() => pending.delete(op))
  }
  if (Date.now() - lastReport >= 10_000) {
    lastReport = Date.now()
    const live = [...clusters.values()].filter((c) => !c.status.startsWith('Terminated')).length
    console.log(
      `  ${Math.round((Date.now() - t0) / 1000)} s: ${started} requests, ${inFlight} in flight, ${clusters.size} clusters (${live} not terminated as last seen), ${violations.length} violations`,
    )
  }
  await sleep(5)
}
await Promise.all(pending)
const loadMs = Date.now() - t0

// ---------------------------------------------------------------- settle

const listAll = async (p) => {
  const out = []
  for (let page = 0; ; page++) {
    const res = await call('settle-list', 'GET', `${BASE}?size=1000&page=${page}&sort=createdAt,asc`, {
      project: p,
      allowed: [200],
    })
    if (res.status !== 200 || !isPage(res.json)) throw new Error(`settle list failed: ${res.status}`)
    out.push(...res.json.content)
    if (res.json.last) return out
  }
}
const settleStart = Date.now()
let final
for (;;) {
  final = new Map()
  for (const p of PROJECTS) final.set(p.project, await listAll(p))
  const all = [...final.values()].flat()
  // Job clusters end by their task: Running is not the end for them.
  const moving = all.filter(
    (c) => TRANSITIONAL.has(c.status) || (c.status === 'Running' && clusters.get(c.id)?.kind === 'job'),
  )
  if (moving.length === 0) break
  if (Date.now() - settleStart > SETTLE_MS) {
    violate(
      `not settled after ${SETTLE_MS / 1000} s: ${moving.length} cluster(s) still moving, e.g. ${JSON.stringify(moving.slice(0, 3))}`,
    )
    break
  }
  await sleep(250)
}
const settleMs = Date.now() - settleStart

// ---------------------------------------------------------------- client-side accounting

const accounting = { accepted: clusters.size, deleted: 0, scaled: 0, checked: 0 }
const seen = new Map()
for (const [project, list] of final)
  for (const item of list) {
    if (seen.has(item.id)) violate(`cluster ${item.id} listed in ${seen.get(item.id).project} and ${project}`)
    seen.set(item.id, { ...item, project })
  }
for (const c of clusters.values()) {
  accounting.checked++
  const f = seen.get(c.id)
  if (!f) {
    violate(`accepted create ${c.id} (${c.name}, ${c.project}) is missing`)
    continue
  }
  if (f.name !== c.name || f.project !== c.project)
    violate(`accepted create ${c.id}: now ${f.name} in ${f.project}, was ${c.name} in ${c.project}`)
  const want = c.deleted
    ? 'Terminated(User)'
    : c.kind === 'job'
      ? 'Terminated(UserCommand)'
      : c.kind === 'fail'
        ? 'Terminated(Error)'
        : 'Running'
  if (f.status !== want)
    violate(
      `cluster ${c.id} (${c.name}, ${c.kind}${c.deleted ? ', deleted' : ''}) ended ${f.status}, want ${want}`,
    )
  if (c.deleted) accounting.deleted++
  if (c.scales > 0) accounting.scaled++
  // Every accepted scale applied, in order: the workers are the create's plus the scales'.
  if (want === 'Running' && f.workerCnt !== c.workers)
    violate(
      `cluster ${c.id} (${c.name}) has ${f.workerCnt} workers; the accepted create and ${c.scales} scale(s) make ${c.workers}`,
    )
}
// Nothing exists that was not accepted: a create answered other than 200 acted on nothing.
for (const [id, f] of seen)
  if (!clusters.has(id))
    violate(`cluster ${id} (${f.name}, ${f.project}, ${f.status}) exists but no create was accepted for it`)
if (serverErrors > 0) violate(`${serverErrors} responses were 5xx`)
if (networkErrors > 0) violate(`${networkErrors} requests failed at the network level`)
if (skipped > 0) violate(`${skipped} requests were not started: ${MAX_IN_FLIGHT} already in flight`)

// ---------------------------------------------------------------- shutdown, then the database

const rssEnd = rssMb(server.child.pid)
clearInterval(rssTimer)
const stopAt = Date.now()
server.child.kill('SIGTERM')
const exitCode = await server.exited
const shutdownMs = Date.now() - stopAt
if (exitCode !== 0) violate(`the server exited ${exitCode} on SIGTERM`)

const { openDatabase } = await import('../dist/store/index.js')
const { checkInvariants, formatInvariantReport } = await import('../dist/invariants.js')
const db = await openDatabase(database.url)
const report = await checkInvariants(db.db)
const dbCounts = {}
for (const t of ['clusters', 'vms', 'events', 'sim_ops', 'idempotency_keys', 'work'])
  dbCounts[t] = Number(
    (
      await db.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst()
    ).n,
  )
const byStatus = await db.db
  .selectFrom('clusters')
  .select(['status', (eb) => eb.fn.countAll().as('n')])
  .groupBy('status')
  .orderBy('status')
  .execute()
await db.close()
if (!report.ok) violate('the invariant checker reports violations (see above)')

// ---------------------------------------------------------------- report

const pct = (xs, q) => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10
}
const mix = [...stats.entries()]
  .filter(([kind]) => kind !== 'settle-list')
  .sort((a, b) => b[1].count - a[1].count)
  .map(([kind, s]) => ({
    kind,
    count: s.count,
    statuses: s.statuses,
    p50: pct(s.ms, 0.5),
    p90: pct(s.ms, 0.9),
    p99: pct(s.ms, 0.99),
    max: pct(s.ms, 1),
  }))
const allMs = [...stats.entries()].filter(([k]) => k !== 'settle-list').flatMap(([, s]) => s.ms)
const total = allMs.length
console.log('')
console.log('request mix (ms)')
console.log(
  `  ${'kind'.padEnd(18)} ${'count'.padStart(6)} ${'share'.padStart(6)}  ${'p50'.padStart(6)} ${'p90'.padStart(6)} ${'p99'.padStart(6)} ${'max'.padStart(7)}  statuses`,
)
for (const m of mix)
  console.log(
    `  ${m.kind.padEnd(18)} ${String(m.count).padStart(6)} ${`${((m.count / total) * 100).toFixed(1)}%`.padStart(6)}  ${String(m.p50).padStart(6)} ${String(m.p90).padStart(6)} ${String(m.p99).padStart(6)} ${String(m.max).padStart(7)}  ${Object.entries(
      m.statuses,
    )
      .map(([k, v]) => `${k}:${v}`)
      .join(' ')}`,
  )
console.log(
  `  ${'all'.padEnd(18)} ${String(total).padStart(6)} ${'100%'.padStart(6)}  ${String(pct(allMs, 0.5)).padStart(6)} ${String(pct(allMs, 0.9)).padStart(6)} ${String(pct(allMs, 0.99)).padStart(6)} ${String(pct(allMs, 1)).padStart(7)}`,
)
console.log('')
console.log(
  `load ${(loadMs / 1000).toFixed(1)} s (${(total / (loadMs / 1000)).toFixed(1)} req/s), settled in ${(settleMs / 1000).toFixed(1)} s, shutdown (SIGTERM to exit ${exitCode}) ${shutdownMs} ms, server RSS peak ${Math.round(maxRss)} MB, at end ${Math.round(rssEnd)} MB`,
)
console.log(
  `accounting: ${accounting.accepted} accepted creates all present with id, name and project; ${accounting.deleted} accepted deletes; ${accounting.scaled} clusters scaled; ${serverErrors} 5xx; ${networkErrors} network errors`,
)
console.log(`final clusters by status: ${byStatus.map((r) => `${r.status} ${r.n}`).join(', ')}`)
console.log(
  `database rows: ${Object.entries(dbCounts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
)
console.log('')
console.log(formatInvariantReport(report))
console.log('')

const result = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  settings: {
    seconds: SECONDS,
    rate: RATE,
    timeScale: Number(TIME_SCALE),
    seed: SEED,
    backend: PG_URL ? 'postgres' : 'sqlite',
  },
  loadMs,
  settleMs,
  shutdownMs,
  exitCode,
  requests: total,
  achievedRps: Math.round((total / (loadMs / 1000)) * 10) / 10,
  latencyMs: { p50: pct(allMs, 0.5), p90: pct(allMs, 0.9), p99: pct(allMs, 0.99), max: pct(allMs, 1) },
  mix,
  accounting: { ...accounting, serverErrors, networkErrors, skipped },
  finalByStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
  databaseRows: dbCounts,
  serverRssMb: { peak: Math.round(maxRss), end: Math.round(rssEnd) },
  invariants: report,
  violations,
  ok: violations.length === 0,
}
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(
  join(ROOT, 'bench/results', PG_URL ? 'soak-postgres-latest.json' : 'soak-latest.json'),
  `${JSON.stringify(result, null, 2)}\n`,
)
if (violations.length === 0) {
  console.log('soak: OK')
  await database.drop()
  rmSync(dir, { recursive: true, force: true })
} else {
  console.log(`soak: ${violations.length} VIOLATION(S); the first ones:`)
  for (const v of violations.slice(0, 30)) console.log(`  - ${v}`)
  console.log(`database and server log kept in ${dir}${PG_URL ? ` (database ${database.url})` : ''}`)
  process.exitCode = 1
}
