import { createHash } from 'node:crypto'

/**
 * Kubernetes names and label values, deterministic so that a retry finds what the first call
 * made. Pure.
 */

/** A DNS-1123 label (Pod, Service and ConfigMap names, a Pod's hostname): at most 63 characters. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
/** A label value: empty, or at most 63 of `[A-Za-z0-9_.-]` that start and end alphanumeric. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/
/** A ConfigMap or Secret key. */
export const DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/

const hash = (text: string, chars: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, chars)

/**
 * A DNS-1123 label from free parts: lower-cased, anything else than `[a-z0-9-]` becomes `-`.
 * When the result is too long it is cut and ends in a hash of the whole, so two long names that
 * share a prefix still differ, and the same parts always give the same name.
 */
export const dnsLabel = (parts: readonly string[], max = 63): string => {
  const full = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
  const name = full === '' ? 'x' : full
  if (name.length <= max && /^[a-z]/.test(name)) return name
  // Service names must start with a letter (DNS-1035); a cut name keeps a readable prefix.
  const prefixed = /^[a-z]/.test(name) ? name : `h-${name}`
  if (prefixed.length <= max) return prefixed
  const tag = hash(name, 10)
  return `${prefixed.slice(0, max - tag.length - 1).replace(/-+$/, '')}-${tag}`
}

/** A label value from any text: kept when valid, else made valid the same way every time. */
export const labelValue = (text: string): string => {
  if (LABEL_VALUE.test(text)) return text
  const cleaned = text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
  if (cleaned.length <= 63 && cleaned !== '') return cleaned
  const tag = hash(text, 10)
  return `${cleaned.slice(0, 63 - tag.length - 1).replace(/[^A-Za-z0-9]+$/, '')}-${tag}`.replace(/^-/, '')
}

/** A short stable tag for an operation key (a task run, a decommission). */
export const keyTag = (key: string): string => hash(key, 10)
