import { describe, expect, it } from 'vitest'
import { didYouMean, editDistance, suggest } from './command-line.js'

describe('suggestions for a mistyped command or option', () => {
  it('measures insertions, deletions, substitutions and swapped neighbours as one edit each', () => {
    expect(editDistance('list', 'list')).toBe(0)
    expect(editDistance('lst', 'list')).toBe(1)
    expect(editDistance('nmae', 'name')).toBe(1)
    expect(editDistance('lsit', 'list')).toBe(1)
    expect(editDistance('gte', 'get')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(editDistance('kitten', 'sitting')).toBe(3)
  })

  it('suggests the closest names, within 2 edits (1 for short words), else by prefix', () => {
    const commands = ['create', 'get', 'list', 'vms', 'delete', 'scale-out', 'scale-in', 'events', 'logs']
    expect(suggest('lst', commands)).toEqual(['list'])
    expect(suggest('delet', commands)).toEqual(['delete'])
    expect(suggest('LIST', commands)).toEqual(['list'])
    expect(suggest('scale', commands)).toEqual(['scale-out', 'scale-in'])
    expect(suggest('scale-ot', commands)).toEqual(['scale-out'])
    expect(suggest('explode', commands)).toEqual([])
    expect(suggest('xy', commands)).toEqual([])
    expect(suggest('x', commands)).toEqual([])
    expect(suggest('nmae', ['endpoint', 'name', 'page', 'size'])).toEqual(['name'])
    expect(suggest('all', ['sort', 'all-pages'])).toEqual(['all-pages'])
  })

  it('words the suggestion', () => {
    expect(didYouMean([])).toBe('')
    expect(didYouMean(['list'])).toBe(' (did you mean list?)')
    expect(didYouMean(['a', 'b', 'c'])).toBe(' (did you mean a, b or c?)')
  })
})
