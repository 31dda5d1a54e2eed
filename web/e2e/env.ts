/** What the servers of a run are started with, shared by the setup and the tests. */
export const ALICE = { id: 'alice-console', secret: 'alice-secret-0123456789', project: 'project-a' }
export const BOB = { id: 'bob-console', secret: 'bob-secret-0123456789', project: 'project-b' }
export const CREDENTIALS = [ALICE, BOB].map((c) => `${c.id}:${c.secret}@${c.project}`).join(',')
export const ADMIN_TOKEN = 'console-e2e-admin-token'
export const serverUrlKey = (backend: string) => `HADOOP_ECO_E2E_URL_${backend.toUpperCase()}`
