import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface MetricsDeps {
  countByStatus: () => Promise<{ status: string; n: number }[]>
}

/** Prometheus metrics: per-route request counts and latency, and clusters by status (read at scrape time). */
export const registerMetrics = (app: FastifyInstance, deps: MetricsDeps) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'hadoop_eco_process_' })
  const labelNames = ['method', 'route', 'status_code'] as const
  const requests = new Counter({
    name: 'hadoop_eco_http_requests_total',
    help: 'HTTP requests',
    labelNames,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'hadoop_eco_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  })
  new Gauge({
    name: 'hadoop_eco_clusters',
    help: 'Clusters by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const { status, n } of await deps.countByStatus()) this.set({ status }, n)
    },
  })

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
    reply.type(registry.contentType)
    return registry.metrics()
  })
  return registry
}
