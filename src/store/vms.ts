import { CompiledQuery, sql, type Selectable } from 'kysely'
import type { PageRequest, VmSortField } from '../domain/paging.js'
import type { VmStatus } from '../domain/statuses.js'
import type { VmRecord } from '../domain/vm.js'
import { batchedGroups } from './batched-reads.js'
import type { Database } from './db.js'
import type { VmsTable } from './tables.js'
import { hasNul } from './text.js'
import { kx, type Tx } from './tx.js'

type VmRow = Selectable<VmsTable>

const toRecord = (r: VmRow): VmRecord => ({
  clusterId: r.cluster_id,
  name: r.name,
  role: r.is_master === 1 ? 'master' : 'worker',
  index: r.idx,
  instanceId: r.instance_id,
  ip: r.ip,
  status: r.status as VmStatus,
  flavorName: r.flavor_name,
  createdAt: r.created_at,
  endedAt: r.ended_at,
})

export interface VmListFilter {
  clusterId: string
  name?: string
  ip?: string
  instanceId?: string
  status?: string
}

const SORT_COLUMNS: Record<
  VmSortField,
  'name' | 'instance_id' | 'is_master' | 'flavor_name' | 'ip' | 'created_at' | 'status' | 'idx' | null
> = {
  name: 'name',
  instanceId: 'instance_id',
  isMaster: 'is_master',
  flavorName: 'flavor_name',
  ip: 'ip',
  // The simulator never assigns floating IPs, so every row ties and the id breaks the tie.
  floatingIp: null,
  createdAt: 'created_at',
  status: 'status',
  index: 'idx',
}

