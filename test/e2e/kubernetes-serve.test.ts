import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/clock.js'
import { FakeKubeApi } from '../kubernetes/fake-api-server.js'
import { spawnServer, waitFor, type Proc } from '../process.js'
import { buildCli } from './build.js'
import { cliEnv, CREDENTIAL, minimalSpec, runCli, tempHome } from './harness.js'

/**
 * DESIGN section 12 from the outside: `hadoop-eco serve --provider kubernetes` (a real process,
 * its kubeconfig from KUBECONFIG) against the fake API server moving pods in real time, driven
 * with the CLI; and a server with no kubeconfig at all refusing to start.
 */
describe('hadoop-eco serve --provider kubernetes, driven by the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-k8s-serve-'))
  const home = tempHome()
  const procs: Proc[] = []
  let fake: FakeKubeApi
  let url = ''
  beforeAll(async () => {
    await buildCli()
    fake = await new FakeKubeApi(systemClock, {
      podPendingMs: 300,
      podReadyMs: 300,
      podTerminatingMs: 200,
      jobRunMs: 500,
    }).start()
    const kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(kubeconfig, fake.kubeConfig().exportConfig())
    const p = spawnServer(0, {
      HADOOP_ECO_DATABASE_URL: `sqlite:${join(dir, 'k8s.db')}`,
      HADOOP_ECO_DATA_DIR: dir,
      HADOOP_ECO_CREDENTIALS: `${CREDENTIAL.id}:${CREDENTIAL.secret}@proj`,
      HADOOP_ECO_PROVIDER: 'kubernetes',
      KUBECONFIG: kubeconfig,
      HADOOP_ECO_K8S_POLL_MS: '100',
      HADOOP_ECO_POLL_MS: '50',
    })
    procs.push(p)
    await waitFor(
      'the listening line',
      async () => {
        url = /^hadoop-eco listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(p.output())?.[1] ?? ''
        return url !== ''
      },
      30_000,
    )
  }, 180_000)
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL')
    await fake?.stop()
    rmSync(dir, { recursive: true, force: true })
    rmSync(home, { recursive: true, force: true })
  })

  const cli = (args: string[]) => runCli(args, { env: cliEnv(url), home })
  const spec = (name: string, over: Record<string, unknown> = {}) => {
    const file = join(home, `${name}.json`)
    writeFileSync(
      file,
      JSON.stringify(
        minimalSpec(name, { workerCnt: 1, config: { hdfsReplication: 1, hdfsBlockSize: 128 }, ...over }),
      ),
    )
    return file
  }

  it('creates a cluster to Running on pods, shows their IPs, and deletes it with nothing left', async () => {
    const created = await cli(['clusters', 'create', '-f', spec('kcli'), '--wait', '-o', 'json'])
    expect(created.code, created.stderr).toBe(0)
    const cluster = JSON.parse(created.stdout) as { id: string; status: string; nameNodeUrl: string }
    expect(cluster.status).toBe('Running')
    const vms = await cli(['clusters', 'vms', cluster.id, '-o', 'json'])
    const list = JSON.parse(vms.stdout) as { name: string; ip: string; instanceId: string }[]
    expect(list.map((v) => v.name).sort()).toEqual(['HadoopMST-kcli-1', 'HadoopWRK-kcli-1'])
    for (const v of list) {
      const pod = fake.find('Pod', v.name.toLowerCase())!
      expect(v).toMatchObject({ ip: (pod.status as { podIP: string }).podIP, instanceId: pod.metadata.uid })
    }
    expect(cluster.nameNodeUrl).toBe(`http://${list.find((v) => v.name.startsWith('HadoopMST'))!.ip}:9870`)

    const deleted = await cli(['clusters', 'delete', cluster.id, '--wait'])
    expect(deleted.code, deleted.stderr).toBe(0)
    expect(fake.all('Pod')).toEqual([])
    expect(fake.all('ConfigMap')).toEqual([])
    expect(fake.all('PersistentVolumeClaim')).toEqual([])
  })

  it('refuses what the provider cannot run, with the API error on stderr', async () => {
    const res = await cli(['clusters', 'create', '-f', spec('kbase', { clusterType: 'hbase' })])
    expect(res.code).not.toBe(0)
    expect(res.stderr).toContain('CLUSTER_TYPE_NOT_SUPPORTED')
    const old = await cli(['clusters', 'create', '-f', spec('kold', { clusterVersion: 'hde-1.1.2' })])
    expect(old.stderr).toContain('CLUSTER_VERSION_NOT_SUPPORTED')
  })

  it('does not start without a kubeconfig, and says why', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hadoop-eco-nokube-'))
    try {
      const p = spawnServer(0, {
        HADOOP_ECO_DATABASE_URL: `sqlite:${join(empty, 'x.db')}`,
        HADOOP_ECO_DATA_DIR: empty,
        HADOOP_ECO_PROVIDER: 'kubernetes',
        KUBECONFIG: '',
        HOME: empty,
      })
      procs.push(p)
      expect(await p.exited).not.toBe(0)
      expect(p.output()).toContain('no Kubernetes cluster configured')
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })
})
