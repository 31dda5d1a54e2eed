import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import type { Clock } from '../../src/clock.js'

/**
 * An in-process Kubernetes API server that speaks the HTTP @kubernetes/client-node really sends
 * (discovery, server-side apply PATCH, GET, LIST with label selectors, DELETE with background
 * garbage collection through owner references, pods/log) and moves pods and Jobs through their
 * phases on the test's clock. Enough of Kubernetes to drive the provider without a cluster,
 * including its failures: any answer can be made a 409, 422 or 500, or never come.
 */

interface Resource {
  group: string
  version: string
  plural: string
  kind: string
}

const RESOURCES: Resource[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod' },
  { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' },
  { group: '', version: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim' },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job' },
]

type Obj = {
  apiVersion: string
  kind: string
  metadata: Record<string, unknown> & {
    name: string
    namespace: string
    uid: string
    labels?: Record<string, string>
    ownerReferences?: {
      apiVersion?: string
      kind?: string
      name?: string
      uid: string
      controller?: boolean
    }[]
    deletionTimestamp?: string
    creationTimestamp?: string
  }
  status?: Record<string, unknown>
  [k: string]: unknown
}

export interface FakeTimings {
  /** A pod is Pending this long after it is created (scheduling, image pull). */
  podPendingMs: number
  /** Then Running, and Ready this much later (readiness probes). */
  podReadyMs: number
  /** A deleted pod is Terminating this long. */
  podTerminatingMs: number
  /** A Job's pod runs this long. */
  jobRunMs: number
}

export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  contentType: string | undefined
  /** The answer's status, once sent (a hung request has none). */
  status?: number
}

