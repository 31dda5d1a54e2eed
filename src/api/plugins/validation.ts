import { Ajv } from 'ajv'
import type { FastifySchema, FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify'
import { Type, type TSchema, type TString } from '@sinclair/typebox'

/**
 * Path parameters and query strings are checked against the route schema, with Fastify's own
 * Ajv settings (query text coerced to the schema's types, a lone value to a one-item array).
 * Bodies are not: every body rule is the domain's, with its own error code, so a body schema
 * documents the wire and nothing more. Headers are left to the hooks that read them.
 */
export const createValidatorCompiler = (): FastifySchemaCompiler<unknown> => {
  const ajv = new Ajv({
    coerceTypes: 'array',
    useDefaults: true,
    removeAdditional: true,
    allErrors: false,
    strict: false,
  })
  return ({ schema, httpPart }) => {
    if (httpPart === 'params') return ajv.compile(schema as object)
    if (httpPart !== 'querystring') return () => true
    const validate = ajv.compile(schema as object)
    const single = Object.entries(
      (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {},
    )
      .filter(([, p]) => p.type === 'string')
      .map(([name]) => name)
    // Spring binds a repeated single-valued parameter as its values joined by commas
    // (`name=a&name=b` is "a,b"); so do we, and the domain then judges the value as usual.
    return (query: unknown) => {
      const q = query as Record<string, unknown>
      for (const name of single) if (Array.isArray(q[name])) q[name] = (q[name] as unknown[]).join(',')
      return validate(query)
    }
  }
}

/** `page must be string`: the parameter's name, as the envelope's field list gives it. */
export const schemaErrorFormatter = (errors: FastifySchemaValidationError[]): Error =>
  new Error(
    errors
      .map((e) => {
        const field =
          e.instancePath.replace(/^\//, '').replace(/\//g, '.') || String(e.params?.missingProperty ?? '')
        return field ? `${field} ${e.message ?? 'is not valid'}` : (e.message ?? 'is not valid')
      })
      .join('; '),
  )

const DOCUMENTED_AS = Symbol('documented as')

/**
 * A query parameter the domain parses itself: its rules have their own messages, and they differ
 * from Ajv's coercion (which would take `1e2` as a page number and refuse `FALSE` as a boolean).
 * Checked here as one string; /openapi.json shows `doc`, what that string must hold.
 */
export const parsedByDomain = (doc: TSchema): TString =>
  Object.assign(Type.String(), { [DOCUMENTED_AS]: doc })

/** @fastify/swagger `transform`: documents each parsedByDomain parameter as its `doc`. Routes without a schema pass through. */
export const documentParsedParameters = ({ schema, url }: { schema: FastifySchema; url: string }) => {
  const query = schema?.querystring as
    { properties?: Record<string, { [DOCUMENTED_AS]?: TSchema }> } | undefined
  if (!query?.properties) return { schema, url }
  const properties = Object.fromEntries(
    Object.entries(query.properties).map(([name, s]) => [name, s[DOCUMENTED_AS] ?? s]),
  )
  return { schema: { ...schema, querystring: { ...query, properties } }, url }
}
