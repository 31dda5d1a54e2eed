import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { AxeBuilder } from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { ADMIN_TOKEN } from './env.js'
import { clusterName, expect, signIn, spec, test } from './fixtures.js'

/** Zero serious or critical violations (WCAG 2.x A and AA rules, and axe's best practices). */
const expectAccessible = async (page: Page, what: string) => {
  const { violations } = await new AxeBuilder({ page }).analyze()
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(
    bad.map(
      (v) =>
        `${what}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([])
}

/** The page fits the viewport: nothing pushes the document wider than the screen. */
const expectNoSideScroll = async (page: Page) => {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }))
  expect(scroll).toBeLessThanOrEqual(width)
}

// `npm run screenshots` writes them into docs/console/; an ordinary run keeps them with its results.
const shots = process.env.HADOOP_ECO_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/console/', import.meta.url))
  : undefined

for (const width of [1280, 390]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width === 390 ? 844 : 800 } })

    test('every page: accessible, fits the screen, screenshot', async ({ page, api }, info) => {
      // Nine pages and dialogs, each checked by axe: minutes on a loaded two-core machine.
      test.setTimeout(240_000)
      const shoot = async (name: string) => {
        const path = shots ? `${shots}${name}-${width}.png` : info.outputPath(`${name}-${width}.png`)
        if (shots) mkdirSync(shots, { recursive: true })
        await page.screenshot({ path, fullPage: true })
      }
      const visit = async (name: string) => {
        await expectNoSideScroll(page)
        await expectAccessible(page, `${name} at ${width} px`)
        if (info.project.name === 'sqlite') await shoot(name)
      }

      await page.goto('/console/signin')
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible()
      await visit('sign-in')

      const name = clusterName('shot')
      const { id } = await api().clusters.create(
        spec(name, {
          userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1;' },
        }),
      )
      await api().waitFor(id, 'Running', { interval: 100, timeout: 30_000 })
      await signIn(page)
      await expect(page.getByRole('link', { name })).toBeVisible()
      await visit('cluster-list')

      await page.getByRole('link', { name }).click()
      await expect(page.getByRole('region', { name: 'VMs' }).getByRole('row').nth(1)).toBeVisible()
      await expect(
        page
          .getByRole('region', { name: 'Task runs' })
          .getByRole('button', { name: /Show log/ })
          .first(),
      ).toBeVisible({ timeout: 30_000 })
      await page
        .getByRole('region', { name: 'Task runs' })
        .getByRole('button', { name: /Show log/ })
        .first()
        .click()
      await expect(page.getByRole('region', { name: 'Task runs' }).locator('pre')).toBeVisible()
      await page.getByRole('button', { name: 'Show rendered configuration' }).click()
      await expect(page.getByText('/etc/hadoop/conf/core-site.xml').first()).toBeVisible()
      await visit('cluster-detail')

      await page.getByRole('button', { name: 'Scale in' }).click()
      await expect(page.getByRole('dialog')).toBeVisible()
      await visit('scale-in-dialog')
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()
      await page.getByRole('button', { name: 'Delete' }).click()
      await expect(page.getByRole('dialog')).toBeVisible()
      await visit('delete-dialog')
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click()

      await page.goto('/console/clusters/00000000-0000-4000-8000-000000000000')
      await expect(page.getByRole('heading', { name: 'Cluster not found' })).toBeVisible()
      await visit('cluster-not-found')

      await page.goto('/console/clusters/new')
      await expect(page.getByRole('heading', { name: 'Create cluster' })).toBeVisible()
      await visit('create-cluster')
      // The form with the server's field errors beside their fields.
      await page.getByRole('button', { name: 'Create cluster' }).click()
      await expect(page.getByRole('alert')).toContainText('The server refused the spec')
      await visit('create-cluster-errors')

      await page.getByRole('link', { name: 'Admin' }).click()
      await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
      await page.getByRole('button', { name: 'Use token' }).click()
      await expect(page.getByRole('heading', { name: 'Faults' })).toBeVisible()
      await visit('admin')
    })
  })
}
