import { isRouteErrorResponse, useRouteError } from 'react-router'
import { ErrorAlert } from '../components/feedback.js'

/**
 * A page that failed to load or render. The usual cause is a page opened before a new build:
 * its split-out parts were renamed, and a reload fetches the new ones.
 */
export function RouteError() {
  const e = useRouteError()
  const detail = isRouteErrorResponse(e)
    ? `${e.status} ${e.statusText}`
    : e instanceof Error
      ? e.message
      : String(e)
  const stale = /dynamically imported module|Importing a module script failed|error loading/i.test(detail)
  return (
    <main className="page narrow" id="main">
      <h1>Hadoop Eco</h1>
      <ErrorAlert
        title={stale ? 'The console was updated on the server' : 'This page failed'}
        onRetry={() => window.location.reload()}
      >
        {stale ? 'Reload to get the new version.' : detail}
      </ErrorAlert>
    </main>
  )
}
