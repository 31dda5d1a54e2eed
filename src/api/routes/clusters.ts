import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ClusterService } from '../../services/clusters.js'
import type { ConfigService } from '../../services/configs.js'
import type { TaskService } from '../../services/tasks.js'
import type { ConsoleSessionService } from '../../services/console-sessions.js'
import type { CredentialService } from '../../services/credentials.js'
import { VM_STATUSES } from '../../domain/statuses.js'
import {
  ClusterConfigsSchema,
  ClusterPageSchema,
  ClusterRefSchema,
  ClusterSchema,
  CreateClusterRequestSchema,
  ErrorBodySchema,
  EventPageSchema,
  ScaleRequestSchema,
  TaskRunPageSchema,
  VmPageSchema,
} from '../../wire/schemas.js'
import { CREATE_CLUSTER_EXAMPLE, CREDENTIALS } from '../openapi.js'
import { registerAuthentication } from '../plugins/auth.js'
import type { Idempotency } from '../plugins/idempotency.js'
import type { AbuseLimits } from '../plugins/rate-limit.js'
import { checkVmStatusFilter, warnUnknownQuery } from '../plugins/list-query.js'
import { inSchemaOrder } from '../wire-order.js'
import { parsedByDomain } from '../plugins/validation.js'

export interface ClusterRouteDeps {
  clusters: ClusterService
  configs: ConfigService
  tasks: TaskService
  credentials: CredentialService
  sessions: ConsoleSessionService
  idempotency: Idempotency
  limits: AbuseLimits
}

// Credential-ID and Credential-Secret are documented as security schemes (openapi.ts), which
// Swagger UI fills in once through its Authorize button; the auth hook reads them.
const authenticated = {
  security: CREDENTIALS,
  headers: Type.Object({
    'idempotency-key': Type.Optional(
      Type.String({ description: 'Replays the first response for a retried request (24 h)' }),
    ),
  }),
}
const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
  503: ErrorBodySchema,
}
const idParam = Type.Object({ clusterId: Type.String() })
// page, size and includeTerminated are parsed by domain/paging.ts (INVALID_PARAMETER with the
// parameter's name); the schema checks that each is given once.
const pageQuery = {
  page: Type.Optional(parsedByDomain(Type.Integer({ minimum: 0, default: 0 }))),
  size: Type.Optional(parsedByDomain(Type.Integer({ minimum: 1, maximum: 1000, default: 20 }))),
  sort: Type.Optional(
    Type.Array(Type.String(), { description: 'field,asc|desc; repeatable, first has priority' }),
  ),
}

/**
 * The seed's seven operations plus the events extension. Handlers are one line: the service
 * does the work, the response schema shapes the bytes.
 */
