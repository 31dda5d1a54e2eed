import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixture, startTestServer, type TestServer } from '../helpers.js'
import { api, runUntilStatus } from './util.js'

/**
 * The seed's "Retrieve cluster" response example, key by key in its order (its braces were lost;
 * the nesting is restored here). Nested objects list their own keys.
 */
const SEED_CLUSTER: readonly (string | [string, readonly string[]])[] = [
  'id',
  'name',
  'owner',
  'clusterType',
  'clusterVersion',
  'isHa',
  'isScalable',
  'status',
  'apiKeyStatus',
  'masterCnt',
  'workerCnt',
  'nodeCnt',
  'vpcId',
  'subnetId',
  'securityGroupIds',
  'keypairName',
  'monitoring',
  'imageName',
  'nameNodeUrl',
  'resourceManagerUrl',
  'hueUrl',
  'hmasterUrl',
  'trinoUrl',
  'druidUrl',
  'supersetUrl',
  'createdAt',
  'runningAt',
  'elapsedTime',
  'totalVmUptime',
  ['masterInfo', ['flavorId', 'flavorName', 'volumeSize']],
  ['workerInfo', ['flavorId', 'flavorName', 'volumeSize']],
  ['adminInfo', ['userId']],
  ['config', ['hdfsBlockSize', 'hdfsReplication', 'configText', 'configFileUrl']],
  [
    'userTask',
    [
      'type',
      'terminationPolicy',
      'fileUrl',
      'hiveQuery',
      'deployMode',
      'execOpts',
      'execParams',
      'logBucketName',
      'logUrl',
    ],
  ],
  ['hiveDbInfo', ['objectId', 'subnetId', 'name', 'host', 'port', 'dbName', 'userId']],
  [
    'dataCatalogInfo',
    ['metastoreUri', 'catalogId', 'catalogName', 'vpcId', 'vpcName', 'subnetId', 'subnetName'],
  ],
  [
    'redisInfo',
    [
      'objectId',
      'name',
      'subnetId',
      'primaryEndpoint',
      'readEndpoint',
      'clusterEnabled',
      'port',
      'dbIdSupersetCelery',
      'dbIdSupersetResults',
    ],
  ],
]
const seedKeys = SEED_CLUSTER.map((k) => (typeof k === 'string' ? k : k[0]))
const seedNested = new Map(SEED_CLUSTER.filter((k): k is [string, string[]] => typeof k !== 'string'))

/** The keys of `actual` in the order the server wrote them, beside the documented order, both without the keys only one has. */
const orders = (actual: object, documented: readonly string[]) => {
  const keys = Object.keys(actual) // JSON.parse keeps the order of the text
  return {
    actual: keys.filter((k) => documented.includes(k)),
    documented: documented.filter((k) => keys.includes(k)),
  }
}

describe("key order of the seed's objects", () => {
  let s: TestServer
  let id: string
  beforeAll(async () => {
    s = await startTestServer()
    // The seed's create example 1: adminInfo, configText, a Hive userTask that keeps the cluster
    // Running, a data catalog: most optional keys are there.
    const res = await api(s).create(await fixture('create-example-1.json'))
    expect(res.statusCode, res.body).toBe(200)
    id = res.json().id as string
    await runUntilStatus(s, id, (st) => st === 'Running')
  })
  afterAll(() => s.cleanup())

  it('GET /clusters/{id} writes its keys in the order of the seed\'s "Retrieve cluster" example', async () => {
    const body = (await api(s).get(id)).json() as Record<string, unknown>
    // The optional keys this test is about are there.
    for (const k of ['runningAt', 'nameNodeUrl', 'hueUrl', 'adminInfo', 'userTask', 'dataCatalogInfo'])
      expect(body, k).toHaveProperty(k)
    const top = orders(body, seedKeys)
    expect(top.actual.length).toBeGreaterThanOrEqual(30)
    expect(top.actual).toEqual(top.documented)
    for (const [key, nested] of seedNested) {
      const value = body[key]
      if (value === undefined) continue
      const inner = orders((Array.isArray(value) ? value[0] : value) as object, nested)
      expect(inner.actual, key).toEqual(inner.documented)
    }
  })

  it("a cluster list item writes its keys in the order of the seed's list example", async () => {
    const seed = (await fixture('list-example-2.json')) as { response: { content: object[] } }
    const documented = Object.keys(seed.response.content[0]!)
    const item = (await api(s).list()).json().content[0] as object
    expect(item).toHaveProperty('runningAt')
    const { actual, documented: expected } = orders(item, documented)
    expect(actual).toEqual(expected)
    expect(actual).toEqual(Object.keys(item)) // and nothing the seed does not show
  })

  it("a VM list item writes its keys in the order of the seed's VM list example", async () => {
    const seed = (await fixture('vms-example-1.json')) as { response: { content: object[] } }
    const documented = [...Object.keys(seed.response.content[0]!)]
    // The seed's field table has floatingIp between ip and createdAt (its example omits it).
    documented.splice(documented.indexOf('ip') + 1, 0, 'floatingIp')
    const item = (await api(s).vms(id)).json().content[0] as object
    const { actual, documented: expected } = orders(item, documented)
    expect(actual).toEqual(expected)
  })

  it('/openapi.json still documents the required keys of the cluster and its list items', async () => {
    const doc = (await s.app.inject({ url: '/openapi.json' })).json()
    const get =
      doc.paths['/v2/hadoop-eco/clusters/{clusterId}'].get.responses['200'].content['application/json'].schema
    expect(get.required).toEqual(expect.arrayContaining(['id', 'name', 'status', 'createdAt', 'elapsedTime']))
    expect(get.required).not.toContain('runningAt')
    const list = doc.paths['/v2/hadoop-eco/clusters'].get.responses['200'].content['application/json'].schema
    expect(list.properties.content.items.required).toEqual(expect.arrayContaining(['id', 'elapsedTime']))
  })
})
