/** The configurations document carried Base64-encoded in `config.configText` (DESIGN section 3). */
export interface Configurations {
  configurations: { classification: string; properties: Record<string, string> }[]
}

/** Checks a decoded configText; returns a problem description or undefined when it is valid. */
export const checkConfigurations = (text: string): string | undefined => {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'must be a JSON object'
  const list = (doc as Record<string, unknown>).configurations
  if (!Array.isArray(list)) return '"configurations" must be an array'
  for (const [i, item] of list.entries()) {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      return `configurations[${i}] must be an object`
    const { classification, properties } = item as Record<string, unknown>
    if (typeof classification !== 'string' || classification.length === 0)
      return `configurations[${i}].classification must be a non-empty string`
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties))
      return `configurations[${i}].properties must be an object`
    for (const [k, v] of Object.entries(properties))
      if (typeof v !== 'string') return `configurations[${i}].properties.${k} must be a string`
  }
  return undefined
}

/**
 * A config file (`config.configFileUrl`) is read whole to be parsed: it gets the limit a create
 * body has (configText travels inside one), so an object of gigabytes named as a config file
 * cannot exhaust memory.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024

/** Why a config file's text is not usable (too large, or not a configurations document); undefined when it is. */
export const configFileProblem = (text: string): string | undefined =>
  Buffer.byteLength(text, 'utf8') > MAX_CONFIG_FILE_BYTES
    ? `it is larger than ${MAX_CONFIG_FILE_BYTES} bytes`
    : checkConfigurations(text)
