// `npm run bench -- render`: the section-9 renderer on a 1,000-worker HA cluster, in-process,
// from the built dist/ (npm run bench builds first).
import { performance } from 'node:perf_hooks'

const ITERATIONS = Number(process.env.BENCH_RENDER_ITERATIONS ?? 2000)
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href

/** A heavy user configuration: 12 classifications of 25 properties, values that need escaping. */
const classifications = () => {
  const names = [
    'core-site',
    'hdfs-site',
    'yarn-site',
    'mapred-site',
    'capacity-scheduler',
    'hive-site',
    'hiveserver2-site',
    'spark-defaults',
    'hadoop-env',
    'spark-env',
    'hive-env',
    'yarn-env',
  ]
  const out = names.map((classification, c) => ({
    classification,
    properties: Object.fromEntries(
      Array.from({ length: 25 }, (_, i) =>
        classification.endsWith('-env')
          ? [`VAR_${c}_${i}`, `-Dx=${i} 'quoted' $HOME`]
          : [`custom.${classification}.key${i}`, `value <${i}> & "more" ]]> \u00e9\u00e8 ${'x'.repeat(40)}`],
      ),
    ),
  }))
  for (const user of ['ubuntu', 'hadoop', 'etl_user'])
    out.push({
      classification: `user-env:${user}`,
      properties: { env: `export JAVA_HOME=/usr/lib/jdk\nexport OWNER=${user}\n` },
    })
  return out
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]
const round = (ms) => Math.round(ms * 1000) / 1000

export const render = async () => {
  const { parseCreateCluster } = await import(dist('domain/cluster-spec.js'))
  const { renderClusterConfigs } = await import(dist('domain/render-config.js'))
  const spec = parseCreateCluster({
    name: 'bench-render',
    clusterType: 'hadoop',
    clusterVersion: 'hde-2.2.0',
    isHa: true,
    keypairName: 'kp',
    masterFlavorName: 'm2a.4xlarge',
    masterVolumeSize: 500,
    workerCnt: 1000,
    workerFlavorName: 'r2a.8xlarge',
    workerVolumeSize: 2000,
    monitoring: true,
    securityGroupName: 'sg',
    vpcId: 'vpc-1',
    subnetId: 'subnet-1',
    config: { hdfsReplication: 3, hdfsBlockSize: 256 },
    hiveDbInfo: { objectId: 'mysql-obj-1', dbName: 'meta', userId: 'hive', userPw: 'c2VjcmV0' },
  })
  const record = {
    seq: 1,
    id: '9a8b7c6d-0000-4000-8000-000000000001',
    project: 'bench',
    name: spec.name,
    owner: 'bench',
    status: 'Running',
    terminalStatus: null,
    clusterType: spec.clusterType,
    clusterVersion: spec.clusterVersion,
    apiKeyStatus: 'impossible',
    masterCnt: 3,
    workerCnt: 1000,
    targetWorkerCnt: 1000,
    hdfsReplication: 3,
    createdAt: 0,
    runningAt: 0,
    terminatedAt: null,
    updatedAt: 0,
    spec,
    info: { securityGroupIds: ['sg-1'], masterIp: '10.0.0.1' },
    vmUptimeClosed: 0,
    vmLiveCount: 1003,
    vmLiveCreatedSum: 0,
    nextMasterIndex: 4,
    nextWorkerIndex: 1001,
  }
  const user = classifications()
  // A fresh record object each time: the cluster view that hosts are read from is cached per
  // record, and a GET of another cluster would not find it cached.
  const once = () => renderClusterConfigs({ ...record }, user)
  let t = performance.now()
  const first = once()
  const coldMs = performance.now() - t
  const times = []
  for (let i = 0; i < ITERATIONS; i++) {
    t = performance.now()
    once()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const files = [...first.master, ...first.worker]
  const out = {
    cluster: {
      type: 'hadoop',
      version: 'hde-2.2.0',
      isHa: true,
      workers: 1000,
      userProperties: 12 * 25,
      userEnvs: 3,
    },
    iterations: ITERATIONS,
    files: { master: first.master.length, worker: first.worker.length },
    renderedBytes: files.reduce((n, f) => n + Buffer.byteLength(f.content), 0),
    coldMs: round(coldMs),
    p50Ms: round(percentile(times, 50)),
    p99Ms: round(percentile(times, 99)),
    maxMs: round(times.at(-1)),
    targetMs: 50,
  }
  console.log(JSON.stringify({ render: out }, null, 2))
  return out
}
