import { ALICE } from './env.js'
import { expect, signIn, test } from './fixtures.js'

test('the console answers at / and asks for a sign-in first', async ({ page }) => {
  await page.goto('/')
  await expect(page).toHaveURL(/\/console\/signin$/)
  await expect(page.getByRole('heading', { name: 'Sign in to Hadoop Eco' })).toBeVisible()
})

test('sign in, then sign out: the session ends on the server at once', async ({ page }) => {
  await signIn(page)
  await expect(page.getByText(ALICE.project)).toBeVisible()
  const csrf = await page.request.get('/_console/session')
  expect(csrf.status()).toBe(200)

  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page.getByRole('heading', { name: 'Sign in to Hadoop Eco' })).toBeVisible()
  await expect(page.getByRole('status')).toHaveText('You have signed out.')
  // The cookie the browser still has (if any) no longer opens anything.
  expect((await page.request.get('/_console/session')).status()).toBe(401)
  expect((await page.request.get('/v2/hadoop-eco/clusters')).status()).toBe(401)
  await page.goto('/console/')
  await expect(page).toHaveURL(/\/console\/signin$/)
})

test('a wrong secret is refused with a message, and no session is made', async ({ page }) => {
  await page.goto('/console/signin')
  await page.getByLabel('Credential ID').fill(ALICE.id)
  await page.getByLabel('Credential secret').fill('not-the-secret')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toContainText('The credential ID or secret is wrong')
  expect((await page.request.get('/_console/session')).status()).toBe(401)
  await expect(page.getByLabel('Credential ID')).toHaveValue(ALICE.id)
})

test('sign-in with the keyboard only', async ({ page }) => {
  await page.goto('/console/signin')
  // The ID field has the focus on arrival; Tab reaches the secret; Enter submits.
  await expect(page.getByLabel('Credential ID')).toBeFocused()
  await page.keyboard.type(ALICE.id)
  await page.keyboard.press('Tab')
  await expect(page.getByLabel('Credential secret')).toBeFocused()
  await page.keyboard.type(ALICE.secret)
  await page.keyboard.press('Enter')
  await expect(page.getByRole('heading', { name: 'Clusters', level: 1 })).toBeVisible()
  // The rest of the page is reachable by Tab too: the sign-out button among the first stops.
  let reached = false
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab')
    reached = await page
      .getByRole('button', { name: 'Sign out' })
      .evaluate((b) => b === document.activeElement)
  }
  expect(reached).toBe(true)
})

test('the secret is never kept in the browser, and the session cookie is HttpOnly and strict', async ({
  page,
  context,
}) => {
  await signIn(page)
  const stored = await page.evaluate(() => ({
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
    cookie: document.cookie,
    url: location.href,
  }))
  for (const v of Object.values(stored)) expect(v).not.toContain(ALICE.secret)
  expect(stored.cookie).not.toContain('hadoop_eco_session')
  const cookies = await context.cookies()
  const session = cookies.find((c) => c.name === 'hadoop_eco_session')
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
  expect(session!.value).not.toContain(ALICE.secret)
  expect(session!.expires).toBeGreaterThan(Date.now() / 1000)
})

test('a session lost on the server sends the user back to sign-in with a message', async ({
  page,
  context,
}) => {
  await signIn(page)
  // Another tab signs out: this page's next poll finds the session gone.
  const other = await context.newPage()
  await other.goto('/console/')
  await other.getByRole('button', { name: 'Sign out' }).click()
  await expect(other.getByRole('heading', { name: 'Sign in to Hadoop Eco' })).toBeVisible()
  await expect(page.getByRole('heading', { name: 'Sign in to Hadoop Eco' })).toBeVisible()
  await expect(page.getByRole('status')).toHaveText('Your session has ended. Sign in again to continue.')
})

test('a mutation without the CSRF token is refused, even with the session cookie', async ({ page }) => {
  await signIn(page)
  const r = await page.request.post('/v2/hadoop-eco/clusters', { data: {} })
  expect(r.status()).toBe(403)
  expect((await r.json()).code).toBe('CSRF_TOKEN_INVALID')
})

test('a page whose parts are gone after a new build says to reload', async ({ page }) => {
  await signIn(page)
  // As after a rebuild: the split-out page this tab knows by its old name is no longer there.
  await page.route('**/console/assets/create-cluster-*.js', (route) =>
    route.fulfill({ status: 404, body: '' }),
  )
  await page.getByRole('link', { name: 'New cluster' }).click()
  await expect(page.getByRole('alert')).toContainText('The console was updated on the server')
  await page.unroute('**/console/assets/create-cluster-*.js')
  await page.getByRole('button', { name: 'Try again' }).click()
  await expect(page.getByRole('heading', { name: 'Create cluster' })).toBeVisible()
})

test('a failed sign-out keeps the page signed in and says so', async ({ page }) => {
  await signIn(page)
  await page.route('**/_console/session', (route) =>
    route.request().method() === 'DELETE' ? route.fulfill({ status: 503, body: '' }) : route.fallback(),
  )
  await page.getByRole('button', { name: 'Sign out' }).click()
  await expect(page.getByRole('alert')).toContainText('Sign-out failed')
  await expect(page.getByRole('heading', { name: 'Clusters', level: 1 })).toBeVisible()
  expect((await page.request.get('/_console/session')).status()).toBe(200)
})

test('with no key, click or touch for the idle time, the page signs itself out', async ({ page }) => {
  // The page's polls keep the server's session alive: inactivity is measured in the page.
  await page.clock.install()
  await signIn(page)
  const { idleTimeoutMs } = await (await page.request.get('/_console/session')).json()
  await page.clock.fastForward(idleTimeoutMs + 60_000)
  await expect(page.getByRole('status')).toHaveText('You were signed out after a period of inactivity.')
  expect((await page.request.get('/_console/session')).status()).toBe(401)
})

test('a page whose session was replaced by a sign-in elsewhere in the browser says so on its next change', async ({
  page,
}) => {
  await signIn(page)
  // Another tab of the same browser signs in again: the shared cookie now names a new session,
  // while this page still holds the first one's CSRF token.
  const again = await page.request.post('/_console/session', {
    data: { credentialId: ALICE.id, credentialSecret: ALICE.secret },
  })
  expect(again.status()).toBe(201)
  await page.getByRole('link', { name: 'New cluster' }).click()
  await page.getByRole('button', { name: 'Create cluster' }).click()
  await expect(page.getByRole('heading', { name: 'Sign in to Hadoop Eco' })).toBeVisible()
  await expect(page.getByRole('status')).toContainText('signed in again elsewhere')
})
