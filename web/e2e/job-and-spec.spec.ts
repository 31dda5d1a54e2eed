import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { clusterName, expect, signIn, spec, test } from './fixtures.js'

const seedExample = fileURLToPath(new URL('../../test/fixtures/create-example-1.json', import.meta.url))

test('a spec JSON file: imported into the form (Base64 decoded), exported back as the API body', async ({
  page,
}) => {
  await signIn(page)
  await page.goto('/console/clusters/new')
  await page.getByLabel('Import spec JSON').setInputFiles(seedExample)
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('hive-job-cluster')
  await expect(page.getByLabel('Worker count')).toHaveValue('3')
  await expect(page.getByLabel('Admin password')).toHaveValue('Admin-Passw0rd!')
  await expect(page.getByLabel('Config text (JSON)')).toHaveValue(/"classification": "core-site"/)
  await expect(page.getByLabel('Task type')).toHaveValue('hive')
  await expect(page.getByLabel('Hive query')).toHaveValue(/create table if not exists t1/)
  // The seed's `dataCatalog` alias lands in the documented field.
  await expect(page.getByLabel('Data catalog ID')).toHaveValue('e1ebae48-daba-a4c5-56da-fbb2b684ae07')

  await page.getByLabel('Worker count').fill('4')
  const download = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Export spec JSON' }).click()
  const file = await download
  expect(file.suggestedFilename()).toBe('hive-job-cluster.json')
  const exported = JSON.parse(readFileSync((await file.path())!, 'utf8'))
  const seed = JSON.parse(readFileSync(seedExample, 'utf8'))
  const { dataCatalog, ...rest } = seed
  expect(exported).toEqual({ ...rest, workerCnt: 4, dataCatalogInfo: dataCatalog })

  // A file that is not a spec is refused with its name and the reason; the form keeps its values.
  await page.getByLabel('Import spec JSON').setInputFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"name": '),
  })
  await expect(page.getByRole('alert')).toContainText('broken.json')
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('hive-job-cluster')
})

test('a job cluster: issue its API key, shown once, and re-run it with the key', async ({ page, api }) => {
  const name = clusterName('job')
  const { id } = await api().clusters.create(
    spec(name, { userTask: { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'select 1;' } }),
  )
  await api().waitFor(id, 'Terminated', { interval: 100, timeout: 30_000 })
  await signIn(page)
  await page.goto(`/console/clusters/${id}`)
  const panel = page.getByRole('region', { name: 'API key and re-run' })
  await expect(panel).toContainText('API key status: possible')
  await panel.getByRole('button', { name: 'Issue API key' }).click()
  const key = await panel.getByLabel('Issued API key').inputValue()
  expect(key.length).toBeGreaterThan(20)
  await expect(panel).toContainText('API key status: applied')
  await expect(panel).toContainText('it is not shown again')

  await panel.getByLabel('API key', { exact: true }).fill('not-the-key')
  await panel.getByRole('button', { name: 'Re-run' }).click()
  await expect(panel.getByRole('alert')).toContainText('The re-run was refused')

  await panel.getByLabel('API key', { exact: true }).fill(key)
  await panel.getByLabel('Worker count (optional)').fill('3')
  await panel.getByRole('button', { name: 'Re-run' }).click()
  await expect(panel.getByText(/^Request /)).toContainText('Success', { timeout: 30_000 })
  // The run ran with the override the form sent.
  const requestId = (await panel
    .getByText(/^Request /)
    .locator('code')
    .textContent())!
  const run = await api().clusters.requests.get(id, requestId, { apiKey: key, verbose: true })
  expect(run).toMatchObject({ requestStatus: 'Success', clusterMeta: { worker_vm: { count: 3 } } })
  // The key was kept nowhere in the browser.
  const stored = await page.evaluate(
    () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
  )
  expect(stored).not.toContain(key)
})
