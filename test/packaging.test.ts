import { readFileSync } from 'node:fs'
import semver from 'semver'
import { describe, expect, it } from 'vitest'

const read = (file: string) =>
  JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')) as never

/**
 * `engines` must be true: `npm install` on the oldest Node it names warns about no package the
 * server runs with (light-my-request 6.8's cookie 2 wants Node 22; the override pins 6.6).
 */
describe('packaging', () => {
  it('every runtime dependency in the lockfile accepts the Node versions package.json promises', () => {
    const pkg = read('package.json') as { engines: { node: string } }
    const lock = read('package-lock.json') as {
      packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>
    }
    const refusing = Object.entries(lock.packages)
      .filter(([path, info]) => path !== '' && !info.dev)
      .flatMap(([path, info]) => {
        const wants = Array.isArray(info.engines) ? undefined : info.engines?.node
        return wants && !semver.subset(pkg.engines.node, wants) ? [`${path} wants node ${wants}`] : []
      })
    expect(refusing).toEqual([])
    expect(semver.satisfies(process.versions.node, pkg.engines.node)).toBe(true)
  })
})
