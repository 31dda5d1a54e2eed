import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import {
  createKubeApi,
  FIELD_MANAGER,
  loadKubeConfig,
  type KubeApi,
  type KubeObject,
} from '../../src/providers/kubernetes/kube-api.js'
import { TerminalProviderError } from '../../src/providers/provider.js'
import { FakeKubeApi } from './fake-api-server.js'

const never = () => new AbortController().signal
const LABEL = 'hadoop-eco.io/cluster-id'

const pod = (name: string, cluster: string, image = 'apache/hadoop:3.4.1'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { [LABEL]: cluster } },
  spec: { containers: [{ name: 'node', image }] },
})

type PodStatus = KubeObject & {
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] }
}

describe('the Kubernetes API layer, against a fake API server', () => {
  let clock: ManualClock
  let fake: FakeKubeApi
  let kube: KubeApi
  beforeEach(async () => {
    clock = new ManualClock()
    fake = await new FakeKubeApi(clock).start()
    kube = createKubeApi(fake.kubeConfig(), 'hadoop-eco')
  })
  afterEach(() => fake.stop())

  it('applies server-side with the hadoop-eco field manager, and applying again changes nothing', async () => {
    const first = await kube.apply(pod('hadoopmst-a-1', 'c1'), never())
    const again = await kube.apply(pod('hadoopmst-a-1', 'c1'), never())
    expect(again.metadata.uid).toBe(first.metadata.uid)
    const patches = fake.requests.filter((r) => r.method === 'PATCH')
    expect(patches).toHaveLength(2)
    for (const p of patches) {
      expect(p.path).toBe('/api/v1/namespaces/hadoop-eco/pods/hadoopmst-a-1')
      expect(p.contentType).toBe('application/apply-patch+yaml')
      expect(p.query.get('fieldManager')).toBe(FIELD_MANAGER)
      expect(p.query.get('force')).toBe('true')
    }
    expect(fake.all('Pod')).toHaveLength(1)
  })

  it('reads, lists by label, and tells a missing object apart from a failure', async () => {
    await kube.apply(pod('p1', 'c1'), never())
    await kube.apply(pod('p2', 'c1'), never())
    await kube.apply(pod('p3', 'c2'), never())
    expect((await kube.get('v1', 'Pod', 'p1', never()))?.metadata.name).toBe('p1')
    expect(await kube.get('v1', 'Pod', 'nope', never())).toBeUndefined()
    const listed = await kube.list('v1', 'Pod', { [LABEL]: 'c1' }, never())
    expect(listed.map((p) => p.metadata.name).sort()).toEqual(['p1', 'p2'])
    expect(fake.requests.some((r) => r.query.get('labelSelector') === `${LABEL}=c1`)).toBe(true)
  })

  it('a pod moves Pending -> Running with an IP -> Ready on the clock', async () => {
    await kube.apply(pod('p', 'c'), never())
    const read = async () => (await kube.get<PodStatus>('v1', 'Pod', 'p', never()))!.status!
    expect((await read()).phase).toBe('Pending')
    clock.advance(fake.timings.podPendingMs)
    const running = await read()
    expect(running.phase).toBe('Running')
    expect(running.podIP).toMatch(/^10\.244\./)
    expect(running.conditions).toContainEqual({ type: 'Ready', status: 'False' })
    clock.advance(fake.timings.podReadyMs)
    expect((await read()).conditions).toContainEqual({ type: 'Ready', status: 'True' })
  })

  it('deletes: a pod terminates for its grace period, and what an object owns goes with it', async () => {
    const owner: KubeObject = await kube.apply<KubeObject>(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'c', labels: { [LABEL]: 'c' } },
        spec: { clusterIP: 'None' },
      },
      never(),
    )
    await kube.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'c-master',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'c', uid: owner.metadata.uid! }],
        },
        data: { 'core-site.xml': '<configuration/>' },
      },
      never(),
    )
    await kube.apply(pod('p', 'c'), never())
    expect(await kube.delete('v1', 'Pod', 'p', never())).toBe(true)
    expect((await kube.get('v1', 'Pod', 'p', never()))?.metadata.deletionTimestamp).toBeTruthy()
    clock.advance(fake.timings.podTerminatingMs)
    expect(await kube.get('v1', 'Pod', 'p', never())).toBeUndefined()
    expect(await kube.delete('v1', 'Pod', 'p', never())).toBe(false)

    expect(await kube.delete('v1', 'Service', 'c', never())).toBe(true)
    expect(await kube.get('v1', 'ConfigMap', 'c-master', never())).toBeUndefined()
    expect(fake.requests.find((r) => r.method === 'DELETE')?.query.get('propagationPolicy')).toBe(
      'Background',
    )
  })

  it("a Job runs a pod, and the pod's log is read once it ends (none while it is pending)", async () => {
    fake.jobLog = (job) => `hive task of ${job.metadata.name}: OK\n`
    await kube.apply(
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'task-1', labels: { [LABEL]: 'c' } },
        spec: {
          template: {
            spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'apache/hive:4.0.1' }] },
          },
        },
      },
      never(),
    )
    // Pending: the kubelet answers 400 for the log of a container not started, which is no log.
    const [pending] = await kube.list('v1', 'Pod', { 'job-name': 'task-1' }, never())
    expect(await kube.podLog(pending!.metadata.name, never())).toBeUndefined()
    expect(fake.requests.at(-1)).toMatchObject({ status: 400 })
    clock.advance(fake.timings.podPendingMs + fake.timings.jobRunMs)
    const job = await kube.get<KubeObject & { status?: { succeeded?: number } }>(
      'batch/v1',
      'Job',
      'task-1',
      never(),
    )
    expect(job?.status?.succeeded).toBe(1)
    const [jobPod] = await kube.list('v1', 'Pod', { 'job-name': 'task-1' }, never())
    expect(await kube.podLog(jobPod!.metadata.name, never())).toBe('hive task of task-1: OK\n')
    expect(await kube.podLog('no-such-pod', never())).toBeUndefined()
  })

  it('422 and 403 end the cluster (terminal); 409 and 500 are retried (transient)', async () => {
    const patch = (r: { method: string }) => r.method === 'PATCH'
    for (const [status, terminal] of [
      [422, true],
      [403, true],
      [409, false],
      [500, false],
    ] as const) {
      fake.inject(patch, { status })
      const e = await kube.apply(pod('p', 'c'), never()).then(
        () => undefined,
        (x: unknown) => x,
      )
      expect(e, `status ${status}`).toBeInstanceOf(Error)
      expect(e instanceof TerminalProviderError, `status ${status}`).toBe(terminal)
      expect((e as Error).message).toContain(String(status))
    }
    // After the faults, the same apply goes through.
    await expect(kube.apply(pod('p', 'c'), never())).resolves.toMatchObject({ metadata: { name: 'p' } })
  })

  it('changing a pod that exists is refused (its spec is immutable): only an idempotent apply passes', async () => {
    await kube.apply(pod('p', 'c'), never())
    await expect(kube.apply(pod('p', 'c', 'apache/hadoop:3.3.6'), never())).rejects.toBeInstanceOf(
      TerminalProviderError,
    )
  })

  it('a call that never answers is abandoned when the signal fires', async () => {
    await kube.get('v1', 'Pod', 'warm-up', never()) // discovery done
    fake.inject((r) => r.method === 'GET', { hang: true })
    const started = Date.now()
    await expect(kube.get('v1', 'Pod', 'p', AbortSignal.timeout(100))).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('loads a kubeconfig file, and refuses to start with none rather than call localhost:8080', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'))
    try {
      const file = join(dir, 'config')
      writeFileSync(file, fake.kubeConfig().exportConfig())
      expect(loadKubeConfig(file).getCurrentCluster()?.server).toBe(fake.url)
      const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME }
      process.env.KUBECONFIG = ''
      process.env.HOME = dir
      try {
        expect(() => loadKubeConfig()).toThrow(/no Kubernetes cluster configured/)
        process.env.KUBECONFIG = file
        expect(loadKubeConfig().getCurrentCluster()?.server).toBe(fake.url)
      } finally {
        for (const [k, v] of Object.entries(saved))
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
