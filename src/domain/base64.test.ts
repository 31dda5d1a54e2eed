import { describe, expect, it } from 'vitest'
import { bareBase64, decodeBase64Strict } from './base64.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

describe('decodeBase64Strict', () => {
  it.each([
    ['no padding needed', 'abc'],
    ['one padding char', 'hello'],
    ['two padding chars', 'hi'],
    ['binary-ish text with + and /', '\u00fb\u00ff\u00be?>'],
  ])('decodes canonical standard Base64 (%s)', (_label, plain) => {
    expect(decodeBase64Strict(b64(plain))?.toString('utf8')).toBe(plain)
  })

  it('ignores line breaks as `base64` prints them (76 columns, LF or CRLF, trailing newline)', () => {
    const plain = 'x'.repeat(200)
    const wrapped = b64(plain).replace(/(.{76})/g, '$1\n') + '\n'
    expect(wrapped.split('\n').length).toBeGreaterThan(3)
    expect(decodeBase64Strict(wrapped)?.toString('utf8')).toBe(plain)
    expect(decodeBase64Strict(wrapped.replace(/\n/g, '\r\n'))?.toString('utf8')).toBe(plain)
  })

  /** What `certutil -encode` writes: armour lines, 64 columns, CRLF. */
  const certutil = (plain: string) =>
    `-----BEGIN CERTIFICATE-----\r\n${b64(plain)
      .replace(/(.{64})/g, '$1\r\n')
      .replace(/\r\n$/, '')}\r\n-----END CERTIFICATE-----\r\n`

  it('accepts the armour `certutil -encode` puts around the Base64 (CRLF, 64 columns)', () => {
    const plain = 'y'.repeat(150)
    const text = certutil(plain)
    expect(text.split('\r\n').length).toBeGreaterThan(4)
    expect(decodeBase64Strict(text)?.toString('utf8')).toBe(plain)
    expect(bareBase64(text)).toBe(b64(plain))
    // LF line endings, blank space around it, a short single line
    expect(decodeBase64Strict(text.replace(/\r\n/g, '\n'))?.toString('utf8')).toBe(plain)
    expect(decodeBase64Strict(`\r\n  ${certutil('hi')}\r\n`)?.toString('utf8')).toBe('hi')
  })

  it.each([
    ['armour without the END line', `-----BEGIN CERTIFICATE-----\r\n${b64('hi')}\r\n`],
    ['armour without the BEGIN line', `${b64('hi')}\r\n-----END CERTIFICATE-----\r\n`],
    ['another label', `-----BEGIN PRIVATE KEY-----\n${b64('hi')}\n-----END PRIVATE KEY-----\n`],
    ['text before the armour', `note\n-----BEGIN CERTIFICATE-----\n${b64('hi')}\n-----END CERTIFICATE-----`],
    ['empty armour', '-----BEGIN CERTIFICATE-----\r\n\r\n-----END CERTIFICATE-----'],
    ['bad Base64 inside the armour', '-----BEGIN CERTIFICATE-----\r\naGk\r\n-----END CERTIFICATE-----'],
  ])('refuses %s', (_label, text) => {
    expect(decodeBase64Strict(text)).toBeUndefined()
  })

  it.each([
    ['empty', ''],
    ['only a line break', '\n'],
    ['missing padding', 'aGVsbG8'],
    ['missing both padding chars', 'aGk'],
    ['URL-safe alphabet', b64('\u00fb\u00ff\u00be?>').replace(/\+/g, '-').replace(/\//g, '_')],
    ['character outside the alphabet', 'aGVs*G8='],
    ['space inside', 'aGVs bG8='],
    ['padding in the middle', 'aG==bG8='],
    ['too much padding', 'aGk==='],
    ['non-canonical: stray bits before one pad', 'aGVsbG9='],
    ['non-canonical: stray bits before two pads', 'aGl='],
  ])('refuses %s', (_label, text) => {
    expect(decodeBase64Strict(text)).toBeUndefined()
  })
})
