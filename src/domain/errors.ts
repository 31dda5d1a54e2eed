/**
 * The error catalogue: every rule the API enforces has a stable code, an HTTP status and a
 * message. One handler (api/plugins/errors.ts) renders them as the wire envelope.
 */
export const ERRORS = {
  // 400: request shape
  INVALID_JSON: 400,
  INVALID_PARAMETER: 400,
  FIELD_REQUIRED: 400,
  INVALID_TYPE: 400,
  INVALID_VALUE: 400,
  VALUE_OUT_OF_RANGE: 400,
  INVALID_NAME: 400,
  INVALID_CLUSTER_TYPE: 400,
  INVALID_CLUSTER_VERSION: 400,
  INVALID_FLAVOR: 400,
  SECURITY_GROUP_REQUIRED: 400,
  SECURITY_GROUP_CONFLICT: 400,
  WORKER_COUNT_BELOW_REPLICATION: 400,
  INVALID_BASE64: 400,
  INVALID_CONFIG_TEXT: 400,
  INVALID_URL: 400,
  MUTUALLY_EXCLUSIVE: 400,
  UNSUPPORTED_FOR_CLUSTER_TYPE: 400,
  /** DESIGN section 12: what the active provider cannot run (the Kubernetes provider: hadoop on hde-2.x). */
  CLUSTER_TYPE_NOT_SUPPORTED: 400,
  CLUSTER_VERSION_NOT_SUPPORTED: 400,
  INVALID_SORT: 400,
  /** The HTTP request itself is malformed (Node's parser refused it). */
  MALFORMED_REQUEST: 400,
  // 400: lifecycle rules
  CLUSTER_TERMINATED: 400,
  INVALID_CLUSTER_STATUS: 400,
  CLUSTER_NOT_SCALABLE: 400,
  SCALE_IN_BELOW_REPLICATION: 400,
  SCALE_OUT_ABOVE_MAXIMUM: 400,
  // others
  UNAUTHORIZED: 401,
  // Job clusters (DESIGN section 11)
  API_KEY_REQUIRED: 401,
  API_KEY_INVALID: 403,
  /**
   * A console-session (cookie) request that changes something without the session's
   * `X-CSRF-Token` (DESIGN section 13).
   */
  CSRF_TOKEN_INVALID: 403,
  API_KEY_NOT_POSSIBLE: 409,
  CLUSTER_BUSY: 409,
  REQUEST_NOT_FOUND: 404,
  NOT_FOUND: 404,
  CLUSTER_NOT_FOUND: 404,
  TASK_RUN_NOT_FOUND: 404,
  TASK_LOG_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  DUPLICATE_CLUSTER_NAME: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** An Expect header other than 100-continue. */
  EXPECTATION_FAILED: 417,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  TOO_MANY_AUTH_FAILURES: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  INJECTED_FAULT: 500,
  SERVICE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  /** `/console/` asked for, but the console's files are not there (`npm run build` makes them). */
  CONSOLE_NOT_BUILT: 503,
  // Object Storage (DESIGN section 8)
  /** A bucket name S3 would refuse, or a key with a `..` segment, NUL, or over 1,024 bytes. */
  INVALID_OBJECT_NAME: 400,
  /** The body ended before (or ran past) its Content-Length. */
  CONTENT_LENGTH_MISMATCH: 400,
  /** The client went away (or stopped sending) before the body was complete. */
  UPLOAD_INCOMPLETE: 400,
  OBJECT_NOT_FOUND: 404,
  BUCKET_NOT_FOUND: 404,
  BUCKET_NOT_EMPTY: 409,
  /** Larger than HADOOP_ECO_OBJECT_MAX_BYTES. */
  OBJECT_TOO_LARGE: 413,
  // Rendered configuration (DESIGN section 9): the cluster's config.configFileUrl
  /** No object at the URL (in the cluster's project). */
  CONFIG_FILE_NOT_FOUND: 409,
  /** Not the configurations JSON document of DESIGN section 3. */
  CONFIG_FILE_INVALID: 409,
} as const satisfies Record<string, number>

export type ErrorCode = keyof typeof ERRORS

export interface FieldError {
  field: string
  code: ErrorCode
  message: string
}

export class AppError extends Error {
  readonly status: number
  /** Seconds to send as Retry-After (429, 503): when a retry may succeed. */
  retryAfter?: number
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors: readonly FieldError[] = [],
    status?: number,
  ) {
    super(message)
    this.name = 'AppError'
    this.status = status ?? ERRORS[code]
  }

  /** One error for many field problems: the first one names the response's code. */
  static fromFields(errors: readonly FieldError[]): AppError {
    const first = errors[0]
    if (!first) throw new Error('fromFields needs at least one error')
    const message = errors.length === 1 ? first.message : `${first.message} (and ${errors.length - 1} more)`
    return new AppError(first.code, message, errors)
  }
}

/** HTTP reason phrases for the envelope's `error` field, as Spring Boot prints them. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}
