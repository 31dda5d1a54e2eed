const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Strict standard Base64 (DESIGN section 3): padding required, no URL-safe alphabet, and the
 * text must round-trip, so stray bits in the last group are refused. Line breaks are dropped
 * first because `base64` wraps its output at 76 columns.
 * Returns the decoded bytes, or undefined when the text is not clean Base64.
 */
export const decodeBase64Strict = (text: string): Buffer | undefined => {
  const compact = text.replace(/\r?\n/g, '')
  if (compact.length === 0 || !B64.test(compact)) return undefined
  const bytes = Buffer.from(compact, 'base64')
  return bytes.toString('base64') === compact ? bytes : undefined
}
