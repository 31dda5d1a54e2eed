import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../domain/errors.js'
import { parseBool } from '../../domain/paging.js'
import type { ConsoleSessionService } from '../../services/console-sessions.js'
import type { CredentialService } from '../../services/credentials.js'
import type { JobClusterService } from '../../services/job-clusters.js'
import {
  ApiKeySchema,
  ErrorBodySchema,
  JobRequestPageSchema,
  JobRequestSchema,
  RerunRequestSchema,
  RerunResponseSchema,
} from '../../wire/schemas.js'
import { CREDENTIALS } from '../openapi.js'
import { registerAuthentication } from '../plugins/auth.js'
import type { Idempotency } from '../plugins/idempotency.js'
import type { AbuseLimits } from '../plugins/rate-limit.js'
import { warnUnknownQuery } from '../plugins/list-query.js'
import { parsedByDomain } from '../plugins/validation.js'

export interface JobClusterRouteDeps {
  jobs: JobClusterService
  credentials: CredentialService
  sessions: ConsoleSessionService
  idempotency: Idempotency
  limits: AbuseLimits
}

// The credential headers are security schemes (openapi.ts), filled in by Swagger UI's Authorize.
const headers = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'Replays the first response for a retried request (24 h)' }),
  ),
})
const keyHeaders = Type.Object({
  ...headers.properties,
  'hadoop-eco-api-key': Type.Optional(Type.String({ description: "The cluster's Open API key" })),
})
const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
  503: ErrorBodySchema,
}
const idParam = Type.Object({ clusterId: Type.String() })
const apiKeyOf = (req: FastifyRequest): string | undefined => {
  const raw = req.headers['hadoop-eco-api-key']
  return Array.isArray(raw) ? raw[0] : raw
}

/**
 * DESIGN section 11: a job cluster's Open API key (extension routes) and the real service's
 * job-cluster API: the re-run and its requests, under the `Hadoop-Eco-Api-Key` header.
 */
export const jobClusterRoutes = async (scope: FastifyInstance, deps: JobClusterRouteDeps) => {
  const { jobs, credentials, sessions, idempotency, limits } = deps
  const app = scope.withTypeProvider<TypeBoxTypeProvider>()
  registerAuthentication(scope, { credentials, sessions, limits })
  // A wrong key is a failed guess like a wrong secret: it counts towards the address's limit.
  scope.addHook('onError', async (req, _reply, err) => {
    if (err instanceof AppError && err.code === 'API_KEY_INVALID') limits.authFailed(req.ip)
  })

  const idempotent = idempotency.mutation
  const base = '/v2/hadoop-eco/clusters'
  const tags = ['job clusters']

  app.post(
    `${base}/:clusterId/api-key`,
    {
      ...idempotent,
      config: { optionalBody: true },
      schema: {
        tags,
        summary: 'Issue the Open API key of a job cluster, shown this once (extension)',
        security: CREDENTIALS,
        headers,
        params: idParam,
        response: { 201: ApiKeySchema, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await jobs.issueKey(req.caller, req.params.clusterId, idempotency.recorder(req))),
  )
  app.delete(
    `${base}/:clusterId/api-key`,
    {
      ...idempotent,
      schema: {
        tags,
        summary: 'Revoke the Open API key of a job cluster (extension)',
        security: CREDENTIALS,
        headers,
        params: idParam,
        response: { 204: Type.Null({ description: 'Revoked (or there was none)' }), ...errors },
      },
    },
    async (req, reply) => {
      await jobs.revokeKey(req.caller, req.params.clusterId)
      return reply.code(204).send(null)
    },
  )
  app.post(
    `${base}/:clusterId`,
    {
      // The key is checked before an Idempotency-Key can replay anything.
      preHandler: [
        async (req) => {
          await jobs.authorize(req.caller, req.params.clusterId, apiKeyOf(req))
        },
        idempotent.preHandler,
      ],
      onSend: idempotent.onSend,
      config: { optionalBody: true },
      schema: {
        tags,
        summary: 'Run a terminated job cluster again, with overrides',
        security: CREDENTIALS,
        headers: keyHeaders,
        params: idParam,
        body: Type.Optional(RerunRequestSchema),
        response: { 200: RerunResponseSchema, ...errors },
      },
    },
    (req) =>
      jobs.rerun(req.caller, req.params.clusterId, apiKeyOf(req) ?? '', req.body, idempotency.recorder(req)),
  )
  app.get(
    `${base}/:clusterId/requests`,
    {
      preHandler: warnUnknownQuery,
      schema: {
        tags,
        summary: 'Re-run requests of a job cluster, newest first (extension)',
        security: CREDENTIALS,
        headers: keyHeaders,
        params: idParam,
        querystring: Type.Object({
          page: Type.Optional(parsedByDomain(Type.Integer({ minimum: 0, default: 0 }))),
          size: Type.Optional(parsedByDomain(Type.Integer({ minimum: 1, maximum: 1000, default: 20 }))),
        }),
        response: { 200: JobRequestPageSchema, ...errors },
      },
    },
    (req) => jobs.requests(req.caller, req.params.clusterId, apiKeyOf(req), req.query),
  )
  app.get(
    `${base}/:clusterId/requests/:requestId`,
    {
      schema: {
        tags,
        summary: 'A re-run request: Processing, Success or Fail',
        security: CREDENTIALS,
        headers: keyHeaders,
        params: Type.Object({ clusterId: Type.String(), requestId: Type.String() }),
        querystring: Type.Object({
          verbose: Type.Optional(parsedByDomain(Type.Boolean({ default: false }))),
        }),
        response: { 200: JobRequestSchema, ...errors },
      },
    },
    (req) =>
      jobs.request(
        req.caller,
        req.params.clusterId,
        apiKeyOf(req),
        req.params.requestId,
        parseBool(req.query.verbose, 'verbose', false),
      ),
  )
}
