import type { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../domain/errors.js'
import type { CredentialService } from '../../services/credentials.js'
import { MAX_LIST_LIMIT, toEntry, type ObjectInfo, type ObjectService } from '../../services/objects.js'
import { ErrorBodySchema, ObjectEntrySchema, ObjectListSchema } from '../../wire/schemas.js'
import { CREDENTIAL_HEADERS } from '../openapi.js'
import { registerAuthentication } from '../plugins/auth.js'
import type { Idempotency } from '../plugins/idempotency.js'
import type { AbuseLimits } from '../plugins/rate-limit.js'
import { parsedByDomain } from '../plugins/validation.js'

export interface ObjectRouteDeps {
  objects: ObjectService
  credentials: CredentialService
  idempotency: Idempotency
  limits: AbuseLimits
}

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  413: ErrorBodySchema,
  429: ErrorBodySchema,
  503: ErrorBodySchema,
}
const account = Type.String({ description: 'Any project id: a request acts in its credential’s project' })
const bucketParams = Type.Object({ projectId: account, bucket: Type.String() })
const objectParams = Type.Object({
  projectId: account,
  bucket: Type.String(),
  '*': Type.String({ description: 'The object key, percent-encoded; it may contain "/"' }),
})
type ObjectParams = { Params: { projectId: string; bucket: string; '*': string } }
type BucketParams = { Params: { projectId: string; bucket: string } }
/** An answer without a body, for /openapi.json. */
const empty = (description: string) => ({ description, type: 'null' })
const binary = (description: string) => ({
  description,
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
})

/**
 * The key as the client wrote it, from the raw URL: the router would drop a trailing slash
 * (`logs/` is a key of its own) and never sees the dot segments WHATWG URL parsing resolves.
 */
