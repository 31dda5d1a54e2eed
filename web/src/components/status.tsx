/** A status word with a colour that is never the only signal: the word is always there. */
export function StatusBadge({ status }: { status: string }) {
  const kind = status.startsWith('Terminated(Error')
    ? 'bad'
    : status.startsWith('Terminated')
      ? 'ended'
      : status === 'Running'
        ? 'good'
        : 'busy'
  return <span className={`badge ${kind}`}>{status}</span>
}
