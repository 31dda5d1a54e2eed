import { BOB } from './env.js'
import { clusterName, expect, signIn, spec, test } from './fixtures.js'

test('create: a field error is shown beside its field, then the fixed spec creates the cluster', async ({
  page,
}) => {
  await signIn(page)
  await page.getByRole('link', { name: 'Create cluster' }).click()
  await expect(page.getByRole('heading', { name: 'Create cluster' })).toBeVisible()
  const name = clusterName('web')
  await page.getByLabel('Name', { exact: true }).fill('Bad_Name')
  await page.getByLabel('VPC ID').fill('vpc-console')
  await page.getByLabel('Subnet ID').fill('subnet-console')
  await page.getByLabel('Security group name').fill('console-sg')
  await page.getByLabel('Key pair name').fill('console-key')
  await page.getByLabel('Worker count').fill('2')
  await page.getByLabel('Admin user ID').fill('admin')
  await page.getByLabel('Admin password').fill('Pässw0rd!')
  await page.getByRole('button', { name: 'Create cluster' }).click()

  // The server's 400 names the field; the console puts its message under the Name field.
  const nameField = page.getByLabel('Name', { exact: true })
  await expect(nameField).toHaveAttribute('aria-invalid', 'true')
  const describedBy = (await nameField.getAttribute('aria-describedby')) ?? ''
  const errorId = describedBy.split(' ').find((id) => id.endsWith('-error'))
  expect(errorId).toBeTruthy()
  await expect(page.locator(`[id="${errorId}"]`)).toContainText(/name/i)
  await expect(page.getByRole('alert')).toContainText('The server refused the spec')
  await expect(nameField).toBeFocused()

  await nameField.fill(name)
  const sent = page.waitForRequest(
    (r) => r.method() === 'POST' && r.url().endsWith('/v2/hadoop-eco/clusters'),
  )
  await page.getByRole('button', { name: 'Create cluster' }).click()
  // The password goes Base64-encoded from its UTF-8 bytes, as the API wants it.
  expect((await sent).postDataJSON()).toMatchObject({
    name,
    workerCnt: 2,
    adminInfo: { userId: 'admin', userPw: Buffer.from('Pässw0rd!', 'utf8').toString('base64') },
    config: { hdfsReplication: 2, hdfsBlockSize: 128 },
  })
  await expect(page.getByRole('heading', { level: 1 })).toContainText(name)
  await expect(page).toHaveURL(/\/console\/clusters\/[0-9a-f-]{36}$/)
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Running', { timeout: 30_000 })
})

test('the list updates by itself: Running shows within 2 s of the change', async ({ page, api }) => {
  await signIn(page)
  const name = clusterName('poll')
  const { id } = await api().clusters.create(spec(name))
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name }) })
  await expect(row).toBeVisible()
  await expect(row).not.toContainText('Running')
  // Watch the API itself; from the moment it says Running, the page has 2 s.
  await api().waitFor(id, 'Running', { interval: 100, timeout: 30_000 })
  await expect(row).toContainText('Running', { timeout: 2000 })
})

test('list filters, sort by column and pages', async ({ page, api }) => {
  const tag = clusterName('f').slice(2, 8)
  for (const i of [1, 2, 3]) await api().clusters.create(spec(`s${tag}-${i}`))
  await signIn(page)
  await page.getByLabel('Name', { exact: true }).fill(`s${tag}`)
  await expect(page.getByRole('link', { name: new RegExp(`^s${tag}-`) })).toHaveCount(3)

  await page.getByRole('button', { name: /^Name/ }).click()
  await expect(page.getByRole('columnheader', { name: /^Name/ })).toHaveAttribute('aria-sort', 'ascending')
  await expect(page.getByRole('link', { name: new RegExp(`^s${tag}-`) }).first()).toHaveText(`s${tag}-1`)
  await page.getByRole('button', { name: /^Name/ }).click()
  await expect(page.getByRole('columnheader', { name: /^Name/ })).toHaveAttribute('aria-sort', 'descending')
  await expect(page.getByRole('link', { name: new RegExp(`^s${tag}-`) }).first()).toHaveText(`s${tag}-3`)

  await page.getByLabel('Per page').selectOption('10')
  await expect(page.getByText(/Page 1 of 1 · 3 clusters/)).toBeVisible()
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled()

  await page.getByLabel('API key status').selectOption('applied')
  await expect(page.getByText('No cluster matches these filters.')).toBeVisible()
})

