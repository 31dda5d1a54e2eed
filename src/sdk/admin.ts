import type { AuthState, Transport } from './transport.js'
import type { Fault, NewFault, RequestOptions } from './types.js'

const enc = encodeURIComponent

/**
 * Injected faults (DESIGN section 7), on `client.admin.faults`.
 * @example
 * const f = await client.admin.faults.add({ fault: 'provisionFailure', match: { clusterName: 'chaos-*' } })
 * await client.admin.faults.remove(f.id)
 */
export class Faults {
  /** @internal */
  constructor(private readonly send: Transport) {}

  /**
   * Every fault, oldest first.
   * @example
   * for (const f of await client.admin.faults.list()) console.log(f.id, f.fault, f.match)
   */
  list(options?: RequestOptions): Promise<Fault[]> {
    return this.send({ method: 'GET', path: '/_admin/faults', auth: 'admin', options })
  }

  /**
   * Injects a fault; the answer is the stored fault with its `id`. An unknown kind or a missing
   * match is a {@link BadRequestError}.
   * @example
   * await client.admin.faults.add({ fault: 'apiError', match: { path: '/v2/hadoop-eco/clusters' }, status: 503, times: 1 })
   */
  add(fault: NewFault, options?: RequestOptions): Promise<Fault> {
    return this.send({ method: 'POST', path: '/_admin/faults', body: fault, auth: 'admin', options })
  }

  /**
   * Removes a fault ({@link NotFoundError} when there is none with this id).
   * @example
   * await client.admin.faults.remove(id)
   */
  async remove(id: string, options?: RequestOptions): Promise<void> {
    await this.send({ method: 'DELETE', path: `/_admin/faults/${enc(id)}`, auth: 'admin', options })
  }
}

/**
 * The admin API (DESIGN section 7, `/_admin`), on `client.admin`. Its calls carry the admin
 * token (`HADOOP_ECO_ADMIN_TOKEN` of the server) as `Authorization: Bearer`, and nothing else:
 * neither the credential headers nor the console's CSRF token. Give the token as the client's
 * `adminToken` option or at run time with {@link setToken}. Without one, or with a wrong one,
 * calls fail with {@link UnauthorizedError}; a server without an admin token answers
 * {@link NotFoundError}.
 * @example
 * client.admin.setToken(adminToken)
 * const faults = await client.admin.faults.list()
 */
export class Admin {
  readonly faults: Faults

  /** @internal */
  constructor(
    send: Transport,
    private readonly state: AuthState,
  ) {
    this.faults = new Faults(send)
  }

  /**
   * Sets (or, with `undefined`, forgets) the admin token used by the admin calls from now on.
   * It stays in this client's memory only.
   * @example
   * client.admin.setToken(form.token)
   * client.admin.setToken(undefined) // signed out of the admin page
   */
  setToken(token: string | undefined): void {
    this.state.adminToken = token === '' ? undefined : token
  }

  /**
   * Whether the client has an admin token to send.
   * @example
   * if (!client.admin.hasToken) askForToken()
   */
  get hasToken(): boolean {
    return this.state.adminToken !== undefined
  }
}
