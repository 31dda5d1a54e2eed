import { ADMIN_TOKEN } from './env.js'
import { clusterName, expect, signIn, spec, test } from './fixtures.js'

test('admin: a wrong token is refused; with the right one, add a fault, see it hit, remove it', async ({
  page,
  api,
}) => {
  await signIn(page)
  await page.getByRole('link', { name: 'Admin' }).click()
  await page.getByLabel('Admin token').fill('not-the-admin-token')
  await page.getByRole('button', { name: 'Use token' }).click()
  await expect(page.getByRole('alert')).toContainText('The admin token was refused')
  await page.getByRole('button', { name: 'Enter another token' }).click()

  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Use token' }).click()
  const name = clusterName('fault')
  await page.getByLabel('Fault', { exact: true }).selectOption('provisionFailure')
  await page.getByLabel('Cluster name glob').fill(name)
  await page.getByLabel('Times').fill('1')
  await page.getByRole('button', { name: 'Add fault' }).click()
  const row = page.getByRole('row').filter({ hasText: name })
  await expect(row).toContainText('provisionFailure')
  await expect(row).toContainText('1')

  // The fault does what it says: the matching cluster ends Terminated(Error).
  const { id } = await api().clusters.create(spec(name))
  await api().waitFor(id, 'Terminated', { interval: 100, timeout: 30_000 })
  expect((await api().clusters.get(id)).status).toBe('Terminated(Error)')

  await page.reload()
  // A reload forgets the token: it is kept in memory only.
  await expect(page.getByLabel('Admin token')).toBeVisible()
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Use token' }).click()
  await expect(page.getByRole('heading', { name: 'Faults' })).toBeVisible()
  // Used once: no hits left. Then it is removed.
  const used = page.getByRole('row').filter({ hasText: name })
  await expect(used.getByRole('cell').nth(4)).toHaveText('0')
  await used.getByRole('button', { name: /^Remove/ }).click()
  await expect(page.getByRole('row').filter({ hasText: name })).toHaveCount(0)
  expect(
    (
      await page.request
        .get('/_admin/faults', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        .then((r) => r.json())
    ).some((f: { match: { clusterName?: string } }) => f.match.clusterName === name),
  ).toBe(false)
})
