import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { createKubeApi, loadKubeConfig } from '../../src/providers/kubernetes/kube-api.js'
import { createServer, type Server } from '../../src/server.js'
import { validBody } from '../helpers.js'

/**
 * DESIGN section 12 on a real Kubernetes cluster (kind, k3d, or any other): a 1-master
 * 2-worker hadoop cluster created through the API, its Hive query run as the userTask, one
 * worker scaled in, then deleted with nothing left behind. Real time and real images: minutes.
 * Opt-in with HADOOP_ECO_E2E_KUBECONFIG (docs/kubernetes.md); HADOOP_ECO_E2E_NAMESPACE
 * (default hadoop-eco) must exist, HADOOP_ECO_K8S_RESOURCE_SCALE defaults to 0.05 here.
 */
const kubeconfig = process.env.HADOOP_ECO_E2E_KUBECONFIG
const namespace = process.env.HADOOP_ECO_E2E_NAMESPACE ?? 'hadoop-eco'
const MINUTE = 60_000
const BASE = '/v2/hadoop-eco/clusters'
const headers = { 'credential-id': 'e2e-id', 'credential-secret': 'e2e-secret-1234' }

describe.skipIf(!kubeconfig)(
  kubeconfig
    ? `a real hadoop cluster on ${kubeconfig}`
    : 'a real hadoop cluster (SKIPPED: set HADOOP_ECO_E2E_KUBECONFIG to a kubeconfig to run it)',
  () => {
    let server: Server
    let dir: string
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-k8s-e2e-'))
      const config = loadConfig({
        ...process.env,
        HADOOP_ECO_DATABASE_URL: `sqlite:${join(dir, 'e2e.db')}`,
        HADOOP_ECO_DATA_DIR: dir,
        HADOOP_ECO_CREDENTIALS: 'e2e-id:e2e-secret-1234@e2e',
        HADOOP_ECO_PROVIDER: 'kubernetes',
        HADOOP_ECO_K8S_NAMESPACE: namespace,
        HADOOP_ECO_K8S_RESOURCE_SCALE: process.env.HADOOP_ECO_K8S_RESOURCE_SCALE ?? '0.05',
        HADOOP_ECO_PROVIDER_MAX_ATTEMPTS: '30',
      })
      server = await createServer(config, {
        logger: pino({ level: process.env.HADOOP_ECO_E2E_LOG ?? 'warn' }),
        kubeConfig: loadKubeConfig(kubeconfig),
      })
    })
    afterAll(async () => {
      await server?.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
      const res = await server.app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
      expect(res.statusCode, res.body).toBeLessThan(300)
      return res.json() as Record<string, unknown> & { content?: Record<string, unknown>[] }
    }
    const waitFor = async (what: string, check: () => Promise<boolean>, ms: number) => {
      const end = Date.now() + ms
      while (Date.now() < end) {
        if (await check()) return
        await new Promise((r) => setTimeout(r, 5000))
      }
      throw new Error(`${what}: not within ${ms / MINUTE} minutes`)
    }
    const status = async (id: string) => (await call('GET', `${BASE}/${id}`)).status as string

    it(
      'runs to Running, answers a Hive query, scales in, and is deleted with nothing left',
      async () => {
        const { id } = (await call(
          'POST',
          BASE,
          validBody({
            name: `e2e${Date.now().toString(36)}`,
            workerCnt: 2,
            masterFlavorName: 'm2a.large',
            workerFlavorName: 'm2a.large',
            masterVolumeSize: 50,
            workerVolumeSize: 50,
            config: { hdfsReplication: 1, hdfsBlockSize: 128 },
            userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 6 * 7' },
          }),
        )) as { id: string }
        await waitFor('Running', async () => (await status(id)) === 'Running', 30 * MINUTE)
        const vms = (await call('GET', `${BASE}/${id}/vms`)).content!
        for (const v of vms) expect(v.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)

        let run: Record<string, unknown> | undefined
        await waitFor(
          'the Hive query',
          async () => {
            run = (await call('GET', `${BASE}/${id}/tasks`)).content![0]
            return run?.status === 'Succeeded' || run?.status === 'Failed'
          },
          15 * MINUTE,
        )
        const log = await server.app.inject({ url: `${BASE}/${id}/tasks/${run!.id as string}/log`, headers })
        expect(run!.status, log.body).toBe('Succeeded')
        expect(log.body).toContain('42')

        await call('POST', `${BASE}/${id}/scale-in`, { scaleCnt: 1 })
        await waitFor('the scale-in', async () => (await status(id)) === 'Running', 20 * MINUTE)
        expect((await call('GET', `${BASE}/${id}/vms`)).content!.filter((v) => !v.isMaster)).toHaveLength(1)

        await call('DELETE', `${BASE}/${id}`)
        await waitFor('Terminated', async () => (await status(id)).startsWith('Terminated'), 10 * MINUTE)
        const kube = createKubeApi(loadKubeConfig(kubeconfig), namespace)
        await waitFor(
          'the garbage collector',
          async () =>
            (await kube.list('v1', 'Pod', { 'hadoop-eco.io/cluster-id': id }, AbortSignal.timeout(30_000)))
              .length === 0,
          5 * MINUTE,
        )
      },
      90 * MINUTE,
    )
  },
)
