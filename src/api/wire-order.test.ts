import { Type } from '@sinclair/typebox'
import { describe, expect, it } from 'vitest'
import { documentResponses, inSchemaOrder } from './wire-order.js'

describe('inSchemaOrder', () => {
  const Inner = Type.Object({ a: Type.String(), b: Type.Optional(Type.String()) })
  const Outer = Type.Object({
    id: Type.String(),
    late: Type.Optional(Type.Integer()),
    after: Type.Integer(),
    inner: Inner,
    list: Type.Array(Type.Object({ x: Type.Optional(Type.String()), y: Type.String() })),
  })

  it('drops `required` only where an optional key comes before a required one', () => {
    type S = { required?: string[]; properties: Record<string, S>; items: S }
    const s = inSchemaOrder(Outer) as unknown as S
    expect(s.required).toBeUndefined()
    expect(Object.keys(s.properties)).toEqual(['id', 'late', 'after', 'inner', 'list'])
    expect(s.properties.inner!.required).toEqual(['a'])
    expect(s.properties.list!.items.required).toBeUndefined()
    // the original is untouched
    expect(Outer.required).toEqual(['id', 'after', 'inner', 'list'])
  })

  it('is documented as the original schema', () => {
    const ordered = inSchemaOrder(Outer)
    const { schema } = documentResponses({ schema: { response: { 200: ordered, 400: Inner } }, url: '/x' })
    expect((schema.response as Record<string, unknown>)[200]).toBe(Outer)
    expect((schema.response as Record<string, unknown>)[400]).toBe(Inner)
    const plain = { response: { 200: Inner } }
    expect(documentResponses({ schema: plain, url: '/y' }).schema).toBe(plain)
  })
})
