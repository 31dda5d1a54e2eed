import { CompiledQuery, sql, type Selectable } from 'kysely'
import type { ClusterInfo, ClusterRecord, NewCluster } from '../domain/cluster.js'
import type { ClusterSpec } from '../domain/cluster-spec.js'
import type { ClusterSortField, PageRequest } from '../domain/paging.js'
import { CLUSTER_STATUSES, type ApiKeyStatus, type ClusterStatus } from '../domain/statuses.js'
import type { NewEvent } from '../domain/events.js'
import type { Database } from './db.js'
import { newEventRow } from './events.js'
import type { ClustersTable } from './tables.js'
import { batchedByKey, batchedReads } from './batched-reads.js'
import {
  advance,
  comparator,
  openWindow,
  pageOf,
  windowable,
  type ListWindow,
  type Placed,
} from './list-window.js'
import { singleFlight } from './single-flight.js'
import { hasNul, order } from './text.js'
import { kx, type Tx } from './tx.js'
import { newWorkRow } from './work.js'

type ClusterRow = Selectable<ClustersTable>

const toRecord = (r: ClusterRow): ClusterRecord => ({
  seq: r.seq,
  id: r.id,
  project: r.project,
  name: r.name,
  owner: r.owner,
  status: r.status as ClusterStatus,
  terminalStatus: r.terminal_status as ClusterStatus | null,
  clusterType: r.cluster_type as ClusterSpec['clusterType'],
  clusterVersion: r.cluster_version,
  apiKeyStatus: r.api_key_status as ApiKeyStatus,
  masterCnt: r.master_cnt,
  workerCnt: r.worker_cnt,
  targetWorkerCnt: r.target_worker_cnt,
  hdfsReplication: r.hdfs_replication,
  createdAt: r.created_at,
  runningAt: r.running_at,
  terminatedAt: r.terminated_at,
  updatedAt: r.updated_at,
  spec: JSON.parse(r.spec) as ClusterSpec,
  info: JSON.parse(r.info) as ClusterInfo,
  vmUptimeClosed: r.vm_uptime_closed,
  vmLiveCount: r.vm_live_count,
  vmLiveCreatedSum: r.vm_live_created_sum,
  nextMasterIndex: r.next_master_index,
  nextWorkerIndex: r.next_worker_index,
})

/** Columns a status change may touch. */
export interface ClusterPatch {
  status?: ClusterStatus
  terminalStatus?: ClusterStatus | null
  apiKeyStatus?: ApiKeyStatus
  masterCnt?: number
  workerCnt?: number
  targetWorkerCnt?: number
  hdfsReplication?: number
  /** null clears them: a re-run describes its own run (DESIGN section 11). */
  runningAt?: number | null
  terminatedAt?: number | null
  info?: ClusterInfo
  spec?: ClusterSpec
}

const patchColumns = (p: ClusterPatch, now: number) => {
  const out: Partial<Record<keyof ClustersTable, unknown>> = { updated_at: now }
  if (p.status !== undefined) out.status = p.status
  if (p.terminalStatus !== undefined) out.terminal_status = p.terminalStatus
  if (p.apiKeyStatus !== undefined) out.api_key_status = p.apiKeyStatus
  if (p.masterCnt !== undefined) out.master_cnt = p.masterCnt
  if (p.workerCnt !== undefined) out.worker_cnt = p.workerCnt
  if (p.targetWorkerCnt !== undefined) out.target_worker_cnt = p.targetWorkerCnt
  if (p.runningAt !== undefined) out.running_at = p.runningAt
  if (p.terminatedAt !== undefined) out.terminated_at = p.terminatedAt
  if (p.hdfsReplication !== undefined) out.hdfs_replication = p.hdfsReplication
  if (p.info !== undefined) out.info = JSON.stringify(p.info)
  if (p.spec !== undefined) out.spec = JSON.stringify(p.spec)
  return out
}

/** A new cluster's row: its VM counters start at zero. */
const newClusterRow = (c: NewCluster) => ({
  id: c.id,
  project: c.project,
  name: c.name,
  owner: c.owner,
  status: c.status,
  terminal_status: null,
  cluster_type: c.clusterType,
  cluster_version: c.clusterVersion,
  api_key_status: c.apiKeyStatus,
  master_cnt: c.masterCnt,
  worker_cnt: c.workerCnt,
  target_worker_cnt: c.workerCnt,
  hdfs_replication: c.spec.config.hdfsReplication,
  created_at: c.createdAt,
  running_at: null,
  terminated_at: null,
  updated_at: c.createdAt,
  spec: JSON.stringify(c.spec),
  info: JSON.stringify(c.info),
  vm_uptime_closed: 0,
  vm_live_count: 0,
  vm_live_created_sum: 0,
  next_master_index: 1,
  next_worker_index: 1,
})

