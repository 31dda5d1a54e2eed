import type { ReactNode } from 'react'

/** A polite live region, so a screen reader hears that something is on its way. */
export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="loading">
      Loading {what}…
    </p>
  )
}

export function ErrorAlert({
  title,
  children,
  onRetry,
}: {
  title: string
  children?: ReactNode
  onRetry?: () => void
}) {
  return (
    <div role="alert" className="alert error">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
      {onRetry ? (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>
}