type Fault = { status: number } | { hang: true }

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = []
  private readonly objects = new Map<string, Obj>()
  private readonly faults: { match: (r: RecordedRequest) => boolean; fault: Fault; times: number }[] = []
  private readonly hung: ServerResponse[] = []
  private readonly current = new WeakMap<ServerResponse, RecordedRequest>()
  private rv = 1
  private server: Server | undefined
  url = ''
  /** Which Jobs fail (by name); the others succeed. */
  failJob: (name: string) => boolean = () => false
  /**
   * Status fields a pod reports on top of its phase (by name): what a kubelet says of containers
   * that crash, an image that cannot be pulled, a node that evicted it.
   */
  readonly podStatus = new Map<string, Record<string, unknown>>()
  /** The log a Job's pod leaves. */
  jobLog: (job: Obj) => string = (job) => `job ${job.metadata.name} done\n`

  constructor(
    private readonly clock: Clock,
    readonly timings: FakeTimings = {
      podPendingMs: 1000,
      podReadyMs: 2000,
      podTerminatingMs: 500,
      jobRunMs: 3000,
    },
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    for (const res of this.hung.splice(0)) res.destroy()
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()))
  }

  /** A kubeconfig for this server (plain http: client-node needs insecure-skip-tls-verify). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'tester', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'tester', namespace: 'hadoop-eco' }],
      currentContext: 'fake',
    })
    return kc
  }

  /** The next `times` requests that `match` get `fault` instead of their answer. */
  inject(match: (r: RecordedRequest) => boolean, fault: Fault, times = 1): void {
    this.faults.push({ match, fault, times })
  }

  /** How many injected faults have not struck yet. */
  unusedFaults(): number {
    return this.faults.reduce((n, f) => n + f.times, 0)
  }

  /** Objects of a kind, as stored (status included), after moving time to the clock's now. */
  all(kind: string): Obj[] {
    this.advance()
    return [...this.objects.values()].filter((o) => o.kind === kind)
  }

  find(kind: string, name: string): Obj | undefined {
    return this.all(kind).find((o) => o.metadata.name === name)
  }

  /** Deletes an object behind the client's back, as a user with kubectl or a node failure would. */
  remove(kind: string, name: string): boolean {
    const o = this.find(kind, name)
    if (!o) return false
    this.deleteNow(o)
    return true
  }

  // ---- time ----

  /** Moves every object to where the clock says it is: pod phases, Job completions, GC. */
  private advance(): void {
    const now = this.clock.now()
    for (const o of [...this.objects.values()]) {
      const born = Date.parse(o.metadata.creationTimestamp ?? '')
      const jobName = o.metadata.labels?.['job-name']
      if (o.kind === 'Pod' && jobName) {
        // A Job's pod: it runs, then ends as its Job does.
        const job = this.objects.get(this.key('Job', o.metadata.namespace, jobName))
        // Pending (scheduling, pulling the image) as long as a node's pod, then running.
        const started = now >= born + this.timings.podPendingMs
        const done = now >= born + this.timings.podPendingMs + this.timings.jobRunMs
        const failed = done && this.failJob(jobName)
        const container = ((o.spec as { containers?: { name: string }[] } | undefined)?.containers ?? [])[0]
        o.status = {
          phase: !started ? 'Pending' : !done ? 'Running' : failed ? 'Failed' : 'Succeeded',
          containerStatuses: [
            {
              name: container?.name ?? 'main',
              ready: !done,
              restartCount: 0,
              state: done ? { terminated: { exitCode: failed ? 2 : 0 } } : { running: {} },
            },
          ],
        }
        if (!job) this.deleteNow(o)
        continue
      }
      if (o.kind === 'Pod') {
        if (o.metadata.deletionTimestamp) {
          if (now >= Date.parse(o.metadata.deletionTimestamp) + this.timings.podTerminatingMs)
            this.deleteNow(o)
          continue
        }
        const running = now >= born + this.timings.podPendingMs
        const ready = now >= born + this.timings.podPendingMs + this.timings.podReadyMs
        o.status = {
          phase: running ? 'Running' : 'Pending',
          ...(running ? { podIP: this.podIp(o.metadata.uid), startTime: new Date(born).toISOString() } : {}),
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
          ...this.podStatus.get(o.metadata.name),
        }
      }
      if (o.kind === 'Job') {
        const done = now >= born + this.timings.podPendingMs + this.timings.jobRunMs
        const failed = done && this.failJob(o.metadata.name)
        o.status = done
          ? failed
            ? { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] }
            : { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] }
          : { active: 1 }
      }
    }
  }

  private podIp(uid: string): string {
    const n = parseInt(uid.replace(/-/g, '').slice(0, 4), 16)
    return `10.244.${(n >> 8) & 255}.${n & 255}`
  }

  /** Deletes at once, and then everything it owns (background propagation). */
  private deleteNow(o: Obj): void {
    this.objects.delete(this.key(o.kind, o.metadata.namespace, o.metadata.name))
    for (const dep of [...this.objects.values()])
      if (dep.metadata.ownerReferences?.some((r) => r.uid === o.metadata.uid)) this.deleteNow(dep)
  }

  // ---- HTTP ----

  private key(kind: string, ns: string, name: string) {
    return `${kind}/${ns}/${name}`
  }

  private send(res: ServerResponse, status: number, body: unknown) {
    const rec = this.current.get(res)
    if (rec) rec.status = status
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' })
    res.end(text)
  }

  private status(res: ServerResponse, code: number, reason: string, message: string) {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code })
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
    }
    this.requests.push(rec)
    this.current.set(res, rec)
    let raw = ''
    for await (const chunk of req) raw += String(chunk)

    const f = this.faults.find((x) => x.times > 0 && x.match(rec))
    if (f) {
      f.times--
      if ('hang' in f.fault) {
        this.hung.push(res)
        return
      }
      const reasons: Record<number, string> = { 409: 'Conflict', 422: 'Invalid', 500: 'InternalError' }
      return this.status(res, f.fault.status, reasons[f.fault.status] ?? 'Unknown', 'injected by the test')
    }
    if (req.headers.authorization !== 'Bearer fake-token')
      return this.status(res, 401, 'Unauthorized', 'no token')
    this.advance()

    // Discovery: what client-node asks before it builds a path for a kind.
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(url.pathname)
    if (discovery && rec.method === 'GET') {
      const group = discovery[2] ?? ''
      const version = discovery[1] ?? discovery[3]!
      const resources = RESOURCES.filter((r) => r.group === group && r.version === version)
      if (resources.length === 0) return this.status(res, 404, 'NotFound', 'no such group')
      return this.send(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group ? `${group}/${version}` : version,
        resources: resources.map((r) => ({
          name: r.plural,
          singularName: r.kind.toLowerCase(),
          namespaced: true,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        })),
      })
    }

    const m =
      /^\/(?:api\/v1|apis\/([^/]+)\/v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/(log))?$/.exec(
        url.pathname,
      )
    const resource = m && RESOURCES.find((r) => r.plural === m[3] && r.group === (m[1] ?? ''))
    if (!m || !resource) return this.status(res, 404, 'NotFound', `no route ${url.pathname}`)
    const ns = m[2]!
    const name = m[4] ? decodeURIComponent(m[4]) : undefined
    const apiVersion = resource.group ? `${resource.group}/v1` : 'v1'
    const existing = name ? this.objects.get(this.key(resource.kind, ns, name)) : undefined

    if (m[5] === 'log') {
      if (resource.kind !== 'Pod' || !existing) return this.status(res, 404, 'NotFound', 'no such pod')
      // What a kubelet answers before the container has started.
      if ((existing.status as { phase?: string } | undefined)?.phase === 'Pending')
        return this.status(
          res,
          400,
          'BadRequest',
          `container "${name}" in pod "${name}" is waiting to start: ContainerCreating`,
        )
      return this.send(res, 200, this.logOf(existing))
    }
    if (rec.method === 'GET' && name) {
      if (!existing) return this.status(res, 404, 'NotFound', `${resource.plural} "${name}" not found`)
      return this.send(res, 200, existing)
    }
    if (rec.method === 'GET') {
      const wanted = (url.searchParams.get('labelSelector') ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('='))
      const items = [...this.objects.values()].filter(
        (o) =>
          o.kind === resource.kind &&
          o.metadata.namespace === ns &&
          wanted.every(([k, v]) => o.metadata.labels?.[k!] === v),
      )
      return this.send(res, 200, {
        apiVersion,
        kind: `${resource.kind}List`,
        metadata: { resourceVersion: String(this.rv) },
        items,
      })
    }
    if (rec.method === 'PATCH' && name) {
      if (rec.contentType !== 'application/apply-patch+yaml')
        return this.status(res, 415, 'UnsupportedMediaType', `not a server-side apply: ${rec.contentType}`)
      if (!url.searchParams.get('fieldManager'))
        return this.status(res, 422, 'Invalid', 'fieldManager is required for apply')
      const body = JSON.parse(raw) as Obj
      if (body.kind !== resource.kind || body.metadata?.name !== name)
        return this.status(res, 400, 'BadRequest', 'the body does not match the path')
      const rv = String(++this.rv)
      if (existing && !existing.metadata.deletionTimestamp) {
        // Pods and claims keep their spec once made, as Kubernetes insists: an apply that would
        // change one is refused, so only an idempotent apply passes.
        if (
          (resource.kind === 'Pod' || resource.kind === 'PersistentVolumeClaim' || resource.kind === 'Job') &&
          JSON.stringify(existing.spec) !== JSON.stringify(body.spec)
        )
          return this.status(res, 422, 'Invalid', `${resource.kind} spec is immutable`)
        const next = {
          ...existing,
          ...body,
          metadata: {
            ...existing.metadata,
            ...body.metadata,
            uid: existing.metadata.uid,
            resourceVersion: rv,
          },
          status: existing.status,
        } as Obj
        this.objects.set(this.key(resource.kind, ns, name), next)
        return this.send(res, 200, next)
      }
      const created = {
        ...body,
        apiVersion,
        metadata: {
          ...body.metadata,
          namespace: ns,
          uid: randomUUID(),
          resourceVersion: rv,
          creationTimestamp: new Date(this.clock.now()).toISOString(),
        },
      } as Obj
      this.objects.set(this.key(resource.kind, ns, name), created)
      if (resource.kind === 'Job') {
        // The Job controller's part: one pod running the Job's template, owned by it.
        const pod = `${name}-${created.metadata.uid.slice(0, 5)}`
        this.objects.set(this.key('Pod', ns, pod), {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: pod,
            namespace: ns,
            uid: randomUUID(),
            creationTimestamp: created.metadata.creationTimestamp,
            labels: { 'job-name': name, 'batch.kubernetes.io/job-name': name },
            ownerReferences: [{ apiVersion, kind: 'Job', name, uid: created.metadata.uid, controller: true }],
          },
          spec: (created.spec as { template?: { spec?: unknown } } | undefined)?.template?.spec ?? {},
        } as Obj)
      }
      this.advance()
      return this.send(res, 201, this.objects.get(this.key(resource.kind, ns, name)))
    }
    if (rec.method === 'DELETE' && name) {
      if (!existing) return this.status(res, 404, 'NotFound', `${resource.plural} "${name}" not found`)
      if (resource.kind === 'Pod') {
        existing.metadata.deletionTimestamp ??= new Date(this.clock.now()).toISOString()
        // Its dependents go with it at once; the pod itself after its grace period.
        for (const dep of [...this.objects.values()])
          if (dep.metadata.ownerReferences?.some((r) => r.uid === existing.metadata.uid)) this.deleteNow(dep)
      } else this.deleteNow(existing)
      return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 })
    }
    return this.status(res, 405, 'MethodNotAllowed', `${rec.method} ${url.pathname}`)
  }

  private logOf(pod: Obj): string {
    const job = pod.metadata.labels?.['job-name']
    const owner = job ? this.objects.get(this.key('Job', pod.metadata.namespace, job)) : undefined
    return owner ? this.jobLog(owner) : ''
  }
}
