/** Faults an admin can inject (DESIGN section 7), so users can test their failure paths. */
export const FAULT_KINDS = ['provisionFailure', 'installFailure', 'taskFailure', 'apiError'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]
export const isFaultKind = (v: unknown): v is FaultKind =>
  typeof v === 'string' && (FAULT_KINDS as readonly string[]).includes(v)

/** Shell-style glob: `*` any run, `?` one character; everything else literal. */
export const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  )

export const globMatches = (glob: string, value: string): boolean => globToRegExp(glob).test(value)
