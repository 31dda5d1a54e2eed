import type { AuthState, Transport } from './transport.js'
import type { ConsoleSession, ConsoleSignIn, RequestOptions } from './types.js'

const PATH = '/_console/session'

/**
 * The web console's session (DESIGN section 13), on `client.session`: sign in with a
 * credential, and from then on the browser's HttpOnly cookie authenticates every call. The
 * client keeps the session's CSRF token in memory and sends it as `X-CSRF-Token` on every
 * POST, PUT and DELETE. Meant for a client made with `auth: 'session'` in a browser (or with a
 * `fetch` that keeps cookies).
 * @example
 * const client = new HadoopEcoClient({ endpoint: '', auth: 'session' })
 * await client.session.signIn({ credentialId, credentialSecret })
 * const page = await client.clusters.list()
 * await client.session.signOut()
 */
export class Session {
  /** @internal */
  constructor(
    private readonly send: Transport,
    private readonly state: AuthState,
  ) {}

  /**
   * The CSRF token the client knows (from {@link signIn}, {@link current} or the `csrfToken`
   * option), if any.
   * @example
   * if (!client.session.csrfToken) await client.session.current()
   */
  get csrfToken(): string | undefined {
    return this.state.csrfToken
  }

  /**
   * Signs in: the server checks the credential once, sets the session cookie (HttpOnly,
   * SameSite=Strict) and answers the session, whose CSRF token the client remembers. A wrong
   * credential is an {@link UnauthorizedError}, and counts towards the address's limit of
   * failed authentications. The secret is sent this once and kept nowhere.
   * @example
   * const s = await client.session.signIn({ credentialId: 'AKIA...', credentialSecret: secret })
   * console.log(`signed in to ${s.projectId} until ${s.expiresAt} unless idle`)
   */
  async signIn(credentials: ConsoleSignIn, options?: RequestOptions): Promise<ConsoleSession> {
    const session = await this.send<ConsoleSession>({
      method: 'POST',
      path: PATH,
      body: { credentialId: credentials.credentialId, credentialSecret: credentials.credentialSecret },
      auth: 'session',
      options,
    })
    this.state.csrfToken = session.csrfToken
    return session
  }

  /**
   * The cookie's live session (asking moves its end on, as any call does), and the client
   * remembers its CSRF token: what a page loaded afresh calls to learn whether it is signed in.
   * No session, or one that ended: {@link UnauthorizedError}.
   * @example
   * const signedIn = await client.session.current().then(() => true, (e) => (e instanceof UnauthorizedError ? false : Promise.reject(e)))
   */
  async current(options?: RequestOptions): Promise<ConsoleSession> {
    const session = await this.send<ConsoleSession>({ method: 'GET', path: PATH, auth: 'session', options })
    this.state.csrfToken = session.csrfToken
    return session
  }

  /**
   * Signs out: the server ends the session at once (on every replica) and clears the cookie;
   * the client forgets the CSRF token. Signing out of a session that already ended succeeds.
   * @example
   * await client.session.signOut()
   */
  async signOut(options?: RequestOptions): Promise<void> {
    await this.send({ method: 'DELETE', path: PATH, auth: 'session', options })
    this.state.csrfToken = undefined
  }
}