test('detail: the seed fields, a timeline from the events, and the VMs', async ({ page, api }) => {
  const name = clusterName('detail')
  const { id } = await api().clusters.create(spec(name))
  await api().waitFor(id, 'Running', { interval: 100, timeout: 30_000 })
  await signIn(page)
  await page.getByRole('link', { name }).click()
  const overview = page.getByRole('region', { name: 'Overview' })
  for (const label of [
    'ID',
    'Name',
    'Cluster type',
    'Cluster version',
    'Status',
    'API key status',
    'Workers',
    'VPC ID',
    'Created at',
    'Running at',
    'Elapsed time',
    'Master info',
    'Worker info',
    'Config',
  ])
    await expect(overview.getByText(label, { exact: true }).first()).toBeVisible()
  await expect(overview.getByText(id)).toBeVisible()
  const timeline = page.getByRole('region', { name: 'Status timeline' })
  for (const status of ['Initializing', 'Creating', 'Installing', 'Running'])
    await expect(
      timeline.getByText(new RegExp(`→ ${status.replace(/[()]/g, '\\$&')}$|^${status}$`)).first(),
    ).toBeVisible()
  // Times are in the browser's zone, with the exact value on hover.
  const time = timeline.locator('time').first()
  await expect(time).toHaveAttribute('title', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/)
  const vms = page.getByRole('region', { name: 'VMs' })
  await expect(vms.getByRole('row')).toHaveCount(1 + 3)
  await expect(vms.getByRole('cell', { name: 'master' })).toHaveCount(1)
})

test('scale out adds a worker', async ({ page, api }) => {
  const name = clusterName('out')
  const { id } = await api().clusters.create(spec(name))
  await api().waitFor(id, 'Running', { interval: 100, timeout: 30_000 })
  await signIn(page)
  await page.goto(`/console/clusters/${id}`)
  await page.getByRole('button', { name: 'Scale out' }).click()
  const dialog = page.getByRole('dialog', { name: `Scale out: ${name}` })
  await dialog.getByLabel('Count').fill('1')
  await dialog.getByRole('button', { name: 'Scale out' }).click()
  await expect(dialog).toBeHidden()
  const overview = page.getByRole('region', { name: 'Overview' })
  await expect(
    overview.getByText('Workers', { exact: true }).locator('xpath=following-sibling::dd[1]'),
  ).toHaveText('3', { timeout: 30_000 })
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Running', { timeout: 30_000 })
})

test('scale in below the replication factor is refused, and the dialog says why', async ({ page, api }) => {
  const name = clusterName('in')
  const { id } = await api().clusters.create(spec(name))
  await api().waitFor(id, 'Running', { interval: 100, timeout: 30_000 })
  await signIn(page)
  await page.goto(`/console/clusters/${id}`)
  await page.getByRole('button', { name: 'Scale in' }).click()
  const dialog = page.getByRole('dialog', { name: `Scale in: ${name}` })
  await expect(dialog).toContainText('HDFS keeps 2 copies of every block')
  await expect(dialog).toContainText('at most 0 can be removed')
  await dialog.getByLabel('Count').fill('1')
  await dialog.getByRole('button', { name: 'Scale in' }).click()
  await expect(dialog.getByRole('alert')).toContainText(/replication/i)
  await expect(dialog.getByLabel('Count')).toHaveAttribute('aria-invalid', 'true')
  await dialog.getByRole('button', { name: 'Cancel' }).click()
  await expect(dialog).toBeHidden()
  expect((await api().clusters.get(id)).workerCnt).toBe(2)
})

test('delete asks first, then the cluster terminates', async ({ page, api }) => {
  const name = clusterName('del')
  const { id } = await api().clusters.create(spec(name))
  await api().waitFor(id, 'Running', { interval: 100, timeout: 30_000 })
  await signIn(page)
  await page.goto(`/console/clusters/${id}`)
  await page.getByRole('button', { name: 'Delete' }).click()
  const dialog = page.getByRole('dialog', { name: `Delete ${name}?` })
  await expect(dialog).toContainText('cannot be undone')
  // Cancel is the safe default: it has the focus.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused()
  await dialog.getByRole('button', { name: 'Delete' }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Terminated(User)', { timeout: 30_000 })
  expect((await api().clusters.get(id)).status).toBe('Terminated(User)')
})

test('two projects do not see each other', async ({ browser, api }) => {
  const name = clusterName('alice')
  const { id } = await api().clusters.create(spec(name))
  const context = await browser.newContext()
  const page = await context.newPage()
  await signIn(page, BOB)
  await expect(page.getByText(BOB.project)).toBeVisible()
  await expect(page.getByRole('link', { name })).toHaveCount(0)
  await page.getByLabel('Name', { exact: true }).fill(name)
  await expect(page.getByText('No cluster matches these filters.')).toBeVisible()
  await page.goto(`/console/clusters/${id}`)
  await expect(page.getByRole('heading', { name: 'Cluster not found' })).toBeVisible()
  await context.close()
})