export const clusterRoutes = async (scope: FastifyInstance, deps: ClusterRouteDeps) => {
  const { clusters, tasks, credentials, sessions, idempotency, limits } = deps
  // Params and query are typed from their schemas, which the validator checks. A body is typed
  // from its schema too but not checked here: it goes on to the service as `unknown`.
  const app = scope.withTypeProvider<TypeBoxTypeProvider>()
  registerAuthentication(scope, { credentials, sessions, limits })

  // Idempotency-Key applies to mutations only, so these hooks sit on the POST and DELETE routes.
  const mutation = idempotency.mutation

  const base = '/v2/hadoop-eco/clusters'
  const tags = ['clusters']

  app.post(
    base,
    {
      ...mutation,
      schema: {
        tags,
        summary: 'Create cluster',
        ...authenticated,
        body: { ...CreateClusterRequestSchema, examples: [CREATE_CLUSTER_EXAMPLE] },
        response: { 200: ClusterRefSchema, ...errors },
      },
    },
    (req) => clusters.create(req.caller, req.body, idempotency.recorder(req)),
  )
  app.get(
    base,
    {
      preHandler: warnUnknownQuery,
      schema: {
        tags,
        summary: 'Retrieve cluster list',
        ...authenticated,
        querystring: Type.Object({
          ...pageQuery,
          includeTerminated: Type.Optional(parsedByDomain(Type.Boolean({ default: true }))),
          name: Type.Optional(Type.String({ description: 'case-insensitive substring' })),
          apiKeyStatus: Type.Optional(Type.String({ description: 'case-insensitive substring' })),
        }),
        response: { 200: inSchemaOrder(ClusterPageSchema), ...errors },
      },
    },
    (req) => clusters.list(req.caller, req.query),
  )
  app.get(
    `${base}/:clusterId`,
    {
      schema: {
        tags,
        summary: 'Retrieve cluster',
        ...authenticated,
        params: idParam,
        response: { 200: inSchemaOrder(ClusterSchema), ...errors },
      },
    },
    (req) => clusters.get(req.caller, req.params.clusterId),
  )
  app.get(
    `${base}/:clusterId/vms`,
    {
      preHandler: [warnUnknownQuery, checkVmStatusFilter],
      schema: {
        tags,
        summary: 'Retrieve VM list of cluster',
        ...authenticated,
        params: idParam,
        querystring: Type.Object({
          ...pageQuery,
          ip: Type.Optional(Type.String()),
          name: Type.Optional(Type.String()),
          instanceId: Type.Optional(Type.String()),
          status: Type.Optional(
            Type.String({
              description: `case-insensitive part of a VM status: ${VM_STATUSES.join(', ')}`,
            }),
          ),
        }),
        response: { 200: inSchemaOrder(VmPageSchema), ...errors },
      },
    },
    (req) => clusters.vms(req.caller, req.params.clusterId, req.query),
  )
  app.delete(
    `${base}/:clusterId`,
    {
      ...mutation,
      schema: {
        tags,
        summary: 'Delete cluster',
        ...authenticated,
        params: idParam,
        response: { 200: ClusterRefSchema, ...errors },
      },
    },
    (req) => clusters.delete(req.caller, req.params.clusterId, idempotency.recorder(req)),
  )
  const scale = (direction: 'out' | 'in') => ({
    ...mutation,
    schema: {
      tags,
      summary: direction === 'out' ? 'Scale out cluster' : 'Scale in cluster',
      ...authenticated,
      params: idParam,
      body: ScaleRequestSchema,
      response: { 200: ClusterRefSchema, ...errors },
    },
  })
  app.post(`${base}/:clusterId/scale-out`, scale('out'), (req) =>
    clusters.scale(req.caller, req.params.clusterId, 'out', req.body, idempotency.recorder(req)),
  )
  // The seed's scale-in example uses DELETE; both verbs are served.
  for (const method of ['POST', 'DELETE'] as const)
    app.route({
      method,
      url: `${base}/:clusterId/scale-in`,
      ...scale('in'),
      handler: (req) =>
        clusters.scale(req.caller, req.params.clusterId, 'in', req.body, idempotency.recorder(req)),
    })
  app.get(
    `${base}/:clusterId/events`,
    {
      preHandler: warnUnknownQuery,
      schema: {
        tags: ['extensions'],
        summary: 'Cluster events (extension)',
        ...authenticated,
        params: idParam,
        querystring: Type.Object({ page: pageQuery.page, size: pageQuery.size }),
        response: { 200: inSchemaOrder(EventPageSchema), ...errors },
      },
    },
    (req) => clusters.events(req.caller, req.params.clusterId, req.query),
  )
  app.get(
    `${base}/:clusterId/tasks`,
    {
      preHandler: warnUnknownQuery,
      schema: {
        tags: ['extensions'],
        summary: 'Task runs of the cluster, newest first (extension)',
        ...authenticated,
        params: idParam,
        querystring: Type.Object({ page: pageQuery.page, size: pageQuery.size }),
        response: { 200: inSchemaOrder(TaskRunPageSchema), ...errors },
      },
    },
    (req) => tasks.list(req.caller, req.params.clusterId, req.query),
  )
  // A stream answers this one, which the type provider's string type cannot describe: the route
  // is typed by its generic instead (the params schema still checks the request).
  scope.get<{ Params: { clusterId: string; taskId: string } }>(
    `${base}/:clusterId/tasks/:taskId/log`,
    {
      schema: {
        tags: ['extensions'],
        summary: "A task run's log, streamed as text (extension)",
        ...authenticated,
        params: Type.Object({ clusterId: Type.String(), taskId: Type.String() }),
        response: {
          200: {
            description: 'The log text, streamed',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const body = await tasks.log(req.caller, req.params.clusterId, req.params.taskId)
      return reply.type('text/plain; charset=utf-8').send(body)
    },
  )
  app.get(
    `${base}/:clusterId/configs`,
    {
      schema: {
        tags: ['extensions'],
        summary: 'Rendered Hadoop configuration: the files of each role (extension)',
        ...authenticated,
        params: idParam,
        response: { 200: ClusterConfigsSchema, ...errors },
      },
    },
    (req) => deps.configs.configs(req.caller, req.params.clusterId),
  )
}
