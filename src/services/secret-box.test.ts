import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createSecretBox } from './secret-box.js'

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32))

  it('round-trips and never shows the plain text', () => {
    const sealed = box.seal('Pa55-wörd 🔑')
    expect(sealed).not.toContain('Pa55')
    expect(sealed.startsWith(`enc:v1:${box.keyId}:`)).toBe(true)
    expect(box.open(sealed)).toBe('Pa55-wörd 🔑')
  })

  it('seals the same text differently each time (random IV)', () => {
    expect(box.seal('same')).not.toBe(box.seal('same'))
  })

  it('refuses a value sealed with another key, naming both keys', () => {
    const other = createSecretBox(randomBytes(32))
    expect(() => box.open(other.seal('x'))).toThrow(/sealed with key .* not with this server's key/)
  })

  it('detects tampering', () => {
    const sealed = box.seal('secret')
    // flip one bit of the ciphertext itself (a base64url character may carry only padding bits)
    const [head, iv, body, tag] = sealed.match(/^(.*:)([^.]+)\.([^.]+)\.([^.]+)$/)!.slice(1)
    const bytes = Buffer.from(body!, 'base64url')
    bytes[0] = bytes[0]! ^ 1
    expect(() => box.open(`${head}${iv}.${bytes.toString('base64url')}.${tag}`)).toThrow()
  })

  it('refuses a shortened authentication tag (GCM would accept 4 bytes)', () => {
    const sealed = box.seal('secret')
    const [iv, body, tag] = sealed.split(':').at(-1)!.split('.')
    const short = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url')
    expect(() => box.open(sealed.replace(`${iv}.${body}.${tag}`, `${iv}.${body}.${short}`))).toThrow(
      /malformed/,
    )
  })

  it('keys its MAC: the same data under another key digests differently', () => {
    const other = createSecretBox(randomBytes(32))
    expect(box.mac('body')).toBe(box.mac('body'))
    expect(box.mac('body')).not.toBe(other.mac('body'))
  })

  it('wants exactly 32 key bytes', () => {
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/)
  })
})
