import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { AppError } from '../domain/errors.js'
import type { ClusterService } from '../services/clusters.js'
import type { CredentialService } from '../services/credentials.js'
import type { FaultService } from '../services/faults.js'
import type { IdempotencyStore } from '../store/idempotency.js'
import { registerErrorHandling, sendError } from './plugins/errors.js'
import { createIdempotency } from './plugins/idempotency.js'
import { registerMetrics } from './plugins/metrics.js'
import { adminRoutes, type AdminDeps } from './routes/admin.js'
import { clusterRoutes } from './routes/clusters.js'

export interface AppDeps {
  clusters: ClusterService
  credentials: CredentialService
  faults: FaultService
  idempotencyStore: IdempotencyStore
  countByStatus: () => Promise<{ status: string; n: number }[]>
  admin: Omit<AdminDeps, 'credentials' | 'idempotency'>
  /** Readiness: the database answers and the reconciler runs. */
  ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>
  now: () => number
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance']
  version?: string
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
export const BODY_LIMIT = 1024 * 1024

/** Builds the HTTP app. Never listens: main.ts does, tests use app.inject(). */
export const buildApp = async (deps: AppDeps): Promise<FastifyInstance> => {
  const loggerOpt =
    deps.logger && typeof (deps.logger as { child?: unknown }).child === 'function'
      ? { loggerInstance: deps.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: (deps.logger as FastifyServerOptions['logger']) ?? false }
  const app = Fastify({
    ...loggerOpt,
    bodyLimit: BODY_LIMIT,
    // One log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    // No per-request child logger (it costs on every request): the two places that log a
    // request put its id in the line themselves.
    childLoggerFactory: (logger) => logger,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    // Validation is the domain's job (every rule has its own code); schemas here document the
    // wire and drive serialization.
    schemaErrorFormatter: (errors) => new Error(errors.map((e) => e.message).join('; ')),
    ajv: { customOptions: { strict: false } },
    routerOptions: { ignoreTrailingSlash: true },
    // Errors the router raises before any hook runs still get the envelope and a request id.
    frameworkErrors: (err, req, reply) => {
      reply.header('x-request-id', req.id)
      return sendError(
        reply,
        req,
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new AppError('NOT_FOUND', 'no such resource: a path parameter is too long')
          : new AppError('INVALID_PARAMETER', 'the request URL is not valid'),
      )
    },
  })
  app.setValidatorCompiler(() => () => true)

  // The API speaks JSON only (DESIGN section 2): any other body is 415, text/plain included.
  // A DELETE may carry `Content-Type: application/json` without a body, as generic clients send
  // it on every request; the parser keeps Fastify's prototype-poisoning protection.
  app.removeAllContentTypeParsers()
  const json = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' && req.method === 'DELETE') return done(null, undefined)
    return json(req, body as string, done)
  })

  registerErrorHandling(app)

  app.addHook('onResponse', (req, reply, done) => {
    req.log.info(
      {
        reqId: req.id,
        method: req.method,
        url: req.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    )
    done()
  })
  // One onRequest hook for every request (each hook costs on the hot path): the request id,
  // then apiError faults (DESIGN section 7), which answer before any route runs.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id)
    const path = req.url.split('?')[0] ?? req.url
    // The common case (no fault configured, list fresh) stays synchronous: this runs on every request.
    if (path.startsWith('/_admin') || deps.faults.noneCached()) return done()
    deps.faults.apiFault(path).then((fault) => {
      if (!fault) return done()
      // Throttling and unavailability say when to come back, as a real gateway would.
      if (fault.status === 429 || fault.status === 503) reply.header('retry-after', '1')
      sendError(reply, req, new AppError('INJECTED_FAULT', 'injected fault', [], fault.status))
    }, done)
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Hadoop Eco Open API (hadoop-eco)',
        description: 'Wire-compatible implementation of the KakaoCloud Hadoop Eco Open API, with extensions.',
        version: deps.version ?? '0.0.0',
      },
      tags: [{ name: 'clusters' }, { name: 'extensions' }, { name: 'admin' }, { name: 'operations' }],
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  registerMetrics(app, { countByStatus: deps.countByStatus })

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger())
  app.get('/healthz', { schema: { tags: ['operations'] } }, () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { tags: ['operations'] } }, async (_req, reply) => {
    const r = await deps.ready()
    reply.code(r.ok ? 200 : 503)
    return { status: r.ok ? 'ready' : 'not ready', checks: r.checks }
  })

  const idempotency = createIdempotency({ store: deps.idempotencyStore, now: deps.now })
  await app.register(async (scope) =>
    clusterRoutes(scope, { clusters: deps.clusters, credentials: deps.credentials, idempotency }),
  )
  await app.register(async (scope) =>
    adminRoutes(scope, { ...deps.admin, credentials: deps.credentials, idempotency }),
  )
  return app
}
