import type { FastifySchema } from 'fastify'
import type { TSchema } from '@sinclair/typebox'

type JsonSchema = {
  type?: unknown
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  [key: string]: unknown
}

const ORIGINAL = Symbol('documented response schema')

/**
 * fast-json-stringify writes an object's required properties first and its optional ones after,
 * whatever the schema's order, so GET's `runningAt` and UI URLs (optional) came out after
 * `masterInfo` and `config`, not where the seed's examples show them. An object whose schema puts
 * an optional key before a required one is serialized without `required` (so the schema's own
 * order, which is the seed's, is kept); every other object keeps its `required` list and
 * fast-json-stringify's check that those keys are there.
 */
const reorders = (s: JsonSchema): boolean => {
  const required = new Set(s.required ?? [])
  let optionalSeen = false
  for (const key of Object.keys(s.properties ?? {})) {
    if (!required.has(key)) optionalSeen = true
    else if (optionalSeen) return true
  }
  return false
}

const ordered = (s: JsonSchema): JsonSchema => {
  if (s.properties) {
    const { required, ...rest } = s
    const properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, ordered(v)]))
    return reorders(s) || !required ? { ...rest, properties } : { ...rest, properties, required }
  }
  if (s.items) return { ...s, items: ordered(s.items) }
  return s
}

/**
 * A response schema to serialize with: the keys come out in the schema's order (the seed's).
 * /openapi.json still shows `schema` itself, required lists included (documentResponses).
 */
export const inSchemaOrder = <T extends TSchema>(schema: T): T => {
  const copy = ordered(schema as unknown as JsonSchema)
  Object.defineProperty(copy, ORIGINAL, { value: schema })
  return copy as unknown as T
}

/** @fastify/swagger `transform` step: each response schema made by inSchemaOrder is documented as its original. */
export const documentResponses = ({ schema, url }: { schema: FastifySchema; url: string }) => {
  const response = schema?.response as Record<string, { [ORIGINAL]?: unknown }> | undefined
  if (!response || !Object.values(response).some((r) => r?.[ORIGINAL])) return { schema, url }
  const documented = Object.fromEntries(
    Object.entries(response).map(([code, r]) => [code, r?.[ORIGINAL] ?? r]),
  )
  return { schema: { ...schema, response: documented }, url }
}
