// Seeds a database with N clusters of one project, straight through the store's Kysely
// connection (the API would take minutes for 100,000). Run against dist/.
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { openDatabase } from '../dist/store/index.js'

const ENVS = ['etl', 'ml', 'adhoc', 'report', 'stream', 'batch', 'bi', 'dev', 'prod', 'qa']
const STATUSES = [
  'Running',
  'Running',
  'Running',
  'Terminated(User)',
  'Terminated(Error)',
  'Running',
  'Processing',
  'Terminated(UserCommand)',
]

/** Name i: `{env}-t{team:3}-{i}`, 100 teams, so `-t042-` matches exactly 1% of the rows. */
export const seedName = (i) => `${ENVS[i % 10]}-t${String(Math.floor(i / 10) % 100).padStart(3, '0')}-${i}`

/** The create body every benchmark sends (and the spec the seeded clusters carry). */
export const clusterSpec = (name) => ({
  name,
  clusterType: 'hadoop',
  clusterVersion: 'hde-2.0.1',
  isHa: false,
  keypairName: 'kp',
  masterFlavorName: 'm2a.xlarge',
  masterVolumeSize: 50,
  workerCnt: 3,
  workerFlavorName: 'm2a.xlarge',
  workerVolumeSize: 100,
  monitoring: true,
  securityGroupName: 'sg',
  vpcId: '3ebb3020-d416-f1a4-534c-d3ad0fa1bec0',
  subnetId: '5c1632bf-a7da-fdbf-a594-e6a7bedb328c',
  config: { hdfsReplication: 3, hdfsBlockSize: 128 },
})

export const seed = async (url, { project, count, startAt = Date.UTC(2026, 0, 1) }) => {
  const database = await openDatabase(url)
  await database.migrate()
  const spec = JSON.stringify(clusterSpec('x'))
  const ids = []
  // Multi-row inserts inside one transaction, as large as each driver's parameter limit allows
  // (25 columns a row: PostgreSQL takes 65,535 parameters, SQLite 32,766).
  const BATCH = database.dialect === 'postgres' ? 2000 : 1000
  await database.transaction(async (trx) => {
    for (let from = 0; from < count; from += BATCH) {
      const rows = []
      for (let i = from; i < Math.min(count, from + BATCH); i++) {
        const status = STATUSES[i % STATUSES.length]
        const terminated = status.startsWith('Terminated')
        const created = startAt + i * 1000
        const id = randomUUID()
        ids.push(id)
        rows.push({
          id,
          project,
          name: seedName(i).slice(0, 20),
          owner: 'bench',
          status,
          terminal_status: null,
          cluster_type: 'hadoop',
          cluster_version: 'hde-2.0.1',
          api_key_status: 'impossible',
          master_cnt: terminated ? 0 : 1,
          worker_cnt: terminated ? 0 : 3,
          target_worker_cnt: 3,
          hdfs_replication: 3,
          created_at: created,
          running_at: created + 330_000,
          terminated_at: terminated ? created + 3_600_000 : null,
          updated_at: created,
          spec: spec.replace('"name":"x"', `"name":"${seedName(i).slice(0, 20)}"`),
          info: JSON.stringify({ securityGroupIds: [randomUUID()], masterIp: '10.1.2.11' }),
          vm_uptime_closed: 0,
          vm_live_count: terminated ? 0 : 4,
          vm_live_created_sum: terminated ? 0 : 4 * created,
          next_master_index: 2,
          next_worker_index: 4,
        })
      }
      await trx.insertInto('clusters').values(rows).execute()
    }
  })
  // What autovacuum would do within minutes of such a load, done before the timed loads rather
  // than beside them (PostgreSQL's "Populating a Database" advice for bulk loads): planner
  // statistics, and the visibility map and hint bits that index-only counts need. Measured
  // without it, the vacuum of a million fresh rows ran during the GET load of the million bench.
  if (database.dialect === 'postgres') await sql`vacuum (analyze)`.execute(database.db)
  await database.close()
  return ids
}
