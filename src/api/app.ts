import Fastify, {
  LogController,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type HookHandlerDoneFunction,
} from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { createServer as createHttpServer, type RequestListener } from 'node:http'
import { AppError } from '../domain/errors.js'
import type { AdminService } from '../services/admin.js'
import type { ClusterService } from '../services/clusters.js'
import type { ConfigService } from '../services/configs.js'
import type { ConsoleSessionService } from '../services/console-sessions.js'
import type { TaskService } from '../services/tasks.js'
import type { CredentialService } from '../services/credentials.js'
import type { FaultService } from '../services/faults.js'
import type { IdempotencyService } from '../services/idempotency.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js'
import { invalidJsonError } from './json-error.js'
import { registerErrorHandling, sendError, sendUnrouted } from './plugins/errors.js'
import { answerClientError, answerConnect, answerExpectation, requestIdOf } from './plugins/http-edge.js'
import { createIdempotency } from './plugins/idempotency.js'
import { trackRouteMethods } from './plugins/method-not-allowed.js'
import { registerMetrics, type Metrics } from './plugins/metrics.js'
import type { AbuseLimits } from './plugins/rate-limit.js'
import {
  createValidatorCompiler,
  documentParsedParameters,
  schemaErrorFormatter,
} from './plugins/validation.js'
import { SECURITY_SCHEMES } from './openapi.js'
import { documentResponses } from './wire-order.js'
import { adminRoutes } from './routes/admin.js'
import { clusterRoutes } from './routes/clusters.js'
import { CONSOLE_HEADERS, consoleRoutes, isConsolePath } from './routes/console.js'
import { consoleSessionRoutes } from './routes/console-session.js'
import { jobClusterRoutes } from './routes/job-clusters.js'
import type { JobClusterService } from '../services/job-clusters.js'
import { objectRoutes } from './routes/objects.js'
import type { ObjectService } from '../services/objects.js'

export interface AppDeps {
  clusters: ClusterService
  /** The rendered configuration of a cluster (DESIGN section 9). */
  configs: ConfigService
  tasks: TaskService
  /** Job clusters: Open API keys and re-runs (DESIGN section 11). */
  jobs: JobClusterService
  credentials: CredentialService
  /** The web console's sessions (DESIGN section 13): the cookie authenticates like the headers. */
  sessions: ConsoleSessionService
  /** The built web console served at /console/ (a folder with index.html and assets/). */
  consoleDir: string
  faults: FaultService
  /** Idempotency-Key on every POST and DELETE. */
  idempotency: IdempotencyService
  /** The Prometheus registry the engine reports to as well (served at /metrics). */
  metrics: Metrics
  /** The admin API; without a token every /_admin path is a plain 404. */
  admin: { token: string | undefined; service: AdminService }
  /** Readiness: the database answers and the reconciler runs. */
  ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>
  /** Errors that mean "the database cannot serve this now": answered 503 with Retry-After. */
  isUnavailable: (error: unknown) => boolean
  limits: AbuseLimits
  /** The embedded object store behind the Swift-style `/v1/...` route (DESIGN section 8). */
  objects: ObjectService
  http: {
    headersTimeoutMs: number
    requestTimeoutMs: number
    keepAliveTimeoutMs: number
    trustProxy: boolean | number | string
  }
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance']
  version?: string
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's body is optional: an empty one with a JSON content type reads as none. */
    optionalBody?: boolean
  }
}

const SECRET_HEADERS = new Set([
  'credential-secret',
  'hadoop-eco-api-key',
  'authorization',
  'x-csrf-token',
  'cookie',
  'proxy-authorization',
])
const safeHeaders = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, SECRET_HEADERS.has(k) ? '[redacted]' : v]))

export const BODY_LIMIT = 1024 * 1024