const keyOf = (req: FastifyRequest): string => {
  const path = (req.raw.url ?? '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split('?')[0] ?? ''
  const raw = /^\/v1\/[^/]+\/[^/]+\/(.*)$/s.exec(path)?.[1] ?? ''
  try {
    return decodeURIComponent(raw)
  } catch {
    throw new AppError('INVALID_OBJECT_NAME', 'object key is not valid percent-encoding', [
      { field: 'key', code: 'INVALID_OBJECT_NAME', message: 'object key is not valid percent-encoding' },
    ])
  }
}

/** type/subtype with optional parameters (RFC 9110 section 8.3.1). */
const MEDIA_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+\s*(;.*)?$/

/** When and which version: Last-Modified, Swift's X-Timestamp, the entity tag. */
const versionHeaders = (reply: FastifyReply, info: ObjectInfo) => {
  reply
    .header('last-modified', new Date(info.lastModified).toUTCString())
    .header('x-timestamp', (info.lastModified / 1000).toFixed(5))
  if (info.etag) reply.header('etag', info.etag)
  return reply
}

/**
 * What GET and HEAD answer about an object, as Swift does; and, since any user of the project
 * chooses its content type, a browser that opens one neither sniffs it nor runs it as a page of
 * this origin.
 */
const objectHeaders = (reply: FastifyReply, info: ObjectInfo) =>
  versionHeaders(reply, info)
    .header('content-length', String(info.bytes))
    .header('content-type', info.contentType ?? 'application/octet-stream')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")

/**
 * The embedded object store over HTTP, Swift-style (DESIGN section 8), so users and cluster nodes
 * can put and fetch objects with curl as on KakaoCloud. Whatever `{projectId}` says, a request acts
 * in its credential's project. Upload bodies are streams of any media type, handed to the store
 * unread: the app's 1 MiB JSON limit does not apply here, HADOOP_ECO_OBJECT_MAX_BYTES does.
 */
export const objectRoutes = async (scope: FastifyInstance, deps: ObjectRouteDeps) => {
  const { objects, credentials, idempotency, limits } = deps
  const app = scope.withTypeProvider<TypeBoxTypeProvider>()
  // No console cookie here: the console never reads objects, and an object served with the
  // session could be an HTML page running as the signed-in user.
  registerAuthentication(scope, { credentials, limits })
  // In this scope only: every body is a raw stream, whatever its Content-Type (or none).
  scope.removeAllContentTypeParsers()
  scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload))

  const tags = ['objects']
  if (!objects.served) {
    // With HADOOP_ECO_OBJECT_STORE=s3 the objects live in the S3 service, not behind this server.
    scope.all('/v1/*', { schema: { hide: true } }, async () => {
      throw new AppError(
        'NOT_FOUND',
        'this server keeps objects in S3 (HADOOP_ECO_OBJECT_STORE=s3): use the S3 endpoint, or hadoop-eco objects with s3:// URLs',
      )
    })
    return
  }

  // Idempotency-Key on the DELETEs (DESIGN section 6): a retried delete is answered as the first.
  const mutation = idempotency.mutation
  const objectPath = '/v1/:projectId/:bucket/*'
  const bucketPath = '/v1/:projectId/:bucket'

  scope.put<ObjectParams>(
    objectPath,
    {
      schema: {
        tags,
        summary: 'Upload an object (streamed; any Content-Type)',
        description:
          'Creates the bucket if it does not exist (a convenience: Swift wants a container PUT first). ' +
          'The object appears whole or not at all.',
        security: CREDENTIAL_HEADERS,
        params: objectParams,
        response: { 201: ObjectEntrySchema, ...errors },
      },
      // Before the body is read (and before a client waiting for 100-continue sends it).
      preParsing: async (req, reply, payload) => {
        const type = req.headers['content-type']
        if (type !== undefined && !MEDIA_TYPE.test(type))
          throw new AppError('INVALID_PARAMETER', 'Content-Type is not a media type (type/subtype)', [
            { field: 'content-type', code: 'INVALID_PARAMETER', message: 'not a media type' },
          ])
        const length = Number(req.headers['content-length'] ?? 0)
        if (length > objects.maxBytes)
          throw new AppError(
            'OBJECT_TOO_LARGE',
            `the object is larger than the ${objects.maxBytes} bytes allowed`,
          )
        return payload
      },
    },
    async (req, reply) => {
      const raw = req.raw
      // A client gone before the end of its body is an incomplete upload, not a server error.
      const gone = new AbortController()
      const onClose = () => {
        if (!raw.complete) gone.abort()
      }
      raw.once('close', onClose)
      try {
        const length = req.headers['content-length']
        const info = await objects.put(
          req.caller,
          req.params.bucket,
          keyOf(req),
          (req.body as Readable) ?? raw,
          {
            ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
            ...(length !== undefined ? { contentLength: Number(length) } : {}),
            signal: gone.signal,
          },
        )
        versionHeaders(reply, info).code(201)
        return toEntry(info)
      } finally {
        raw.off('close', onClose)
        // A refused body was read in part: the rest is read and dropped, so the connection can
        // carry the next request (Node only drains a body nobody began to read).
        if (!raw.complete && !raw.destroyed) raw.resume()
      }
    },
  )

  scope.get<ObjectParams>(
    objectPath,
    {
      exposeHeadRoute: false,
      schema: {
        tags,
        summary: 'Download an object (streamed)',
        security: CREDENTIAL_HEADERS,
        params: objectParams,
        response: { 200: binary('The object’s bytes'), ...errors },
      },
    },
    async (req, reply) => {
      const { info, body } = await objects.get(req.caller, req.params.bucket, keyOf(req))
      return objectHeaders(reply, info).send(body)
    },
  )

  scope.head<ObjectParams>(
    objectPath,
    {
      schema: {
        tags,
        summary: 'An object’s length, type, date and entity tag',
        security: CREDENTIAL_HEADERS,
        params: objectParams,
      },
    },
    async (req, reply) =>
      objectHeaders(reply, await objects.head(req.caller, req.params.bucket, keyOf(req))).send(),
  )

  scope.delete<ObjectParams>(
    objectPath,
    {
      ...mutation,
      schema: {
        tags,
        summary: 'Delete an object',
        security: CREDENTIAL_HEADERS,
        params: objectParams,
        response: { 204: empty('Deleted'), ...errors },
      },
    },
    async (req, reply) => {
      await objects.delete(req.caller, req.params.bucket, keyOf(req))
      return reply.code(204).send()
    },
  )

  app.get(
    bucketPath,
    {
      schema: {
        tags,
        summary: 'List a bucket’s objects, by key',
        security: CREDENTIAL_HEADERS,
        params: bucketParams,
        querystring: Type.Object({
          prefix: Type.Optional(Type.String({ description: 'Only keys that start with this' })),
          marker: Type.Optional(Type.String({ description: 'Only keys after this one (paging)' })),
          limit: Type.Optional(
            parsedByDomain(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: MAX_LIST_LIMIT })),
          ),
        }),
        response: { 200: ObjectListSchema, ...errors },
      },
    },
    async (req) => objects.list(req.caller, req.params.bucket, req.query),
  )

  scope.put<BucketParams>(
    bucketPath,
    {
      schema: {
        tags,
        summary: 'Create a bucket (201; 202 when it exists)',
        security: CREDENTIAL_HEADERS,
        params: bucketParams,
        response: {
          201: empty('Created'),
          202: empty('It existed already'),
          ...errors,
        },
      },
    },
    async (req, reply) =>
      reply.code((await objects.createBucket(req.caller, req.params.bucket)) ? 201 : 202).send(),
  )

  scope.delete<BucketParams>(
    bucketPath,
    {
      ...mutation,
      schema: {
        tags,
        summary: 'Delete an empty bucket (409 while it holds objects)',
        security: CREDENTIAL_HEADERS,
        params: bucketParams,
        response: { 204: empty('Deleted'), ...errors },
      },
    },
    async (req, reply) => {
      await objects.deleteBucket(req.caller, req.params.bucket)
      return reply.code(204).send()
    },
  )
}
