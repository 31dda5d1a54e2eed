import { randomBytes } from 'node:crypto'
import { test as base, expect, type Page } from '@playwright/test'
import { HadoopEcoClient, type CreateClusterRequest } from '../../src/sdk/index.js'
import { ALICE, serverUrlKey } from './env.js'

export interface Credential {
  id: string
  secret: string
  project: string
}

/** A name the API accepts, different in each test: the servers live for the whole run. */
export const clusterName = (prefix = 'c') => `${prefix}-${randomBytes(4).toString('hex')}`

/** A minimal valid create body (DESIGN section 3). */
export const spec = (name: string, over: Partial<CreateClusterRequest> = {}): CreateClusterRequest => ({
  name,
  clusterType: 'hadoop',
  clusterVersion: 'hde-2.2.0',
  isHa: false,
  keypairName: 'console-key',
  masterFlavorName: 'm2a.xlarge',
  masterVolumeSize: 50,
  workerCnt: 2,
  workerFlavorName: 'm2a.xlarge',
  workerVolumeSize: 100,
  monitoring: false,
  securityGroupName: 'console-sg',
  vpcId: 'vpc-console',
  subnetId: 'subnet-console',
  config: { hdfsReplication: 2, hdfsBlockSize: 128 },
  ...over,
})

export const test = base.extend<{
  server: string
  api: (who?: Credential) => HadoopEcoClient
  cspViolations: string[]
}>({
  // Every page of every test: anything the Content-Security-Policy blocked fails the test (a
  // style or script the build needs but the policy refuses would break the page quietly).
  cspViolations: [
    async ({ context }, use) => {
      const seen: string[] = []
      context.on('page', (page) => {
        page.on('console', (msg) => {
          if (/Content Security Policy|Refused to (load|apply|execute|connect)/i.test(msg.text()))
            seen.push(msg.text())
        })
      })
      await use(seen)
      expect(seen, 'Content-Security-Policy violations').toEqual([])
    },
    { auto: true },
  ],
  // Each project (sqlite, postgres) talks to its own server, started by global-setup.ts.
  // Playwright reads a fixture's dependencies from its first parameter's pattern: it must be one.
  // eslint-disable-next-line no-empty-pattern
  server: async ({}, use, info) => {
    const url = process.env[serverUrlKey(info.project.name)]
    if (!url) throw new Error(`no server for ${info.project.name}: global-setup did not run`)
    await use(url)
  },
  baseURL: async ({ server }, use) => use(server),
  // The API as a script would use it (credential headers), to arrange what a test needs.
  api: async ({ server }, use) =>
    use(
      (who: Credential = ALICE) =>
        new HadoopEcoClient({
          endpoint: server,
          credentialId: who.id,
          credentialSecret: who.secret,
          maxRetries: 0,
        }),
    ),
})
export { expect }

export const signIn = async (page: Page, who: Credential = ALICE) => {
  await page.goto('/console/signin')
  await page.getByLabel('Credential ID').fill(who.id)
  await page.getByLabel('Credential secret').fill(who.secret)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Clusters', level: 1 })).toBeVisible()
}
