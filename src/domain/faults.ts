/** Faults an admin can inject (DESIGN section 7), so users can test their failure paths. */
export const FAULT_KINDS = ['provisionFailure', 'installFailure', 'taskFailure', 'apiError'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]
export const isFaultKind = (v: unknown): v is FaultKind =>
  typeof v === 'string' && (FAULT_KINDS as readonly string[]).includes(v)

/**
 * Shell-style glob: `*` any run, `?` one character; everything else literal. Matched by the
 * classic two-pointer walk that only ever backs up to the last `*`: at most glob x value steps.
 * (A regular expression of `.*` runs backtracks catastrophically: `*a*a*a*a*a*a*a*a*b` took 8 s
 * against a 60-character path, with the event loop blocked, on every request while the fault
 * existed.)
 */
export const globMatches = (glob: string, value: string): boolean => {
  let g = 0
  let v = 0
  let star = -1
  let resume = 0
  while (v < value.length) {
    if (g < glob.length && glob[g] === '*') {
      star = g++
      resume = v
    } else if (g < glob.length && (glob[g] === '?' || glob[g] === value[v])) {
      g++
      v++
    } else if (star >= 0) {
      g = star + 1
      v = ++resume
    } else return false
  }
  while (glob[g] === '*') g++
  return g === glob.length
}
