// npm run bench [api|reconciler|all]: the benchmarks of bench/README.md, in one run.
// Every load is bounded in time and aimed at 127.0.0.1.
import { openSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { freePort, load, rssMb, sleep, spawnNode, summary, waitHttp, ROOT } from './lib.js'
import { seed, seedName } from './seed.js'

const which = process.argv[2] ?? 'all'
const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const results = {
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  at: new Date().toISOString(),
}
const headers = {
  'credential-id': 'bench-id',
  'credential-secret': 'bench-secret-1234',
  'content-type': 'application/json',
}

const startServer = async (dir, env) => {
  const port = await freePort()
  const log = openSync(join(dir, `server-${port}.log`), 'w')
  // Logging stays on, as shipped: one JSON line per request, into a file.
  const { child } = spawnNode(
    ['bin/hadoop-eco.js', 'serve', '--port', String(port)],
    { HADOOP_ECO_CREDENTIALS: 'bench-id:bench-secret-1234@bench', HADOOP_ECO_LOG_LEVEL: 'info', ...env },
    log,
  )
  await waitHttp(`http://127.0.0.1:${port}/healthz`)
  return {
    port,
    child,
    stop: async () => {
      child.kill('SIGTERM')
      await new Promise((r) => child.on('exit', r))
    },
  }
}

const createBody = (name) =>
  JSON.stringify({
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
    vpcId: 'vpc-1',
    subnetId: 'subnet-1',
    config: { hdfsReplication: 3, hdfsBlockSize: 128 },
  })

const api = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-bench-'))
  const url = `sqlite:${join(dir, 'bench.db')}`
  const t0 = Date.now()
  const ids = await seed(url, { project: 'bench', count: 100_000 })
  const seedMs = Date.now() - t0
  // Time scale 0 and no work rows: the seeded clusters are idle, the reconciler has nothing to do.
  const srv = await startServer(dir, { HADOOP_ECO_DATABASE_URL: url })
  const base = `http://127.0.0.1:${srv.port}/v2/hadoop-eco/clusters`
  const getUrl = `${base}/${ids[4242]}`
  const sample = await (await fetch(getUrl, { headers })).text()

  const barePort = await freePort()
  const bare = spawnNode(['bench/bare-server.js', String(barePort), sample])
  await waitHttp(`http://127.0.0.1:${barePort}/`)
  const bareRes = summary(
    await load({ url: `http://127.0.0.1:${barePort}/`, connections: 50, duration: DURATION }),
  )
  bare.child.kill('SIGTERM')
  await bare.exited

  const getRes = summary(await load({ url: getUrl, headers, connections: 50, duration: DURATION }))
  const listPath = `?name=-t042-&sort=status,asc&sort=createdAt,desc&size=20&page=3`
  const check = await (await fetch(`${base}${listPath}`, { headers })).json()
  const listRes = summary(
    await load({ url: `${base}${listPath}`, headers, connections: 50, duration: DURATION }),
  )
  let n = 0
  const createRes = summary(
    await load({
      url: base,
      method: 'POST',
      headers,
      connections: 50,
      duration: DURATION,
      setupClient: (client) => client.setBody(createBody('p0')),
      requests: [{ setupRequest: (req) => ({ ...req, body: createBody(`p${(n++).toString(36)}-new`) }) }],
    }),
  )
  const rss = rssMb(srv.child.pid)
  await srv.stop()
  rmSync(dir, { recursive: true, force: true })
  results.api = {
    seed: { clusters: 100_000, ms: seedMs },
    bodyBytes: Buffer.byteLength(sample),
    bare: bareRes,
    getOne: { ...getRes, ofBare: Math.round((getRes.rps / bareRes.rps) * 1000) / 10 },
    list: { ...listRes, query: listPath, totalElements: check.totalElements, example: seedName(42 * 10) },
    create: createRes,
    serverRssMb: Math.round(rss),
  }
  console.log(JSON.stringify(results.api, null, 2))
}

const reconciler = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-bench-'))
  const url = `sqlite:${join(dir, 'rec.db')}`
  const srv = await startServer(dir, { HADOOP_ECO_DATABASE_URL: url, HADOOP_ECO_TIME_SCALE: '0' })
  const base = `http://127.0.0.1:${srv.port}/v2/hadoop-eco/clusters`
  const probe = await (await fetch(base, { method: 'POST', headers, body: createBody('probe') })).json()
  let maxRss = rssMb(srv.child.pid)
  const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssMb(srv.child.pid))), 50)

  const t0 = Date.now()
  const ids = []
  const N = 1000
  for (let i = 0; i < N; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, N - i) }, (_, j) =>
        fetch(base, { method: 'POST', headers, body: createBody(`r-${i + j}`) }).then((r) => r.json()),
      ),
    )
    ids.push(...batch.map((b) => b.id))
  }
  const createdMs = Date.now() - t0
  // GET latency while the reconciler works: a steady 10-connection load on one cluster.
  const getLoad = load({ url: `${base}/${probe.id}`, headers, connections: 10, duration: 30 })
  let runningMs
  for (;;) {
    const page = await (
      await fetch(`${base}?size=1&name=r-&includeTerminated=true&sort=status,asc`, { headers })
    ).json()
    const notRunning = await (
      await fetch(`${base}?size=1&name=r-&includeTerminated=false`, { headers })
    ).json()
    void page
    const running = await countRunning(base)
    if (running >= N) {
      runningMs = Date.now() - t0
      break
    }
    if (Date.now() - t0 > 120_000)
      throw new Error(`only ${running}/${N} Running after 120 s (${notRunning.totalElements} live)`)
    await sleep(100)
  }
  const get = summary(await getLoad)
  clearInterval(sampler)
  await srv.stop()
  rmSync(dir, { recursive: true, force: true })
  results.reconciler = {
    clusters: N,
    workersEach: 3,
    createAllMs: createdMs,
    allRunningMs: runningMs,
    getDuring: get,
    maxRssMb: Math.round(maxRss),
  }
  console.log(JSON.stringify(results.reconciler, null, 2))
}

const countRunning = async (base) => {
  let total = 0
  for (let page = 0; ; page++) {
    const res = await (await fetch(`${base}?size=1000&page=${page}&name=r-`, { headers })).json()
    total += res.content.filter((c) => c.status === 'Running').length
    if (res.last) return total
  }
}

if (which === 'api' || which === 'all') await api()
if (which === 'reconciler' || which === 'all') await reconciler()
mkdirSync(join(ROOT, 'bench/results'), { recursive: true })
writeFileSync(join(ROOT, 'bench/results', `${which}-latest.json`), `${JSON.stringify(results, null, 2)}\n`)
