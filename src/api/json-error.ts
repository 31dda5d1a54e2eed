import { AppError } from '../domain/errors.js'

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9'
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c)

/**
 * The offset of the first syntax error in JSON text, or -1 when it is valid JSON. Used only when
 * JSON.parse has already failed without saying where (V8 gives no position for an unexpected
 * token or the end of the input). Recursive: bodies deeper than MAX_JSON_DEPTH never get here.
 */
export const jsonErrorOffset = (t: string): number => {
  let i = 0
  const fail = (): never => {
    throw i
  }
  const ws = () => {
    while (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r') i++
  }
  const word = (w: string) => {
    for (const ch of w) {
      if (t[i] !== ch) fail()
      i++
    }
  }
  const string = () => {
    i++ // the opening quote
    for (;;) {
      const c = t[i]
      if (c === undefined || c < ' ') fail()
      if (c === '"') return void i++
      if (c !== '\\') {
        i++
        continue
      }
      i++
      const e = t[i]
      if (e !== undefined && '"\\/bfnrt'.includes(e)) i++
      else if (e === 'u') {
        i++
        for (let k = 0; k < 4; k++, i++) if (!isHex(t[i])) fail()
      } else fail()
    }
  }
  const number = () => {
    if (t[i] === '-') i++
    if (t[i] === '0') i++
    else if (isDigit(t[i])) while (isDigit(t[i])) i++
    else fail()
    if (t[i] === '.') {
      i++
      if (!isDigit(t[i])) fail()
      while (isDigit(t[i])) i++
    }
    if (t[i] === 'e' || t[i] === 'E') {
      i++
      if (t[i] === '+' || t[i] === '-') i++
      if (!isDigit(t[i])) fail()
      while (isDigit(t[i])) i++
    }
  }
  const value = (): void => {
    ws()
    const c = t[i]
    if (c === '{') {
      i++
      ws()
      if (t[i] === '}') return void i++
      for (;;) {
        ws()
        if (t[i] !== '"') fail()
        string()
        ws()
        if (t[i] !== ':') fail()
        i++
        value()
        ws()
        if (t[i] === '}') return void i++
        if (t[i] !== ',') fail()
        i++
      }
    }
    if (c === '[') {
      i++
      ws()
      if (t[i] === ']') return void i++
      for (;;) {
        value()
        ws()
        if (t[i] === ']') return void i++
        if (t[i] !== ',') fail()
        i++
      }
    }
    if (c === '"') return string()
    if (c === '-' || isDigit(c)) return number()
    if (c === 't') return word('true')
    if (c === 'f') return word('false')
    if (c === 'n') return word('null')
    fail()
  }
  try {
    value()
    ws()
    if (i < t.length) fail()
    return -1
  } catch (at) {
    if (typeof at === 'number') return at
    throw at
  }
}

/** 1-based line and column (in characters) of an offset; a line ends at LF (CRLF included). */
export const lineAndColumn = (text: string, offset: number): { line: number; column: number } => {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  let line = 1
  for (let k = before.indexOf('\n'); k !== -1; k = before.indexOf('\n', k + 1)) line++
  return { line, column: [...before.slice(lineStart)].length + 1 }
}

const CURLY_QUOTES = /[\u201c\u201d\u2018\u2019]/

/** V8's reason, without the position and without the echo of the body it appends. */
const reasonOf = (message: string): string =>
  message
    .replace(/ in JSON at position \d+[\s\S]*$/, '')
    .replace(/^(Unexpected token '.+?'), (?:"|\.\.\.")[\s\S]*$/, '$1')

/**
 * The INVALID_JSON error for a body the JSON parser refused: where (line and column, from
 * JSON.parse's position, or from our own scan when V8 does not give one), why, and a hint when the
 * text has curly quotes, which word processors put in for straight ones (the seed's own scale-out
 * example has them). Runs JSON.parse again: Fastify's parser keeps the SyntaxError to itself.
 */
export const invalidJsonError = (body: string): AppError => {
  let reason: string
  try {
    JSON.parse(body)
    // Valid JSON, refused by the prototype-poisoning check.
    return new AppError(
      'INVALID_JSON',
      'request body is not accepted: it has a "__proto__" or "constructor.prototype" key',
    )
  } catch (e) {
    reason = (e as Error).message
  }
  const given = /at position (\d+)/.exec(reason)
  const offset = given ? Number(given[1]) : jsonErrorOffset(body)
  let message = 'request body is not valid JSON'
  if (offset >= 0) {
    const { line, column } = lineAndColumn(body, offset)
    message += `: ${reasonOf(reason)} at line ${line}, column ${column}`
  }
  if (CURLY_QUOTES.test(body))
    message += '; it contains curly quotes (\u201c \u201d \u2018 \u2019): JSON needs straight quotes (")'
  return new AppError('INVALID_JSON', message)
}
