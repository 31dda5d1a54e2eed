import { useState, type FormEvent } from 'react'
import { Navigate, useLocation } from 'react-router'
import { UnauthorizedError } from '../../../src/sdk/index.js'
import { errorText } from '../api.js'
import { ErrorAlert } from '../components/feedback.js'
import { useSession } from '../session.js'

export function SignInPage() {
  const { session, notice, signIn } = useSession()
  const location = useLocation()
  const [failure, setFailure] = useState<string>()
  const [busy, setBusy] = useState(false)
  const from = (location.state as { from?: string } | null)?.from ?? '/'
  if (session) return <Navigate to={from} replace />

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const form = new FormData(e.currentTarget)
    // Read from the form and handed to the SDK at once: the secret is in no state, storage or URL.
    const id = String(form.get('credentialId') ?? '').trim()
    const secret = String(form.get('credentialSecret') ?? '')
    setBusy(true)
    setFailure(undefined)
    try {
      await signIn(id, secret)
    } catch (err) {
      setFailure(
        err instanceof UnauthorizedError
          ? 'The credential ID or secret is wrong, or the credential was revoked.'
          : errorText(err),
      )
      setBusy(false)
    }
  }

  return (
    <main className="page narrow" id="main">
      <h1>Sign in to Hadoop Eco</h1>
      {notice ? (
        <p role="status" className="alert info">
          {notice}
        </p>
      ) : null}
      {failure ? <ErrorAlert title="Sign-in failed">{failure}</ErrorAlert> : null}
      <form onSubmit={submit} className="stack" aria-label="Sign in">
        <div className="field">
          <label htmlFor="credentialId">Credential ID</label>
          <input
            id="credentialId"
            name="credentialId"
            autoComplete="username"
            required
            autoFocus
            spellCheck={false}
          />
        </div>
        <div className="field">
          <label htmlFor="credentialSecret">Credential secret</label>
          <input
            id="credentialSecret"
            name="credentialSecret"
            type="password"
            autoComplete="current-password"
            required
          />
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        Use an access key (credential) of your project. <code>npm start</code> prints one the first time it
        runs.
      </p>
    </main>
  )
}
