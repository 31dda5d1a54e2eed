import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { invalidJsonError, jsonErrorOffset, lineAndColumn } from './json-error.js'

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a": }', 6],
    ['abc', 0],
    ['{"a":tru}', 8],
    ['{"a": NaN}', 6],
    ['', 0],
    ['{"a": 1', 7],
    ['[1,2', 4],
    ['{"a":1,}', 7],
    ['{"a": 01}', 7],
    ['{"a": "\\q"}', 8],
    ['{"a": "\\u12G4"}', 11],
    ['{"a": 1.}', 8],
    ['{"a": 1e}', 8],
    ['{"a":1} x', 8],
    ['{\u201ca\u201d: 1}', 1],
  ])('finds the first error of %j at %i', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset)
  })

  it('agrees with JSON.parse on what is valid', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonErrorOffset(JSON.stringify(v, null, 2))).toBe(-1)
      }),
    )
    fc.assert(
      fc.property(fc.string(), (t) => {
        let valid = true
        try {
          JSON.parse(t)
        } catch {
          valid = false
        }
        expect(jsonErrorOffset(t) === -1).toBe(valid)
      }),
    )
  })

  it("agrees with V8's position where V8 gives one", () => {
    for (const text of [
      '{"a":1,}',
      '{"a" 1}',
      '{"a":1',
      '[1,2',
      '{"a": 01}',
      '{"a":-}',
      '{"a":1} x',
      '{\n"a": 1\n"b": 2}',
    ]) {
      let position = -1
      try {
        JSON.parse(text)
      } catch (e) {
        position = Number(/at position (\d+)/.exec((e as Error).message)?.[1])
      }
      expect(jsonErrorOffset(text), text).toBe(position)
    }
  })
})

describe('lineAndColumn', () => {
  it('counts from 1, lines at LF (CRLF too), columns in characters', () => {
    expect(lineAndColumn('{"a": }', 6)).toEqual({ line: 1, column: 7 })
    expect(lineAndColumn('{\r\n  "a": }', 10)).toEqual({ line: 2, column: 8 })
    expect(lineAndColumn('{\n"\u{1F600}": x}', 8)).toEqual({ line: 2, column: 6 })
  })
})

describe('invalidJsonError', () => {
  it('says where and why, from V8 position or our own scan', () => {
    expect(invalidJsonError('{\n  "name": "x",\n  "workerCnt": ,\n}').message).toBe(
      "request body is not valid JSON: Unexpected token ',' at line 3, column 16",
    )
    expect(invalidJsonError('{\n  "name": "x"\n  "workerCnt": 3\n}').message).toBe(
      "request body is not valid JSON: Expected ',' or '}' after property value at line 3, column 3",
    )
    expect(invalidJsonError('{"a": 1').message).toBe(
      "request body is not valid JSON: Expected ',' or '}' after property value at line 1, column 8",
    )
  })

  it('never echoes a long body back', () => {
    const text = `{"a": "${'x'.repeat(500)}", "b": }`
    const { message } = invalidJsonError(text)
    expect(message).toBe("request body is not valid JSON: Unexpected token '}' at line 1, column 516")
  })

  it('hints at curly quotes, as in the seed scale-out example', () => {
    const { code, message } = invalidJsonError('{\n  \u201cscaleCnt\u201d: 2\n}')
    expect(code).toBe('INVALID_JSON')
    expect(message).toMatch(/at line 2, column 3/)
    expect(message).toMatch(/curly quotes .*straight quotes/)
    expect(invalidJsonError('{"a": 1,}').message).not.toMatch(/curly/)
  })
})
