import {
  ApiError,
  BadRequestError,
  ClusterEndedError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  WaitTimeoutError,
} from '../sdk/index.js'

/**
 * The CLI's exit codes: stable, so shell scripts can branch on them (`case $? in 4) ...`).
 * Documented in `hadoop-eco --help` and the README.
 */
export const EXIT = {
  OK: 0,
  /** Anything else: a 5xx or 429 once retries are spent, an unexpected failure. */
  ERROR: 1,
  /** Bad command line, unreadable or invalid spec file, missing endpoint or credential. */
  USAGE: 2,
  /** 401: the credential is missing, wrong or revoked; 403: a job cluster's API key is wrong or revoked. */
  AUTH: 3,
  /** 404: no such cluster. */
  NOT_FOUND: 4,
  /** 409: the cluster name is in use, or the cluster is busy (a re-run of a live cluster). */
  CONFLICT: 5,
  /**
   * --wait: the cluster ended Terminated(Error) (or terminated before reaching the target), or
   * a re-run ended Fail.
   */
  CLUSTER_FAILED: 6,
  /** 400 (and 413, 415, 422): the server rejected the request; the field list is printed. */
  REJECTED: 7,
  /** --wait: --timeout passed first. */
  WAIT_TIMEOUT: 8,
  /** The endpoint could not be reached (or did not answer in time). */
  CONNECTION: 9,
  /** Interrupted (Ctrl-C) while waiting. */
  INTERRUPTED: 130,
} as const

export const EXIT_CODES_HELP = `Exit codes:
  0  success                        5  conflict (409: name in use, cluster busy)
  1  error (5xx, 429, unexpected)   6  --wait: Terminated(Error), or a re-run ended Fail
  2  usage (flags, spec file)       7  request rejected (400: field list printed)
  3  auth failed (401, 403)         8  --wait: timed out
  4  not found (404)                9  endpoint unreachable
`

/** A mistake on the command line or in a spec file: exit code 2, message without a stack. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const exitCodeFor = (e: unknown): number => {
  if (e instanceof UsageError) return EXIT.USAGE
  if (e instanceof UnauthorizedError || e instanceof ForbiddenError) return EXIT.AUTH
  if (e instanceof NotFoundError) return EXIT.NOT_FOUND
  if (e instanceof ConflictError) return EXIT.CONFLICT
  if (e instanceof ClusterEndedError) return EXIT.CLUSTER_FAILED
  if (e instanceof WaitTimeoutError) return EXIT.WAIT_TIMEOUT
  if (e instanceof ConnectionError) return EXIT.CONNECTION
  if (e instanceof BadRequestError) return EXIT.REJECTED
  if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429) return EXIT.REJECTED
  return EXIT.ERROR
}
