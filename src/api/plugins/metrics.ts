import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface MetricsDeps {
  /** Clusters per project and status, read at scrape time. */
  countByStatus: () => Promise<{ project: string; status: string; n: number }[]>
  /** The reconciler's queue, read at scrape time. */
  queueDepth: () => Promise<{ due: number; total: number }>
}

type PassOutcome = string
type CallOutcome = 'ok' | 'error' | 'timeout'

export interface Metrics {
  registry: Registry
  /** Handed to the reconciler (its EngineMetrics): the engine reports as it works. */
  engine: {
    pass(outcome: PassOutcome, seconds: number): void
    providerCall(operation: string, outcome: CallOutcome, seconds: number): void
    leaseLost(): void
  }
  /** Per route: requests and their latency. */
  http: {
    requests: Counter<'method' | 'route' | 'status_code'>
    latency: Histogram<'method' | 'route' | 'status_code'>
  }
}

/**
 * The server's Prometheus registry: the standard process and Node.js metrics under their usual
 * names, HTTP per route, the engine (passes, provider calls, lease losses, queue depth) and
 * clusters by project and status. Built before the app and the reconciler, which both report to it.
 */
export const createMetrics = (deps: MetricsDeps): Metrics => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  const labelNames = ['method', 'route', 'status_code'] as const
  const requests = new Counter({
    name: 'hadoop_eco_http_requests_total',
    help: 'HTTP requests',
    labelNames,
    registers,
  })
  const latency = new Histogram({
    name: 'hadoop_eco_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  })
  const passes = new Counter({
    name: 'hadoop_eco_reconcile_passes_total',
    help: 'Reconcile passes over one cluster, by how they ended',
    labelNames: ['outcome'],
    registers,
  })
  const passTime = new Histogram({
    name: 'hadoop_eco_reconcile_pass_duration_seconds',
    help: 'Duration of one reconcile pass over one cluster',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers,
  })
  const calls = new Counter({
    name: 'hadoop_eco_provider_calls_total',
    help: 'Provider calls by operation and outcome (timeout: abandoned at the deadline)',
    labelNames: ['operation', 'outcome'],
    registers,
  })
  const callTime = new Histogram({
    name: 'hadoop_eco_provider_call_duration_seconds',
    help: 'Provider call latency by operation',
    labelNames: ['operation'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers,
  })
  const leaseLosses = new Counter({
    name: 'hadoop_eco_reconcile_lease_losses_total',
    help: 'Passes that lost their lease to another replica mid-way',
    registers,
  })
  new Gauge({
    name: 'hadoop_eco_reconcile_queue_depth',
    help: 'Clusters due for a reconcile pass now (state: due) and all clusters with pending work (state: total)',
    labelNames: ['state'],
    registers,
    async collect() {
      const { due, total } = await deps.queueDepth()
      this.set({ state: 'due' }, due)
      this.set({ state: 'total' }, total)
    },
  })
  new Gauge({
    name: 'hadoop_eco_clusters',
    help: 'Clusters by project and status',
    labelNames: ['project', 'status'],
    registers,
    async collect() {
      this.reset()
      for (const { project, status, n } of await deps.countByStatus()) this.set({ project, status }, n)
    },
  })
  return {
    registry,
    engine: {
      pass(outcome, seconds) {
        passes.inc({ outcome })
        passTime.observe(seconds)
      },
      providerCall(operation, outcome, seconds) {
        calls.inc({ operation, outcome })
        callTime.observe({ operation }, seconds)
      },
      leaseLost: () => leaseLosses.inc(),
    },
    http: { requests, latency },
  }
}

/** The HTTP side: per-route counts and latency on every response, and `GET /metrics`. */
export const registerMetrics = (app: FastifyInstance, metrics: Metrics) => {
  const { requests, latency } = metrics.http
  // Bound label sets, cached: resolving labels by object costs a hash per call, on every request.
  const bound = new Map<
    string,
    { count: ReturnType<Counter['labels']>; time: ReturnType<Histogram['labels']> }
  >()
  app.addHook('onResponse', (req, reply, done) => {
    // The route pattern, not the URL, so cluster ids do not explode the label set.
    const route = req.routeOptions.url ?? 'unmatched'
    const key = `${req.method} ${route} ${reply.statusCode}`
    let m = bound.get(key)
    if (!m) {
      const labels = { method: req.method, route, status_code: reply.statusCode }
      m = { count: requests.labels(labels), time: latency.labels(labels) }
      bound.set(key, m)
    }
    m.count.inc()
    m.time.observe(reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
