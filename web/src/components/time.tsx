const local = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

/** A moment in the browser's time zone; hovering shows the exact UTC value. */
export function Time({ ms }: { ms: number | undefined }) {
  if (ms === undefined) return <span className="muted">—</span>
  const d = new Date(ms)
  const iso = d.toISOString()
  return (
    <time dateTime={iso} title={`${iso} (${ms})`}>
      {local.format(d)}
    </time>
  )
}

/** `1d 2h 3m 4s` from milliseconds. */
export const duration = (ms: number): string => {
  const s = Math.floor(ms / 1000)
  const parts: string[] = []
  const d = Math.floor(s / 86_400)
  const h = Math.floor((s % 86_400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (d) parts.push(`${d}d`)
  if (h) parts.push(`${h}h`)
  if (m) parts.push(`${m}m`)
  parts.push(`${s % 60}s`)
  return parts.join(' ')
}