/** Builds the HTTP app. Never listens: main.ts does, tests use app.inject(). */
export const buildApp = async (deps: AppDeps): Promise<FastifyInstance> => {
  const loggerOpt =
    deps.logger && typeof (deps.logger as { child?: unknown }).child === 'function'
      ? { loggerInstance: deps.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: (deps.logger as FastifyServerOptions['logger']) ?? false }
  const { http } = deps
  const app = Fastify({
    ...loggerOpt,
    bodyLimit: BODY_LIMIT,
    // A hop count arrives as a number; Fastify takes it as such at run time.
    trustProxy: http.trustProxy as boolean | string,
    // Slow clients (slowloris) cannot hold connections: headers and the whole request have
    // deadlines, checked every second rather than Node's default 30 s.
    serverFactory: (handler: RequestListener) =>
      createHttpServer(
        {
          headersTimeout: http.headersTimeoutMs,
          requestTimeout: http.requestTimeoutMs,
          keepAliveTimeout: http.keepAliveTimeoutMs,
          connectionsCheckingInterval: Math.min(1000, http.headersTimeoutMs),
          // Node would answer a missing Host with a bare 400; the onRequest hook below does it
          // with the envelope.
          requireHostHeader: false,
        },
        handler,
      ),
    // Requests Node's parser refuses (bad request line, headers too large, too slow) still get
    // the envelope and a request id.
    clientErrorHandler: answerClientError,
    // One log line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    // No per-request child logger (it costs on every request): the two places that log a
    // request put its id in the line themselves.
    childLoggerFactory: (logger) => logger,
    genReqId: requestIdOf,
    // Params and query are checked against the route schemas; bodies by the domain, whose
    // rules have their own codes (plugins/validation.ts).
    schemaErrorFormatter,
    routerOptions: { ignoreTrailingSlash: true },
    // Shutdown (DESIGN section 1) finishes what reached us: a request that arrives on an open
    // keep-alive connection while closing is served, with `Connection: close`, instead of
    // Fastify's 503 (a 5xx outside our envelope for a request we could answer; the database
    // stays open until every connection is done).
    return503OnClosing: false,
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
  app.setValidatorCompiler(createValidatorCompiler())
  // Node answers CONNECT and an unsupported Expect itself, outside Fastify: with the envelope.
  app.server.on('connect', answerConnect)
  app.server.on('checkExpectation', answerExpectation)

  // The API speaks JSON only (DESIGN section 2): any other body is 415, text/plain included.
  // A DELETE, or a POST whose every field is optional (`config.optionalBody`), may carry
  // `Content-Type: application/json` without a body, as generic clients send it on every
  // request; the parser keeps Fastify's prototype-poisoning protection.
  app.removeAllContentTypeParsers()
  const json = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' && (req.method === 'DELETE' || req.routeOptions.config.optionalBody))
      return done(null, undefined)
    // Absurd nesting is refused before parsing: code that walks a body recursively (the
    // Idempotency-Key hash) would overflow the stack on it (a 500).
    if (nestsDeeperThan(body as string))
      return done(new AppError('INVALID_JSON', `request body nests deeper than ${MAX_JSON_DEPTH} levels`))
    // Fastify's parser says only "not valid JSON": say where, and why.
    return json(req, body as string, (err, value) => {
      if ((err as FastifyError | null)?.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
        return done(invalidJsonError(body as string))
      done(err, value)
    })
  })

  const { allowedMethods } = trackRouteMethods(app)
  registerErrorHandling(app, { isUnavailable: deps.isUnavailable, allowedMethods })
  // A request no route serves is answered here, before its body is read: a path with other
  // methods is a 405 with Allow, any other a 404, whatever the body (not a 400 for bad JSON).
  const routed = (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    if (!req.is404) return done()
    // The console's pages answer with its security headers, its 404s and 405s too.
    if (isConsolePath(req.url)) reply.headers(CONSOLE_HEADERS)
    sendUnrouted(reply, req, allowedMethods(req.url))
  }

  app.addHook('onResponse', (req, reply, done) => {
    // Headers only at debug, and never a credential: the secret and the admin token are blanked
    // here, whatever logger the server was given.
    if (req.log.level === 'debug' || req.log.level === 'trace')
      req.log.debug(
        { reqId: req.id, remoteAddress: req.ip, headers: safeHeaders(req.headers) },
        'request headers',
      )
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
    // RFC 9112 section 3.2: an HTTP/1.1 request without Host is a 400.
    if (req.headers.host === undefined && req.raw.httpVersion === '1.1')
      return done(new AppError('MALFORMED_REQUEST', 'an HTTP/1.1 request must have a Host header'))
    const path = req.url.split('?')[0] ?? req.url
    // The common case (no fault configured, list fresh) stays synchronous: this runs on every request.
    if (path.startsWith('/_admin') || deps.faults.noneCached()) return routed(req, reply, done)
    deps.faults.apiFault(path).then((fault) => {
      if (!fault) return routed(req, reply, done)
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
      tags: [
        { name: 'clusters' },
        { name: 'extensions' },
        { name: 'admin' },
        { name: 'objects' },
        { name: 'console' },
        { name: 'operations' },
      ],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Parameters the domain parses, and responses serialized in the seed's key order
    // (wire-order.ts), are documented as what they are.
    transform: (route) => documentResponses(documentParsedParameters(route)),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  registerMetrics(app, deps.metrics)

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger())
  app.get('/healthz', { schema: { tags: ['operations'] } }, () => ({ status: 'ok' }))
  // A closing server says so at once, so a balancer stops sending before the connections end.
  let closing = false
  app.addHook('preClose', (done) => {
    closing = true
    done()
  })
  app.get('/readyz', { schema: { tags: ['operations'] } }, async (_req, reply) => {
    const r = closing ? { ok: false, checks: { server: 'shutting down' } } : await deps.ready()
    reply.code(r.ok ? 200 : 503)
    return { status: r.ok ? 'ready' : 'not ready', checks: r.checks }
  })

  const idempotency = createIdempotency(deps.idempotency)
  const { sessions } = deps
  await app.register(async (scope) =>
    clusterRoutes(scope, {
      clusters: deps.clusters,
      configs: deps.configs,
      tasks: deps.tasks,
      credentials: deps.credentials,
      sessions,
      idempotency,
      limits: deps.limits,
    }),
  )
  await app.register(async (scope) =>
    jobClusterRoutes(scope, {
      jobs: deps.jobs,
      credentials: deps.credentials,
      sessions,
      idempotency,
      limits: deps.limits,
    }),
  )
  await app.register(async (scope) =>
    adminRoutes(scope, {
      token: deps.admin.token,
      admin: deps.admin.service,
      idempotency,
      limits: deps.limits,
    }),
  )
  await app.register(async (scope) =>
    objectRoutes(scope, {
      objects: deps.objects,
      credentials: deps.credentials,
      idempotency,
      limits: deps.limits,
    }),
  )
  await app.register(async (scope) => consoleSessionRoutes(scope, { sessions, limits: deps.limits }))
  // Its own scope: no credential hook, nothing in /openapi.json.
  await app.register(async (scope) => consoleRoutes(scope, { dir: deps.consoleDir }))
  return app
}
