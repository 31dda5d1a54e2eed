import type { Cluster } from '../sdk/index.js'
import type { Colors } from './output.js'

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** What the display follows: a cluster, or a re-run shown by its cluster's name. */
export type Tracked = Pick<Cluster, 'name'> & { status: string }

export interface Progress {
  /** Feed every state seen; prints when the status changes. */
  update(cluster: Tracked): void
  /** Ends the display with a final line. */
  done(ok: boolean, text: string): void
  /** Clears the spinner line without a final message (errors print their own). */
  stop(): void
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`

/**
 * Live status display for `--wait`, on stderr so stdout stays machine-readable. On a terminal:
 * a spinner line with the current status and elapsed time, and one line per status change
 * above it. Elsewhere (CI logs, pipes): one plain, timestamped line per status change.
 */
export const createProgress = (
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  colors: Colors,
  label: string,
  now: () => number = Date.now,
  initial?: string,
): Progress => {
  const start = now()
  const tty = !!stream.isTTY
  let status: string | undefined = initial
  let name = label
  let frame = 0
  let timer: NodeJS.Timeout | undefined

  const spinnerLine = () =>
    `\r\x1b[K${colors.cyan(FRAMES[frame % FRAMES.length] ?? '-')} ${name}  ${status ? colors.status(status) : 'waiting'}  ${colors.dim(seconds(now() - start))}`
  const render = () => stream.write(spinnerLine())
  if (tty) {
    timer = setInterval(() => {
      frame++
      render()
    }, 100)
    timer.unref()
  }
  const clear = () => {
    if (timer) clearInterval(timer)
    timer = undefined
    if (tty) stream.write('\r\x1b[K')
  }

  return {
    update(cluster) {
      name = cluster.name
      if (cluster.status === status) return
      const previous = status
      status = cluster.status
      const elapsed = seconds(now() - start)
      if (tty) {
        stream.write(
          `\r\x1b[K  ${colors.dim(elapsed.padStart(7))}  ${previous ? `${colors.dim(previous)} → ` : ''}${colors.status(status)}\n`,
        )
        render()
      } else
        stream.write(
          `${new Date(now()).toISOString()} ${name} ${previous ? `${previous} -> ` : ''}${status} (+${elapsed})\n`,
        )
    },
    done(ok, text) {
      clear()
      const mark = ok ? colors.green('✔') : colors.red('✖')
      stream.write(`${tty ? `${mark} ` : ''}${text} (${seconds(now() - start)})\n`)
    },
    stop: clear,
  }
}
