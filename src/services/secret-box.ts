import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto'

/**
 * Seals stored passwords (adminInfo.userPw, hiveDbInfo.userPw) with AES-256-GCM, so a copy of
 * the database file or a backup does not give them away. The sealed text names the key it was
 * sealed with, so a wrong key is reported as such instead of as corrupt data.
 */
export interface SecretBox {
  /** A short, public fingerprint of the key (not the key). */
  readonly keyId: string
  seal(plain: string): string
  open(sealed: string): string
  isSealed(text: string): boolean
  /** A keyed digest: lets a hash of a request body be stored without exposing its passwords. */
  mac(data: string): string
}

/** What every sealed value starts with. */
export const SEALED_PREFIX = 'enc:v1:'

export const createSecretBox = (key: Buffer): SecretBox => {
  if (key.length !== 32) throw new Error('the secret key must be 32 bytes')
  const keyId = createHash('sha256').update('hadoop-eco key id\0').update(key).digest('hex').slice(0, 12)
  // Separate keys for separate jobs, so a MAC never doubles as anything sealed.
  const encKey = createHmac('sha256', key).update('hadoop-eco encryption').digest()
  const macKey = createHmac('sha256', key).update('hadoop-eco mac').digest()
  return {
    keyId,
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', encKey, iv)
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'))
      return `${SEALED_PREFIX}${keyId}:${parts.join('.')}`
    },
    open(sealed) {
      if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('not a sealed value')
      const [id, payload = ''] = sealed.slice(SEALED_PREFIX.length).split(':')
      if (id !== keyId) throw new Error(`sealed with key ${id}, not with this server's key ${keyId}`)
      const [iv, body, tag] = payload.split('.').map((p) => Buffer.from(p, 'base64url'))
      // Full-length IV and tag only: GCM would otherwise accept a forged short tag.
      if (iv?.length !== 12 || !body || tag?.length !== 16) throw new Error('malformed sealed value')
      const decipher = createDecipheriv('aes-256-gcm', encKey, iv, { authTagLength: 16 })
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
    },
    isSealed: (text) => text.startsWith(SEALED_PREFIX),
    mac: (data) => createHmac('sha256', macKey).update(data, 'utf8').digest('hex'),
  }
}
