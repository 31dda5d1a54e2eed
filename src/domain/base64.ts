const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * The armour `certutil -encode` puts around its Base64, which the seed tells Windows users to run:
 * a `-----BEGIN CERTIFICATE-----` line before and an `-----END CERTIFICATE-----` line after, CRLF
 * line endings, the Base64 wrapped at 64 columns. Blank lines or spaces around it are allowed.
 */
const ARMOUR = /^\s*-----BEGIN CERTIFICATE-----\r?\n([\s\S]*?)\r?\n-----END CERTIFICATE-----\s*$/

/**
 * The Base64 text itself: without certutil's armour and without line breaks (`base64` wraps at
 * 76 columns, certutil at 64 with CRLF). This is what is stored and shown back.
 */
export const bareBase64 = (text: string): string => {
  const inner = ARMOUR.exec(text)?.[1] ?? text
  return inner.replace(/\r?\n/g, '')
}

/**
 * Strict standard Base64 (DESIGN section 3): padding required, no URL-safe alphabet, and the
 * text must round-trip, so stray bits in the last group are refused. Line breaks and
 * certutil's armour are dropped first (bareBase64).
 * Returns the decoded bytes, or undefined when the text is not clean Base64.
 */
export const decodeBase64Strict = (text: string): Buffer | undefined => {
  const compact = bareBase64(text)
  if (compact.length === 0 || !B64.test(compact)) return undefined
  const bytes = Buffer.from(compact, 'base64')
  return bytes.toString('base64') === compact ? bytes : undefined
}
