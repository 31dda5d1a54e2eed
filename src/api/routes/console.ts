import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'
import { AppError } from '../../domain/errors.js'

export interface ConsoleRouteDeps {
  /** The built console (Vite's output): index.html and assets/. */
  dir: string
}

/**
 * The console's pages may load and reach only this origin, and run no inline script (DESIGN
 * section 13): a script injected through some text the console shows cannot run, call out or
 * frame the page.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ')

/** Every answer under /console carries these (routes/console.ts, and app.ts for 404 and 405). */
export const CONSOLE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

/** Vite names every file under assets/ after its content: a changed file is a new URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

const pathOf = (req: FastifyRequest) => req.url.split('?')[0] ?? req.url

/** `/console` and everything under it. */
export const isConsolePath = (url: string) =>
  url.startsWith('/console') && (url.length === 8 || '/?#'.includes(url[8]!))

/**
 * The file a path under /console/ names, relative to the console's folder, or undefined when it
 * cannot name one: a client-side route. Dot segments, empty segments, backslashes and NUL never
 * name a file (no way out of the folder, no hidden files).
 */
const relativeFile = (rest: string): string | undefined => {
  let decoded: string
  try {
    decoded = decodeURIComponent(rest)
  } catch {
    return undefined
  }
  if (decoded === '' || decoded.includes('\\') || decoded.includes('\0')) return undefined
  const segments = decoded.split('/')
  if (segments.some((s) => s === '' || s.startsWith('.'))) return undefined
  return segments.join('/')
}

const isFile = async (path: string) => {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * The web console (DESIGN section 13) at /console/, a single-page app: a path that is not a
 * file is one of its own routes and gets index.html, except under assets/, where a missing file
 * is a plain 404 (a stale page asking for a removed bundle must not get HTML as script). The
 * files are read from disk on each request, so a rebuild is served without a restart. No
 * credentials here: the page signs in through /_console/session.
 */
export const consoleRoutes = async (scope: FastifyInstance, { dir }: ConsoleRouteDeps) => {
  // sendFile only: the routes below decide what a path means.
  await scope.register(fastifyStatic, { serve: false })

  // Every answer of this scope, errors and redirects included.
  scope.addHook('onRequest', async (_req, reply) => {
    reply.headers(CONSOLE_HEADERS)
  })

  const sendIndex = async (reply: FastifyReply) => {
    if (!(await isFile(join(dir, 'index.html'))))
      throw new AppError(
        'CONSOLE_NOT_BUILT',
        'the web console is not built: run `npm run build` (or set HADOOP_ECO_CONSOLE_DIR to a built console)',
      )
    // Always revalidated (an ETag makes that cheap): it names the current build's bundles.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dir, { cacheControl: false })
  }

  const hide = { schema: { hide: true } }
  scope.get('/', hide, (_req, reply) => reply.redirect('/console/', 302))
  // With ignoreTrailingSlash, `/console` and `/console/` reach the same route: the URL tells
  // them apart. The page's relative URLs need the trailing slash.
  scope.get('/console', hide, async (req, reply) => {
    if (!pathOf(req).endsWith('/')) {
      const query = req.url.slice(pathOf(req).length)
      return reply.redirect(`/console/${query}`, 301)
    }
    return sendIndex(reply)
  })
  scope.get('/console/*', hide, async (req, reply) => {
    const rest = pathOf(req).slice('/console/'.length)
    const file = relativeFile(rest)
    if (file !== undefined && (await isFile(join(dir, file)))) {
      if (file.startsWith('assets/')) reply.header('cache-control', IMMUTABLE)
      else reply.header('cache-control', 'no-cache')
      return reply.sendFile(file, dir, { cacheControl: false, dotfiles: 'deny' })
    }
    if (rest.startsWith('assets/'))
      throw new AppError('NOT_FOUND', `no console file ${pathOf(req)}: the page may be older than the build`)
    return sendIndex(reply)
  })
}
