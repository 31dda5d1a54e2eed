/**
 * The deepest nesting a request body may have. The API's own bodies nest three levels; the
 * limit only has to stop bodies whose depth would overflow the stack of whatever walks them
 * recursively later (JSON.stringify for the Idempotency-Key hash did, at about 10k levels).
 * 128 is serde_json's default recursion limit.
 */
export const MAX_JSON_DEPTH = 128

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * True when JSON text opens more than `max` arrays or objects inside each other. Brackets inside
 * strings do not count. A linear scan with no allocation; it does not validate the text (the
 * JSON parser does that afterwards).
 */
export const nestsDeeperThan = (text: string, max: number = MAX_JSON_DEPTH): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return false
}
