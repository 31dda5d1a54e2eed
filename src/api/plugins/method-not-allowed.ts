import type { FastifyInstance, HTTPMethods } from 'fastify'

/** The order methods are listed in an `Allow` header. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
const rank = (m: string) => {
  const i = ORDER.indexOf(m)
  return i === -1 ? ORDER.length : i
}

/**
 * RFC 9110 section 15.5.6: a path the API has, asked with a method it does not serve, is a 405
 * with `Allow`, not a 404. The methods come from the routes themselves (an onRoute hook), and the
 * router says which of them a concrete path has, with the very matching it uses for requests
 * (parameters, wildcards, trailing slash, percent-decoding, the HEAD route beside every GET).
 * Routes that are not registered (the admin API while it is disabled) stay a plain 404.
 *
 * Call before any route is registered. `allowedMethods(url)` is empty for a path no route has.
 */
export const trackRouteMethods = (app: FastifyInstance) => {
  const methods = new Set<string>()
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat()) methods.add(m.toUpperCase())
    // Fastify adds a HEAD route beside every GET (exposeHeadRoutes).
    if (methods.has('GET')) methods.add('HEAD')
  })
  return {
    allowedMethods(url: string): string[] {
      const allowed = [...methods].filter((method) => {
        try {
          return app.findRoute({ method: method as HTTPMethods, url }) !== null
        } catch {
          return false
        }
      })
      return allowed.sort((a, b) => rank(a) - rank(b))
    },
  }
}
