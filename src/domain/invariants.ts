/**
 * One named check of stored state (the store's own, and each provider's over its records):
 * how much it looked at and what it found wrong.
 */
export interface InvariantCheck {
  name: string
  description: string
  ok: boolean
  /** How many rows (clusters, VMs, names, ...) the check looked at. */
  checked: number
  /** Every violation counted; `violations` lists the first MAX_LISTED. */
  violationCount: number
  violations: string[]
}

const MAX_LISTED = 50

/** Collects one check's violations, listing the first MAX_LISTED. */
export class Check {
  private listed: string[] = []
  private count = 0
  checked = 0
  constructor(
    readonly name: string,
    readonly description: string,
  ) {}
  fail(message: string) {
    this.count++
    if (this.listed.length < MAX_LISTED) this.listed.push(message)
  }
  result(): InvariantCheck {
    return {
      name: this.name,
      description: this.description,
      ok: this.count === 0,
      checked: this.checked,
      violationCount: this.count,
      violations: this.listed,
    }
  }
}
