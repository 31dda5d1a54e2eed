import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HadoopEcoClient } from '../../src/sdk/index.js'
import { buildCli } from './build.js'
import {
  CREDENTIAL,
  type E2EServer,
  minimalSpec,
  runCli,
  sdkClient,
  startE2EServer,
  tempHome,
  uniqueName,
} from './harness.js'

/** `clusters list --all-pages` walks oldest first, as its help says, and agrees with the SDK's listAll. */
describe('clusters list --all-pages order', () => {
  let s: E2EServer
  let home: string
  let client: HadoopEcoClient
  beforeAll(async () => {
    await buildCli()
    s = await startE2EServer()
    home = tempHome()
    client = sdkClient(s.url)
  }, 180_000)
  afterAll(() => s?.close())

  it('prints every cluster oldest first, over several pages, unless --sort says otherwise', async () => {
    const prefix = uniqueName('ord')
    const names: string[] = []
    for (let i = 0; i < 5; i++) {
      const name = `${prefix}-${i}`.slice(0, 20)
      names.push(name)
      await client.clusters.create(minimalSpec(name) as never)
      // createdAt is in milliseconds: keep the order unambiguous.
      await new Promise((r) => setTimeout(r, 5))
    }
    const env = {
      HADOOP_ECO_ENDPOINT: s.url,
      HADOOP_ECO_CREDENTIAL_ID: CREDENTIAL.id,
      HADOOP_ECO_CREDENTIAL_SECRET: CREDENTIAL.secret,
    }
    const run = async (...extra: string[]) => {
      const r = await runCli(
        ['clusters', 'list', '--all-pages', '--name', prefix, '--size', '2', '-o', 'json', ...extra],
        {
          home,
          env,
        },
      )
      expect(r.code, r.stderr).toBe(0)
      return (JSON.parse(r.stdout) as { name: string }[]).map((c) => c.name)
    }
    expect(await run()).toEqual(names)
    expect(await run('--sort', 'createdAt,desc')).toEqual([...names].reverse())
    const viaSdk: string[] = []
    for await (const c of client.clusters.listAll({ name: prefix, size: 2, sort: undefined }))
      viaSdk.push(c.name)
    expect(viaSdk).toEqual(names)
  })
})