export const createVmStore = (database: Database) => {
  const { db } = database
  const contains = (column: 'name' | 'ip' | 'instance_id' | 'status', needle: string) =>
    database.dialect === 'sqlite'
      ? sql<boolean>`instr(lower(${sql.ref(column)}), ${needle}) > 0`
      : sql<boolean>`strpos(lower(${sql.ref(column)}), ${needle}) > 0`

  // PostgreSQL: the reconciler's passes in flight each read their cluster's VMs; those of one
  // turn of the event loop are one query (batched-reads.ts).
  const liveOf =
    database.dialect === 'postgres'
      ? database.prepared<VmRow>(
          CompiledQuery.raw(
            `select * from vms where cluster_id = any($1::text[]) and ended_at is null
             order by cluster_id, is_master desc, idx asc`,
          ),
          { planEachCall: true },
        )
      : undefined
  const liveBatched =
    liveOf &&
    batchedGroups(
      (ids) => liveOf([ids]),
      (r) => r.cluster_id,
      toRecord,
    )

  return {
    /** The VMs that still exist (a VM that is gone leaves the list), masters first, by index. */
    async live(clusterId: string, tx?: Tx): Promise<VmRecord[]> {
      if (!tx && liveBatched) return liveBatched(clusterId)
      const rows = await (tx ? kx(tx) : db)
        .selectFrom('vms')
        .selectAll()
        .where('cluster_id', '=', clusterId)
        .where('ended_at', 'is', null)
        .orderBy('is_master', 'desc')
        .orderBy('idx', 'asc')
        .execute()
      return rows.map(toRecord)
    },

    async list(
      filter: VmListFilter,
      page: PageRequest<VmSortField>,
    ): Promise<{ rows: VmRecord[]; total: number }> {
      if ([filter.name, filter.ip, filter.instanceId, filter.status].some((f) => f && hasNul(f)))
        return { rows: [], total: 0 }
      let base = db.selectFrom('vms').where('cluster_id', '=', filter.clusterId).where('ended_at', 'is', null)
      if (filter.name) base = base.where(contains('name', filter.name))
      if (filter.ip) base = base.where(contains('ip', filter.ip))
      if (filter.instanceId) base = base.where(contains('instance_id', filter.instanceId))
      if (filter.status) base = base.where(contains('status', filter.status))
      const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      const total = Number(n)
      const offset = page.page * page.size
      if (total === 0 || offset >= total) return { rows: [], total }
      let q = base.selectAll()
      // Unsorted: masters first, then by index, the order the console shows.
      if (page.sort.length === 0) q = q.orderBy('is_master', 'desc').orderBy('idx', 'asc')
      for (const k of page.sort) {
        const col = SORT_COLUMNS[k.field]
        if (col) q = q.orderBy(col, k.dir)
      }
      const rows = await q.orderBy('seq', 'asc').limit(page.size).offset(offset).execute()
      return { rows: rows.map(toRecord), total }
    },

    /**
     * Adds a VM. The cluster's counters follow in the same statement batch: its uptime sums,
     * and the next free index of the VM's role, so an index is never handed out twice.
     */
    async insert(tx: Tx, vms: readonly Omit<VmRecord, 'endedAt'>[]): Promise<void> {
      const first = vms[0]
      if (!first) return
      if (vms.some((vm) => vm.clusterId !== first.clusterId)) throw new Error('VMs of one cluster at a time')
      const trx = kx(tx)
      await trx
        .insertInto('vms')
        .values(
          vms.map((vm) => ({
            cluster_id: vm.clusterId,
            instance_id: vm.instanceId,
            name: vm.name,
            is_master: vm.role === 'master' ? 1 : 0,
            idx: vm.index,
            status: vm.status,
            flavor_name: vm.flavorName,
            ip: vm.ip,
            created_at: vm.createdAt,
            ended_at: null,
          })),
        )
        .execute()
      // The cluster's counters move with its VMs, in the same statement for all of them.
      const greatest = database.dialect === 'sqlite' ? 'max' : 'greatest'
      const next = (role: 'master' | 'worker') => {
        const column = role === 'master' ? 'next_master_index' : 'next_worker_index'
        const indexes = vms.filter((vm) => vm.role === role).map((vm) => vm.index + 1)
        return indexes.length === 0
          ? {}
          : { [column]: sql`${sql.raw(greatest)}(${sql.ref(column)}, ${Math.max(...indexes)})` }
      }
      await trx
        .updateTable('clusters')
        .set((eb) => ({
          vm_live_count: eb('vm_live_count', '+', vms.length),
          vm_live_created_sum: eb(
            'vm_live_created_sum',
            '+',
            vms.reduce((sum, vm) => sum + vm.createdAt, 0),
          ),
          ...next('master'),
          ...next('worker'),
        }))
        .where('id', '=', first.clusterId)
        .execute()
    },

    async setStatus(tx: Tx, clusterId: string, names: readonly string[], status: VmStatus): Promise<void> {
      if (names.length === 0) return
      await kx(tx)
        .updateTable('vms')
        .set({ status })
        .where('cluster_id', '=', clusterId)
        .where('name', 'in', names as string[])
        .where('ended_at', 'is', null)
        .execute()
    },

    /**
     * The provider replaced a VM that vanished: same name and index, a new instance. Its
     * uptime keeps counting from when the VM first joined (the slot never stopped being paid for).
     */
    async replaceInstance(
      tx: Tx,
      clusterId: string,
      name: string,
      next: { instanceId: string; ip: string; status: VmStatus },
    ): Promise<void> {
      await kx(tx)
        .updateTable('vms')
        .set({ instance_id: next.instanceId, ip: next.ip, status: next.status })
        .where('cluster_id', '=', clusterId)
        .where('name', '=', name)
        .where('ended_at', 'is', null)
        .execute()
    },

    /** An address the provider reports only once the VM runs (a pod's IP), or a new one. */
    async setIp(tx: Tx, clusterId: string, name: string, ip: string): Promise<void> {
      await kx(tx)
        .updateTable('vms')
        .set({ ip })
        .where('cluster_id', '=', clusterId)
        .where('name', '=', name)
        .where('ended_at', 'is', null)
        .execute()
    },

    /** The VM is gone: it leaves the list and its uptime is closed at `now`. */
    async end(tx: Tx, clusterId: string, name: string, now: number): Promise<void> {
      const trx = kx(tx)
      const vm = await trx
        .selectFrom('vms')
        .select(['created_at'])
        .where('cluster_id', '=', clusterId)
        .where('name', '=', name)
        .where('ended_at', 'is', null)
        .executeTakeFirst()
      if (!vm) return
      await trx
        .updateTable('vms')
        .set({ ended_at: now })
        .where('cluster_id', '=', clusterId)
        .where('name', '=', name)
        .execute()
      await trx
        .updateTable('clusters')
        .set((eb) => ({
          vm_live_count: eb('vm_live_count', '-', 1),
          vm_live_created_sum: eb('vm_live_created_sum', '-', vm.created_at),
          vm_uptime_closed: eb('vm_uptime_closed', '+', Math.max(0, now - vm.created_at)),
        }))
        .where('id', '=', clusterId)
        .execute()
    },

    async deleteAll(tx: Tx): Promise<void> {
      await kx(tx).deleteFrom('vms').execute()
    },
  }
}

export type VmStore = ReturnType<typeof createVmStore>
