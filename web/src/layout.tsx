import { useState } from 'react'
import { NavLink, Outlet } from 'react-router'
import { errorText } from './api.js'
import { ErrorAlert } from './components/feedback.js'
import { useSession } from './session.js'

export function Layout() {
  const { session, signOut } = useSession()
  const [failed, setFailed] = useState<unknown>()
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <NavLink to="/" className="brand" end>
          Hadoop Eco
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Clusters
          </NavLink>
          <NavLink to="/clusters/new">New cluster</NavLink>
          <NavLink to="/admin">Admin</NavLink>
        </nav>
        <div className="who">
          <span title={`credential ${session?.credentialId ?? ''}`}>
            Project <strong>{session?.projectId}</strong>
          </span>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setFailed(undefined)
              signOut().catch(setFailed)
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {failed ? <ErrorAlert title="Sign-out failed">{errorText(failed)}</ErrorAlert> : null}
        <Outlet />
      </main>
    </>
  )
}