/** What a list window needs of a row to place it (list-window.ts), as a JSON array. */
type PlacedRow = [string, number, string, string, number, number | null, number, number, number | null]
const toPlaced = ([
  id,
  seq,
  name,
  status,
  createdAt,
  runningAt,
  masterCnt,
  workerCnt,
  terminatedAt,
]: PlacedRow): Placed => ({
  id,
  seq,
  name,
  status: status as ClusterStatus,
  createdAt,
  runningAt,
  masterCnt,
  workerCnt,
  terminatedAt,
})

/** A LIKE pattern for a literal substring (`%`, `_` and `\` escaped), or for anything. */
const likePattern = (needle: string | undefined) =>
  needle === undefined ? '%' : `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export class DuplicateNameError extends Error {}

const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string; message?: string }
  return err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === '23505'
}

export interface ClusterListFilter {
  project: string
  name?: string
  apiKeyStatus?: string
  includeTerminated: boolean
}

/**
 * PostgreSQL's stamp: the snapshot (`xmin:xmax:xip,...`) and the clusters' epoch, which only
 * the admin reset moves (a delete leaves no row behind for writer_xid to show).
 */
const SNAPSHOT = `pg_current_snapshot()::text || '/' || coalesce((select value from settings where key = 'clusters_epoch'), '')`

/** A transaction id is visible in a snapshot if below xmax and not in xip. */
const parseSnapshot = (text: string) => {
  const [snapshot = '', epoch] = text.split('/')
  const [xmin, xmax, xip] = snapshot.split(':')
  return {
    text,
    epoch,
    xmin: Number(xmin),
    xmax: Number(xmax),
    xip: new Set(xip ? xip.split(',').map(Number) : []),
  }
}

export const createClusterStore = (database: Database) => {
  const { db } = database
  // SQLite only: PostgreSQL reads through the batched query below.
  const byId = database.writeGeneration
    ? database.prepared<ClusterRow>(
        db.selectFrom('clusters').selectAll().where('project', '=', '?').where('id', '=', '?').compile(),
      )
    : undefined
  // PostgreSQL: concurrent GETs share one query (batched-reads.ts), each row parsed once.
  const byIds = database.writeGeneration
    ? undefined
    : database.prepared<ClusterRow>(CompiledQuery.raw('select * from clusters where id = any($1::text[])'))
  const byIdBatched =
    byIds &&
    batchedReads(async (ids) => new Map((await byIds([ids])).map((row) => [row.id, toRecord(row)] as const)))

  // SQLite: parsed records kept per clusters counter, and GETs answered a turn of the event loop
  // at a time too. Not for the database's sake (a hit reads nothing): fifty answers written
  // together cost the server and its clients fewer wake-ups than fifty written one by one as
  // each request is parsed. Measured (bench/README.md): 12.6-13.5k -> 17.8-21.9k GETs a second.
  const byKeyBatched =
    byId &&
    batchedReads<ClusterRecord>(async (keys) => {
      const out = new Map<string, ClusterRecord>()
      for (const key of keys) {
        const rev = database.writeGeneration!()
        const hit = cached(records, key, rev)
        if (hit) {
          out.set(key, hit)
          continue
        }
        const [project, id] = key.split('\u0000') as [string, string]
        const [row] = await byId([project, id])
        if (!row) continue
        const record = toRecord(row)
        remember(records, key, rev, record, 10_000)
        out.set(key, record)
      }
      return out
    })

  // PostgreSQL: the creates of one turn of the event loop go in as one statement, so fifty
  // concurrent creates cost one plan, one commit and one WAL flush instead of fifty. A name
  // taken (by a live cluster, or by an earlier create of the same batch) skips that row and
  // its event and work rows; every other row still goes in. Answers the ids inserted.
  const insertNewBatched =
    database.dialect === 'postgres'
      ? batchedByKey(
          (n: { c: NewCluster; event: NewEvent; dueAt: number }) => n.c.id,
          async (batch) => {
            // In one order, (project, name): two batches inserting each other's names in
            // opposite orders would each wait for the other (a deadlock, every create of one
            // batch failed). Stable, so the first of two creates of one name still wins.
            const items = [...batch].sort(
              (x, y) => order(x.c.project, y.c.project) || order(x.c.name, y.c.name),
            )
            const ev = items.map((n) => newEventRow(n.event))
            const col = <K extends keyof (typeof ev)[number]>(k: K) => ev.map((e) => e[k])
            const rows = await db
              .with('c', (q) =>
                q
                  .insertInto('clusters')
                  .values(items.map((n) => newClusterRow(n.c)))
                  .onConflict((oc) => oc.doNothing())
                  .returning('id'),
              )
              .with('e', (q) =>
                q
                  .insertInto('events')
                  .columns(['cluster_id', 'at', 'type', 'from_status', 'to_status', 'reason', 'message'])
                  .expression(
                    sql`select v.* from unnest(${col('cluster_id')}::text[], ${col('at')}::bigint[],
                      ${col('type')}::text[], ${col('from_status')}::text[], ${col('to_status')}::text[],
                      ${col('reason')}::text[], ${col('message')}::text[])
                      as v(cluster_id, at, type, from_status, to_status, reason, message)
                      where v.cluster_id in (select id from c)`,
                  )
                  .returning('seq'),
              )
              .with('w', (q) =>
                q
                  .insertInto('work')
                  // The rest of newWorkRow's columns are their defaults (no lease, no attempts).
                  .columns(['cluster_id', 'due_at'])
                  .expression(
                    sql`select v.id, v.due_at
                      from unnest(${items.map((n) => n.c.id)}::text[], ${items.map((n) => n.dueAt)}::bigint[])
                      as v(id, due_at) where v.id in (select id from c)`,
                  )
                  .returning('cluster_id'),
              )
              .selectFrom('c')
              .select('id')
              .execute()
            return new Map(rows.map((r) => [r.id, true] as const))
          },
        )
      : undefined

  // PostgreSQL: the snapshot (which transactions are committed) is the stamp. Two equal
  // snapshots see the same data, and any commit changes it, so a cached result stamped with the
  // snapshot read before it can never be served stale; no write pays for it (a per-project
  // revision row did: every writer of a project queued on its lock).
  const snapshotOf = database.writeGeneration
    ? undefined
    : database.prepared<{ s: string }>(CompiledQuery.raw(`select ${SNAPSHOT} as s`))
  /** What a cached result is checked against: the local commit counter (SQLite) or the snapshot. */
  const stamp = async (): Promise<number | string> => {
    if (database.writeGeneration) return database.writeGeneration()
    const [row] = await snapshotOf!([])
    return row!.s
  }
  // The project's clusters written by transactions from `xmin` on, with the snapshot the same
  // statement saw them in (migration 0011 keeps writer_xid).
  const changesSince = database.writeGeneration
    ? undefined
    : database.prepared<{ s: string; changed: [number | string, string][] | null }>(
        CompiledQuery.raw(
          `select ${SNAPSHOT} as s, (select json_agg(json_build_array(writer_xid, name))
             from clusters where project = $1 and writer_xid >= $2) as changed`,
        ),
      )
  /**
   * PostgreSQL: the current snapshot for `filter`'s cached results. When a cached result's
   * snapshot differs only by commits that cannot change it (every cluster they wrote has a
   * name outside the filter's substring: names never change), its entries are re-stamped with
   * the current snapshot and stay hits. Anything else, a name that matches, a filter without a
   * name, a name outside ASCII (lower() may fold it differently), misses as before.
   */
  const restamp = async (filter: ClusterListFilter, queryKey: string, pageKey: string): Promise<string> => {
    const prior = counts.get(queryKey)
    if (!prior || !filter.name || !/^[\x20-\x7e]*$/.test(filter.name)) return (await stamp()) as string
    const page = pages.get(pageKey)
    const seen = parseSnapshot(prior.rev as string)
    const [row] = await changesSince!([filter.project, seen.xmin])
    const current = row!.s
    if (current === prior.rev || parseSnapshot(current).epoch !== seen.epoch) return current
    const needle = filter.name
    const relevant = (row!.changed ?? []).some(([xid, name]) => {
      const x = Number(xid)
      if (x < seen.xmax && !seen.xip.has(x)) return false // already in the cached result
      return !/^[\x20-\x7e]*$/.test(name) || name.toLowerCase().includes(needle)
    })
    if (relevant) return current
    // The values seen at the start were right at their snapshot and nothing since can change
    // them: they are right at the current one, whatever concurrent requests stored meanwhile.
    // Only this query's entries: another sharing the old snapshot was not checked.
    remember(counts, queryKey, current, prior.value)
    if (page && page.rev === seen.text) remember(pages, pageKey, current, page.value)
    // The page's records match the filter's name: a commit that wrote none of those cannot
    // have changed them either.
    const records = pageRecords.get(pageKey)
    if (records && records.rev === seen.text) remember(pageRecords, pageKey, current, records.value, 128)
    return current
  }
  type Stamped<T> = Map<string, { rev: number | string; value: T }>
  // Small bounded caches of list results and records, each entry stamped with the revision it was read at.
  const counts: Stamped<number> = new Map()
  const pages: Stamped<number[]> = new Map()
  const records: Stamped<ClusterRecord> = new Map()
  const pageRecords: Stamped<ClusterRecord[]> = new Map()
  // Eviction is by insertion order (FIFO, not LRU): a hit costs one lookup and no reordering.
  const cached = <T>(m: Stamped<T>, key: string, rev: number | string): T | undefined => {
    const e = m.get(key)
    return e && e.rev === rev ? e.value : undefined
  }
  const remember = <T>(m: Stamped<T>, key: string, rev: number | string, value: T, max = 512) => {
    m.delete(key)
    m.set(key, { rev, value })
    if (m.size > max) m.delete(m.keys().next().value as string)
  }

  const sortExpr = (field: ClusterSortField, now: number) => {
    switch (field) {
      case 'id':
        return sql.ref('id')
      case 'name':
        return sql.ref('name')
      case 'status':
        return sql.ref('status')
      case 'owner':
        return sql.ref('owner')
      case 'clusterType':
        return sql.ref('cluster_type')
      case 'clusterVersion':
        return sql.ref('cluster_version')
      case 'apiKeyStatus':
        return sql.ref('api_key_status')
      case 'masterCnt':
        return sql.ref('master_cnt')
      case 'workerCnt':
        return sql.ref('worker_cnt')
      case 'createdAt':
        return sql.ref('created_at')
      case 'runningAt':
        return sql.ref('running_at')
      case 'elapsedTime':
        return sql`(case when running_at is null then 0 else coalesce(terminated_at, ${now}) - running_at end)`
    }
  }

  /**
   * Literal, case-insensitive substring. SQLite: instr knows no wildcards. PostgreSQL: LIKE with
   * `%`, `_` and `\` escaped, so the trigram index on lower(name) can serve it.
   */
  const contains = (column: 'name' | 'api_key_status', needle: string) =>
    database.dialect === 'sqlite'
      ? sql<boolean>`instr(lower(${sql.ref(column)}), ${needle}) > 0`
      : sql<boolean>`lower(${sql.ref(column)}) like ${likePattern(needle)} escape '\\'`

  // PostgreSQL: pages kept current from the rows written since (list-window.ts). A window holds
  // the page and MARGIN rows on each side, so that many rows written before the page (a create
  // that sorts first, say) move it without a read.
  const MARGIN = 50
  const RECENT = 2000
  /** The highest seq a window read saw: where its next read looks for the clusters made last. */
  let lastSeq: number | undefined
  const windows: Stamped<ListWindow> = new Map()
  // The project's clusters written by transactions from `xmin` on whose name may match (a
  // LIKE pattern, or '%'), whole, with the snapshot the same statement saw them in. At most
  // 1,001: a transaction left open holds `xmin` back, and more than 1,000 reads the page again.
  const rowsChangedSince = database.writeGeneration
    ? undefined
    : database.prepared<{ s: string; changed: (ClusterRow & { writer_xid: number })[] | null }>(
        CompiledQuery.raw(
          `select ${SNAPSHOT} as s, (select json_agg(c) from (select * from clusters
             where project = $1 and writer_xid >= $2 and (lower(name) like $3 escape '\\' or name !~ '^[ -~]*$')
             limit 1001) c) as changed`,
        ),
      )
  // The statuses in the database's own order (its collation, not JS's), asked once.
  let statusRank: Promise<Map<string, number>> | undefined
  const rankOfStatuses = () =>
    (statusRank ??= sql<{ s: string }>`select s from unnest(${[...CLUSTER_STATUSES]}::text[]) as s order by s`
      .execute(db)
      .then(
        (r) => new Map(r.rows.map((row, i) => [row.s, i] as const)),
        (e: unknown) => {
          statusRank = undefined
          throw e
        },
      ))

  /** The page from its window, advanced by what was written since, or read again with its margins. */
  const fromWindow = async (
    filter: ClusterListFilter,
    page: PageRequest<ClusterSortField>,
    now: number,
    pageKey: string,
  ): Promise<{ rows: ClusterRecord[]; total: number } | undefined> => {
    const rank = await rankOfStatuses()
    const compare = comparator(page.sort, rank)
    const offset = page.page * page.size
    const entry = windows.get(pageKey)
    if (entry) {
      const seen = parseSnapshot(entry.rev as string)
      const [row] = await rowsChangedSince!([filter.project, seen.xmin, likePattern(filter.name)])
      const current = row!.s
      const written = row!.changed ?? []
      const changed = written.filter((c) => {
        const x = Number(c.writer_xid)
        return !(x < seen.xmax && !seen.xip.has(x)) // else already in the window's snapshot
      })
      if (parseSnapshot(current).epoch === seen.epoch && written.length <= 1000) {
        const next =
          changed.length === 0
            ? entry.value
            : advance(entry.value, changed.map(toRecord), filter, compare, rank)
        const rows = next && pageOf(next, offset, page.size)
        if (next && rows) {
          remember(windows, pageKey, current, next, 64)
          return { rows, total: next.total }
        }
      }
    }
    // The page with MARGIN rows each side, the total, the highest seq, the snapshot and the
    // matching clusters among about the last RECENT made (the reconciler writes a cluster again
    // and again in its first seconds), all read by one statement, so in one snapshot. The
    // bound is a constant (from the last read) so that it is a range of the primary key.
    const since = lastSeq === undefined ? null : lastSeq - RECENT
    const from = Math.max(0, offset - MARGIN)
    let base = db.selectFrom('clusters').where('project', '=', filter.project)
    if (!filter.includeTerminated) base = base.where('terminated_at', 'is', null)
    if (filter.name) base = base.where(contains('name', filter.name))
    let inner = base.select(['seq', sql<string>`count(*) over ()`.as('total_count')])
    if (page.sort.length === 0) inner = inner.orderBy('created_at', 'desc')
    for (const k of page.sort) inner = inner.orderBy(sortExpr(k.field, now), k.dir)
    const p = inner
      .orderBy('id', 'asc')
      .limit(offset - from + page.size + MARGIN)
      .offset(from)
      .as('p')
    let outer = db
      .selectFrom(p)
      .innerJoin('clusters', 'clusters.seq', 'p.seq')
      .selectAll('clusters')
      .select([
        'p.total_count',
        sql<string>`${sql.raw(SNAPSHOT)}`.as('snapshot'),
        sql<string>`(select max(seq) from clusters)`.as('max_seq'),
        // On one row only (a subquery in the select list runs once, but its answer would be
        // sent with every row).
        sql<PlacedRow[] | null>`case when row_number() over () = 1 then (select json_agg(json_build_array(
            id, seq, name, status, created_at, running_at, master_cnt, worker_cnt, terminated_at))
          from (select * from clusters
            where ${since}::bigint is not null and seq > ${since}::bigint and project = ${filter.project}
              and lower(name) like ${likePattern(filter.name)} escape '\\' order by seq desc limit 1000) c) end`.as(
          'recent',
        ),
      ])
    if (page.sort.length === 0) outer = outer.orderBy('created_at', 'desc')
    for (const k of page.sort) outer = outer.orderBy(sortExpr(k.field, now), k.dir)
    const joined = await outer.orderBy('id', 'asc').execute()
    const first = joined[0]
    // Nothing there (no match, or past the end): the usual path answers, with its own count.
    if (!first) return undefined
    const total = Number(first.total_count)
    lastSeq = Math.max(lastSeq ?? 0, Number(first.max_seq))
    const records = joined.map(toRecord)
    const window = openWindow(
      from,
      records,
      total,
      Number(first.max_seq),
      rank,
      filter,
      (joined.find((r) => r.recent)?.recent ?? []).map(toPlaced),
    )
    if (window) remember(windows, pageKey, first.snapshot, window, 64)
    else windows.delete(pageKey)
    // A row JS cannot place (an id that is not a lowercase UUID): no window, but this read's page.
    const rows = window
      ? pageOf(window, offset, page.size)!
      : records.slice(offset - from, offset - from + page.size)
    return { rows: offset >= total ? [] : rows, total }
  }

  /** One list as `list` describes it: the stamp, then the cache or the database. */
  const listOnce = async (
    filter: ClusterListFilter,
    page: PageRequest<ClusterSortField>,
    now: number,
    queryKey: string,
    pageKey: string,
  ): Promise<{ rows: ClusterRecord[]; total: number }> => {
    if (!database.writeGeneration && windowable(filter, page.sort, page.size)) {
      const answer = await fromWindow(filter, page, now, pageKey)
      if (answer) return answer
    }
    const rev = database.writeGeneration
      ? database.writeGeneration()
      : await restamp(filter, queryKey, pageKey)
    const timeDependent = page.sort.some((k) => k.field === 'elapsedTime')
    // A page's records are kept with it, so a hit reads no row (SQLite: reading the page's 20
    // rows again cost ~0.2 ms at a million; PostgreSQL: a round trip). SQLite's counter moves
    // only when a cluster changes; PostgreSQL's stamp is re-stamped as above.
    // Pages of up to 100 rows: 128 of the largest still hold fewer records than the GET cache.
    const keepRows = !timeDependent && page.size <= 100
    if (keepRows) {
      const rows = cached(pageRecords, pageKey, rev)
      const total = rows && cached(counts, queryKey, rev)
      if (rows && total !== undefined) return { rows, total }
    }
    const answer = (rows: ClusterRecord[], total: number) => {
      if (keepRows) remember(pageRecords, pageKey, rev, rows, 128)
      return { rows, total }
    }

    // SQLite with a name of 3+ ASCII characters: the matching rows by the trigram index
    // (migration 0012), each checked for its project by rowid. `+project` keeps the planner
    // off the project's indexes, which would read every name of the project instead.
    const byTrigram =
      database.dialect === 'sqlite' && filter.name !== undefined && /^[\x20-\x7e]{3,}$/.test(filter.name)
    let base = byTrigram
      ? db
          .selectFrom('clusters')
          .where(sql<boolean>`+${sql.ref('project')} = ${filter.project}`)
          .where(
            sql<boolean>`${sql.ref('seq')} in (select rowid from clusters_name_trigram where clusters_name_trigram match ${`"${filter.name!.replace(/"/g, '""')}"`})`,
          )
      : db.selectFrom('clusters').where('project', '=', filter.project)
    if (!filter.includeTerminated) base = base.where('terminated_at', 'is', null)
    if (filter.name && !byTrigram) base = base.where(contains('name', filter.name))
    if (filter.apiKeyStatus) base = base.where(contains('api_key_status', filter.apiKeyStatus))

    let total = cached(counts, queryKey, rev)
    if (total === undefined && (database.dialect === 'postgres' || byTrigram)) {
      // A miss on PostgreSQL, or through SQLite's trigram index: the page and the filtered
      // total in one statement (one search of the name index, one round trip instead of
      // three). The window and the sort run over narrow rows; the page's 20 full rows are
      // joined afterwards.
      let inner = base.select(['seq', sql<string>`count(*) over ()`.as('total_count')])
      if (page.sort.length === 0) inner = inner.orderBy('created_at', 'desc')
      for (const k of page.sort) inner = inner.orderBy(sortExpr(k.field, now), k.dir)
      const p = inner
        .orderBy('id', 'asc')
        .limit(page.size)
        .offset(page.page * page.size)
        .as('p')
      // The outer order repeats the inner one: a join keeps no order of its own.
      let outer = db
        .selectFrom(p)
        .innerJoin('clusters', 'clusters.seq', 'p.seq')
        .selectAll('clusters')
        .select('p.total_count')
      if (page.sort.length === 0) outer = outer.orderBy('created_at', 'desc')
      for (const k of page.sort) outer = outer.orderBy(sortExpr(k.field, now), k.dir)
      const joined = await outer.orderBy('id', 'asc').execute()
      if (joined.length > 0) {
        total = Number(joined[0]!.total_count)
        remember(counts, queryKey, rev, total)
        if (!timeDependent)
          remember(
            pages,
            pageKey,
            rev,
            joined.map((r) => Number(r.seq)),
          )
        return answer(joined.map(toRecord), total)
      }
      // Past the last page, or nothing matches: the total needs its own count.
    }
    if (total === undefined) {
      const countRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      total = Number(countRow.n)
      remember(counts, queryKey, rev, total)
    }
    const offset = page.page * page.size
    if (total === 0 || offset >= total) return { rows: [], total }

    let seqs = timeDependent ? undefined : cached(pages, pageKey, rev)
    if (seqs === undefined) {
      let q = base.select('seq')
      if (page.sort.length === 0) q = q.orderBy('created_at', 'desc')
      for (const k of page.sort) q = q.orderBy(sortExpr(k.field, now), k.dir)
      q = q.orderBy('id', 'asc').limit(page.size).offset(offset)
      seqs = (await q.execute()).map((r) => Number(r.seq))
      if (!timeDependent) remember(pages, pageKey, rev, seqs)
    }
    if (seqs.length === 0) return { rows: [], total }
    const rows = await db.selectFrom('clusters').selectAll().where('seq', 'in', seqs).execute()
    const bySeq = new Map(rows.map((r) => [Number(r.seq), r]))
    return answer(
      seqs.flatMap((s) => (bySeq.has(s) ? [toRecord(bySeq.get(s)!)] : [])),
      total,
    )
  }

  // PostgreSQL: concurrent identical lists share one trip to the database (single-flight.ts).
  // Without it every commit that touches a listed page sends each list in flight to the
  // database at once (50 connections, a million clusters: 50 of one 15-200 ms query, 1-2 s each).
  const coalesced = singleFlight<{ rows: ClusterRecord[]; total: number }>()

  /**
   * Writes a patch only if the cluster is still in `from` (optimistic concurrency): two
   * requests racing for one transition cannot both succeed. DuplicateNameError when a patch
   * that clears terminatedAt meets a live cluster of the same name.
   */
  const update = async (
    tx: Tx,
    id: string,
    patch: ClusterPatch,
    now: number,
    guard?: { status?: readonly ClusterStatus[]; minWorkersAfter?: { remove: number } },
  ): Promise<boolean> => {
    let q = kx(tx)
      .updateTable('clusters')
      .set(patchColumns(patch, now) as never)
      .where('id', '=', id)
    if (guard?.status) q = q.where('status', 'in', guard.status as ClusterStatus[])
    if (guard?.minWorkersAfter)
      q = q.where(sql<boolean>`worker_cnt - ${guard.minWorkersAfter.remove} >= hdfs_replication`)
    try {
      const res = await q.executeTakeFirst()
      return Number(res.numUpdatedRows) === 1
    } catch (e) {
      // Clearing terminatedAt (a re-run) brings the name back among the live ones.
      if (isUniqueViolation(e)) throw new DuplicateNameError(id)
      throw e
    }
  }

  return {
    /** Adds a cluster; its VM counters start at zero. DuplicateNameError if a live one has its name. */
    async insert(tx: Tx, c: NewCluster): Promise<void> {
      try {
        await kx(tx).insertInto('clusters').values(newClusterRow(c)).execute()
      } catch (e) {
        if (isUniqueViolation(e)) throw new DuplicateNameError(c.name)
        throw e
      }
    },

    /**
     * A new cluster with its first event and its work row, all or none. PostgreSQL: one
     * statement (data-modifying CTEs) shared with the other creates of the same turn, so a
     * create holds no transaction open across the network (five round trips did: a create's
     * connection spent most of its time idle in transaction). SQLite: one transaction, which
     * joins a group commit.
     */
    async insertNew(c: NewCluster, event: NewEvent, dueAt: number): Promise<void> {
      try {
        if (database.dialect === 'sqlite')
          await database.transaction(async (trx) => {
            await trx.insertInto('clusters').values(newClusterRow(c)).execute()
            await trx.insertInto('events').values(newEventRow(event)).execute()
            await trx.insertInto('work').values(newWorkRow(c.id, dueAt)).execute()
          })
        else if (!(await insertNewBatched!({ c, event, dueAt }))) throw new DuplicateNameError(c.name)
      } catch (e) {
        if (isUniqueViolation(e)) throw new DuplicateNameError(c.name)
        throw e
      }
    },

    /**
     * The API's read, scoped to the caller's project. On SQLite parsed records are kept per
     * clusters counter (db.ts): a GET that finds no cluster changed since its last read of this
     * one skips the row and its JSON. PostgreSQL reads the row (checking a stamp would cost the same
     * round trip), in one query with the other GETs of the same turn of the event loop. Both
     * answer the GETs of one turn together. Callers must not mutate the record.
     */
    async get(project: string, id: string): Promise<ClusterRecord | undefined> {
      if (hasNul(id)) return undefined
      if (!database.writeGeneration) {
        const record = await byIdBatched!(id)
        return record?.project === project ? record : undefined
      }
      return byKeyBatched!(`${project}\u0000${id}`)
    },

    /**
     * The cluster as of now, its row locked until `tx` ends (PostgreSQL; SQLite has one writer):
     * for a change that reads another table and the cluster together, such as a job cluster's
     * key and its apiKeyStatus.
     */
    async lock(tx: Tx, id: string): Promise<ClusterRecord | undefined> {
      if (hasNul(id)) return undefined
      let q = kx(tx).selectFrom('clusters').selectAll().where('id', '=', id)
      if (database.dialect === 'postgres') q = q.forUpdate()
      const row = await q.executeTakeFirst()
      return row ? toRecord(row) : undefined
    },

    async getById(id: string, tx?: Tx): Promise<ClusterRecord | undefined> {
      if (hasNul(id)) return undefined
      // The reconciler's passes start with this read: theirs of one turn are one query too.
      if (!tx && byIdBatched) return byIdBatched(id)
      const row = await (tx ? kx(tx) : db)
        .selectFrom('clusters')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row ? toRecord(row) : undefined
    },

    update,

    /**
     * `update` with the `status` guard, and `event` appended when the row was updated: on
     * PostgreSQL one statement (a pass's transition is one round trip, not two); on SQLite,
     * in-process, the two statements.
     */
    async updateWithEvent(
      tx: Tx,
      id: string,
      patch: ClusterPatch,
      now: number,
      from: readonly ClusterStatus[],
      event: NewEvent,
    ): Promise<boolean> {
      if (database.dialect === 'sqlite') {
        if (!(await update(tx, id, patch, now, { status: from }))) return false
        await kx(tx).insertInto('events').values(newEventRow(event)).execute()
        return true
      }
      const e = newEventRow(event)
      try {
        const res = await kx(tx)
          .with('u', (qb) =>
            qb
              .updateTable('clusters')
              .set(patchColumns(patch, now) as never)
              .where('id', '=', id)
              .where('status', 'in', from as ClusterStatus[])
              .returning('id'),
          )
          .insertInto('events')
          .columns(['cluster_id', 'at', 'type', 'from_status', 'to_status', 'reason', 'message'])
          .expression(
            sql`select ${e.cluster_id}::text, ${e.at}::bigint, ${e.type}::text, ${e.from_status}::text,
              ${e.to_status}::text, ${e.reason}::text, ${e.message}::text from u`,
          )
          .executeTakeFirst()
        return Number(res.numInsertedOrUpdatedRows) === 1
      } catch (err) {
        if (isUniqueViolation(err)) throw new DuplicateNameError(id)
        throw err
      }
    },

    /**
     * One page of a project's clusters and the filtered total. Both are cached per query and
     * checked against the stamp (see `stamp`), so a repeated query costs one small read plus
     * the page's rows, and can never be stale. Time-dependent orders (elapsedTime) are never
     * cached.
     */
    async list(
      filter: ClusterListFilter,
      page: PageRequest<ClusterSortField>,
      now: number,
    ): Promise<{ rows: ClusterRecord[]; total: number }> {
      if ((filter.name && hasNul(filter.name)) || (filter.apiKeyStatus && hasNul(filter.apiKeyStatus)))
        return { rows: [], total: 0 }
      const queryKey = JSON.stringify([
        filter.project,
        filter.includeTerminated,
        filter.name,
        filter.apiKeyStatus,
      ])
      const pageKey = JSON.stringify([queryKey, page.sort, page.page, page.size])
      if (database.writeGeneration || page.sort.some((k) => k.field === 'elapsedTime'))
        return listOnce(filter, page, now, queryKey, pageKey)
      return coalesced(pageKey, () => listOnce(filter, page, now, queryKey, pageKey))
    },

    async countByStatus(): Promise<{ project: string; status: string; n: number }[]> {
      const rows = await db
        .selectFrom('clusters')
        .select(['project', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['project', 'status'])
        .execute()
      return rows.map((r) => ({ project: r.project, status: r.status, n: Number(r.n) }))
    },

    async deleteAll(tx: Tx): Promise<void> {
      await kx(tx).deleteFrom('clusters').execute()
      // Every replica's cached lists must miss: see SNAPSHOT.
      const value = String(Date.now()) + Math.random().toString(36).slice(2)
      await kx(tx)
        .insertInto('settings')
        .values({ key: 'clusters_epoch', value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute()
    },
  }
}

export type ClusterStore = ReturnType<typeof createClusterStore>
