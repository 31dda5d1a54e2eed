import { sql, type Kysely, type Migration } from 'kysely'
import type { Dialect } from '../db.js'

/**
 * Migrations are code so they ship inside the package; each takes the dialect because a few
 * things (auto-increment keys, triggers) are spelled differently on SQLite and PostgreSQL.
 */
export const migrations = (dialect: Dialect): Record<string, Migration> => {
  // The column types of the later migrations (0001 spells its own, as it always did).
  const serial =
    dialect === 'sqlite'
      ? sql.raw('seq integer primary key autoincrement')
      : sql.raw('seq bigserial primary key')
  const big = sql.raw(dialect === 'sqlite' ? 'integer' : 'bigint')
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        const serial = (t: string) =>
          dialect === 'sqlite'
            ? sql.raw(`${t} integer primary key autoincrement`)
            : sql.raw(`${t} bigserial primary key`)
        const big = dialect === 'sqlite' ? 'integer' : 'bigint'
        await sql`create table clusters (
        ${serial('seq')},
        id text not null unique,
        project text not null,
        name text not null,
        owner text not null,
        status text not null,
        terminal_status text,
        cluster_type text not null,
        cluster_version text not null,
        api_key_status text not null,
        master_cnt integer not null,
        worker_cnt integer not null,
        target_worker_cnt integer not null,
        hdfs_replication integer not null,
        created_at ${sql.raw(big)} not null,
        running_at ${sql.raw(big)},
        terminated_at ${sql.raw(big)},
        updated_at ${sql.raw(big)} not null,
        spec text not null,
        info text not null,
        vm_uptime_closed ${sql.raw(big)} not null default 0,
        vm_live_count integer not null default 0,
        vm_live_created_sum ${sql.raw(big)} not null default 0,
        next_master_index integer not null default 1,
        next_worker_index integer not null default 1
      )`.execute(db)
        // A name is unique among a project's clusters that are not terminated; the database
        // enforces it so two racing creates cannot both win.
        await sql`create unique index clusters_live_name on clusters (project, name) where terminated_at is null`.execute(
          db,
        )
        await sql`create index clusters_project_created on clusters (project, created_at desc, id)`.execute(
          db,
        )
        await sql`create index clusters_project_name on clusters (project, name)`.execute(db)

        await sql`create table vms (
        ${serial('seq')},
        cluster_id text not null,
        instance_id text not null unique,
        name text not null,
        is_master integer not null,
        idx integer not null,
        status text not null,
        flavor_name text not null,
        ip text not null,
        created_at ${sql.raw(big)} not null,
        ended_at ${sql.raw(big)}
      )`.execute(db)
        await sql`create unique index vms_cluster_name on vms (cluster_id, name)`.execute(db)

        await sql`create table events (
        ${serial('seq')},
        cluster_id text not null,
        at ${sql.raw(big)} not null,
        type text not null,
        from_status text,
        to_status text,
        reason text not null,
        message text not null
      )`.execute(db)
        await sql`create index events_cluster on events (cluster_id, seq)`.execute(db)

        await sql`create table credentials (
        id text primary key,
        project text not null,
        owner text not null,
        secret_hash text not null,
        created_at ${sql.raw(big)} not null,
        revoked_at ${sql.raw(big)}
      )`.execute(db)

        await sql`create table idempotency_keys (
        project text not null,
        key text not null,
        request_hash text not null,
        state text not null,
        response_status integer,
        response_body text,
        created_at ${sql.raw(big)} not null,
        primary key (project, key)
      )`.execute(db)

        await sql`create table project_revisions (project text primary key, rev ${sql.raw(big)} not null)`.execute(
          db,
        )

        await sql`create table work (
        cluster_id text primary key,
        due_at ${sql.raw(big)} not null,
        lease_owner text,
        lease_expires_at ${sql.raw(big)},
        dirty integer not null default 0,
        attempts integer not null default 0
      )`.execute(db)
        await sql`create index work_due on work (due_at)`.execute(db)

        await sql`create table faults (
        id text primary key,
        cluster_name_glob text,
        path_glob text,
        fault text not null,
        status integer,
        times_left integer,
        created_at ${sql.raw(big)} not null
      )`.execute(db)

        await sql`create table sim_ops (
        key text primary key,
        cluster_id text not null,
        kind text not null,
        started_at ${sql.raw(big)} not null,
        ready_at ${sql.raw(big)} not null,
        outcome text not null,
        result text not null
      )`.execute(db)
        await sql`create index sim_ops_cluster on sim_ops (cluster_id)`.execute(db)

        // Every change to a project's clusters bumps its revision in the same transaction, so a
        // cached list result can be checked for freshness with one point read.
        if (dialect === 'sqlite') {
          for (const [when, row] of [
            ['insert', 'new'],
            ['update', 'new'],
            ['delete', 'old'],
          ] as const) {
            await sql
              .raw(
                `create trigger clusters_rev_${when} after ${when} on clusters begin
                 insert into project_revisions (project, rev) values (${row}.project, 1)
                 on conflict (project) do update set rev = rev + 1;
               end`,
              )
              .execute(db)
          }
        } else {
          await sql`create function bump_project_rev() returns trigger language plpgsql as $$
          begin
            insert into project_revisions (project, rev) values (coalesce(new.project, old.project), 1)
            on conflict (project) do update set rev = project_revisions.rev + 1;
            return null;
          end $$`.execute(db)
          await sql`create trigger clusters_rev after insert or update or delete on clusters
          for each row execute function bump_project_rev()`.execute(db)
        }
      },
    },
    '0002_name_trigram_index': {
      // PostgreSQL: a trigram index lets the case-insensitive substring filter on names use an
      // index instead of scanning the project. pg_trgm is a trusted extension (PostgreSQL 13+);
      // where it cannot be created the filter still works, by a scan.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return
        await sql`do $$ begin create extension if not exists pg_trgm; exception when others then null; end $$`.execute(
          db,
        )
        await sql`do $$ begin
          if exists (select 1 from pg_extension where extname = 'pg_trgm') then
            create index if not exists clusters_name_trgm on clusters using gin (lower(name) gin_trgm_ops);
          end if;
        end $$`.execute(db)
      },
    },
    '0003_sqlite_drop_revision_triggers': {
      // On SQLite the read caches check the server's own commit counter (it is the file's only
      // writer), so bumping project_revisions on every cluster write is work nobody reads.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'sqlite') return
        for (const when of ['insert', 'update', 'delete'])
          await sql.raw(`drop trigger if exists clusters_rev_${when}`).execute(db)
      },
    },
    '0004_settings': {
      // Server-wide facts that must agree across restarts and replicas, such as which key the
      // stored passwords are sealed with.
      async up(db: Kysely<unknown>) {
        await sql`create table settings (key text primary key, value text not null)`.execute(db)
      },
    },
    '0005_task_runs': {
      // DESIGN section 10: each run of a cluster's userTask is a record with its own log.
      async up(db: Kysely<unknown>) {
        await sql`create table task_runs (
        ${serial},
        id text not null unique,
        cluster_id text not null,
        type text not null,
        status text not null,
        created_at ${big} not null,
        started_at ${big},
        ended_at ${big},
        exit_code integer,
        reason text,
        message text,
        log_bucket text,
        log_key text,
        log_text text
      )`.execute(db)
        await sql`create index task_runs_cluster on task_runs (cluster_id, seq)`.execute(db)
      },
    },
    '0006_job_clusters': {
      // DESIGN section 11: a job cluster's Open API key (its hash only) and its re-run requests.
      async up(db: Kysely<unknown>) {
        await sql`create table api_keys (
        cluster_id text primary key,
        key_hash text not null,
        created_at ${big} not null
      )`.execute(db)
        await sql`create table job_requests (
        ${serial},
        id text not null unique,
        cluster_id text not null,
        run integer not null,
        status text not null,
        result text not null,
        settings text not null,
        meta text not null,
        created_at ${big} not null,
        ended_at ${big}
      )`.execute(db)
        await sql`create index job_requests_cluster on job_requests (cluster_id, seq)`.execute(db)
      },
    },
    '0007_console_sessions': {
      // DESIGN section 13: the web console's sign-ins, kept here (not in a process) so every
      // replica sees a sign-out at once. The cookie's token is stored as its SHA-256 only.
      async up(db: Kysely<unknown>) {
        await sql`create table console_sessions (
        token_hash text primary key,
        credential_id text not null,
        project text not null,
        csrf_token text not null,
        created_at ${big} not null,
        last_seen_at ${big} not null,
        expires_at ${big} not null
      )`.execute(db)
        // The purge of expired sessions at each sign-in.
        await sql`create index console_sessions_expires on console_sessions (expires_at)`.execute(db)
      },
    },
    '0008_postgres_drop_revision_trigger': {
      // The read caches on PostgreSQL are checked against the database's snapshot now, so the
      // per-project revision row, which every writer of a project had to lock, goes (as it went
      // on SQLite in 0003). The table goes too: a replica of the previous version still running
      // against this database fails its reads loudly instead of trusting a revision that no
      // longer moves.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return
        await sql`drop trigger if exists clusters_rev on clusters`.execute(db)
        await sql`drop function if exists bump_project_rev()`.execute(db)
        await sql`drop table if exists project_revisions`.execute(db)
      },
    },
    '0009_clusters_terminated_at': {
      // The retention pass (store/retention.ts) walks ended clusters in terminated_at order.
      async up(db: Kysely<unknown>) {
        await sql`create index clusters_terminated_at on clusters (terminated_at, id) where terminated_at is not null`.execute(
          db,
        )
      },
    },
    '0010_name_trigram_without_pending_list': {
      // GIN's fast update parks new entries in a pending list that every search reads whole
      // until a vacuum merges it: after 100,000 creates a filtered count took 8 ms instead of
      // 1.4 ms. Each insert now updates the index itself, and searches stay as fast as the
      // index.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return
        await sql`do $$ begin
          if exists (select 1 from pg_class where relname = 'clusters_name_trgm') then
            alter index clusters_name_trgm set (fastupdate = off);
            perform gin_clean_pending_list('clusters_name_trgm'::regclass);
          end if;
        end $$`.execute(db)
      },
    },
    '0011_clusters_writer_xid': {
      // PostgreSQL: which transaction last wrote each cluster row, so a cached list can ask
      // "which of this project's clusters changed since my snapshot?" through an index and
      // stay valid when none of them can touch it (a create with a name outside its filter).
      async up(db: Kysely<unknown>) {
        if (dialect !== 'postgres') return
        await sql`alter table clusters add column writer_xid bigint not null default (pg_current_xact_id()::text::bigint)`.execute(
          db,
        )
        await sql`create index clusters_project_writer on clusters (project, writer_xid)`.execute(db)
        await sql`create function clusters_writer_xid() returns trigger language plpgsql as $$
          begin
            new.writer_xid := pg_current_xact_id()::text::bigint;
            return new;
          end $$`.execute(db)
        await sql`create trigger clusters_writer_xid before update on clusters
          for each row execute function clusters_writer_xid()`.execute(db)
      },
    },
    '0012_sqlite_name_trigram': {
      // SQLite: a trigram index over cluster names (FTS5, contentless: rowids only), so a list
      // filtered by a name substring reads the matching rows instead of every name of the
      // project (a million clusters: 215 ms -> 25 ms a miss). PostgreSQL has pg_trgm (0002).
      // Triggers keep it beside every insert and delete, whatever writes the rows.
      async up(db: Kysely<unknown>) {
        if (dialect !== 'sqlite') return
        await sql`create virtual table clusters_name_trigram using fts5(name, content='', contentless_delete=1, tokenize='trigram')`.execute(
          db,
        )
        await sql`insert into clusters_name_trigram (rowid, name) select seq, name from clusters`.execute(db)
        await sql`create trigger clusters_name_trigram_insert after insert on clusters begin
          insert into clusters_name_trigram (rowid, name) values (new.seq, new.name);
        end`.execute(db)
        await sql`create trigger clusters_name_trigram_delete after delete on clusters begin
          delete from clusters_name_trigram where rowid = old.seq;
        end`.execute(db)
        await sql`create trigger clusters_name_trigram_update after update of name on clusters begin
          delete from clusters_name_trigram where rowid = old.seq;
          insert into clusters_name_trigram (rowid, name) values (new.seq, new.name);
        end`.execute(db)
      },
    },
  }
}
