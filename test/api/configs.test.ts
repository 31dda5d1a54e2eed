import { Readable } from 'node:stream'
import { XMLParser } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderClusterConfigs } from '../../src/domain/render-config.js'
import { MAX_CONFIG_FILE_BYTES } from '../../src/services/configs.js'
import { fixture, startTestServer, type TestServer } from '../helpers.js'
import { BASE, b64, createCluster, expectError } from './util.js'

type Files = { path: string; content: string }[]

const xmlProps = (content: string): Record<string, string> => {
  const doc = new XMLParser({ parseTagValue: false, isArray: (n) => n === 'property' }).parse(content) as {
    configuration: { property: { name: string; value: string }[] }
  }
  return Object.fromEntries(doc.configuration.property.map((p) => [p.name, p.value]))
}
const file = (files: Files, path: string) => {
  const f = files.find((x) => x.path === path)
  if (!f) throw new Error(`${path} missing from ${files.map((x) => x.path).join(', ')}`)
  return f.content
}

describe('GET /clusters/{id}/configs (DESIGN section 9)', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  const configs = (id: string, headers = s.headers) =>
    s.app.inject({ method: 'GET', url: `${BASE}/${id}/configs`, headers })
  /** Puts an object into a project's store, as `PUT /v1/...` or the CLI would. */
  const putObject = (project: string, bucket: string, key: string, text: string) =>
    s.objects.put(project, bucket, key, Readable.from([Buffer.from(text, 'utf8')]))
  const objectUrl = (bucket: string, key: string, account = 'any-project-id') =>
    `https://objectstorage.kr-central-2.kakaocloud.com/v1/${account}/${bucket}/${key}`

  it("answers each role's files, rendered from the spec and its configText, as soon as it is created", async () => {
    const id = await createCluster(s, {
      name: 'cfg-text',
      workerFlavorName: 'r2a.2xlarge',
      config: {
        hdfsReplication: 2,
        hdfsBlockSize: 64,
        configText: b64(
          JSON.stringify({
            configurations: [
              { classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } },
              { classification: 'hadoop-env', properties: { HADOOP_HEAPSIZE_MAX: '3001' } },
            ],
          }),
        ),
      },
    })
    const res = await configs(id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    const body = res.json() as { master: Files; worker: Files }
    expect(Object.keys(body)).toEqual(['master', 'worker'])
    for (const f of [...body.master, ...body.worker]) expect(Object.keys(f)).toEqual(['path', 'content'])

    expect(xmlProps(file(body.master, '/etc/hadoop/conf/core-site.xml'))).toMatchObject({
      'io.file.buffer.size': '65536',
      'fs.defaultFS': 'hdfs://hadoopmst-cfg-text-1:8020',
    })
    expect(xmlProps(file(body.worker, '/etc/hadoop/conf/hdfs-site.xml'))).toMatchObject({
      'dfs.replication': '2',
      'dfs.blocksize': String(64 * 1024 * 1024),
    })
    expect(xmlProps(file(body.worker, '/etc/hadoop/conf/yarn-site.xml'))).toMatchObject({
      'yarn.nodemanager.resource.cpu-vcores': '8',
      'yarn.nodemanager.resource.memory-mb': String(Math.floor(65536 * 0.8)),
    })
    expect(file(body.master, '/etc/hadoop/conf/hadoop-env.sh')).toContain(
      "export HADOOP_HEAPSIZE_MAX='3001'\n",
    )
    expect(body.master.map((f) => f.path)).toContain('/etc/hive/conf/hive-site.xml')
    expect(body.worker.map((f) => f.path)).not.toContain('/etc/hive/conf/hive-site.xml')

    // Exactly what the installer is handed for the same record.
    const record = (await s.store.clusters.get('proj-a', id))!
    const { master, worker } = renderClusterConfigs(record, [
      { classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } },
      { classification: 'hadoop-env', properties: { HADOOP_HEAPSIZE_MAX: '3001' } },
    ])
    expect(body).toEqual({ master, worker })
  })

  it('answers 404 for another project, an unknown id, and 401 without a credential', async () => {
    const id = await createCluster(s, { name: 'cfg-mine' })
    expectError(await configs(id, s.otherHeaders), 404, 'CLUSTER_NOT_FOUND')
    expectError(await configs('0b7c6f2e-1d8a-4c7e-9a55-000000000000'), 404, 'CLUSTER_NOT_FOUND')
    expectError(await s.app.inject({ method: 'GET', url: `${BASE}/${id}/configs` }), 401, 'UNAUTHORIZED')
  })

  it("reads config.configFileUrl from Object Storage, in the cluster's project", async () => {
    const url = objectUrl('conf-bucket', 'env/config-user-env.json')
    const id = await createCluster(s, {
      name: 'cfg-file',
      config: { hdfsReplication: 3, hdfsBlockSize: 128, configFileUrl: url },
    })
    // Not there yet: the answer names the URL.
    const missing = expectError(await configs(id), 409, 'CONFIG_FILE_NOT_FOUND')
    expect(missing.message).toContain(url)
    // The same bucket and key in another project is not this cluster's file.
    const seed = JSON.stringify(await fixture('config-user-env.json'))
    await putObject('proj-b', 'conf-bucket', 'env/config-user-env.json', seed)
    expectError(await configs(id), 409, 'CONFIG_FILE_NOT_FOUND')

    await putObject('proj-a', 'conf-bucket', 'env/config-user-env.json', seed)
    const res = await configs(id)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as { master: Files; worker: Files }
    const env = 'export JAVA_HOME=${JAVA_HOME:-/usr/lib/jdk}\nexport CUSTOM_HOME=/etc/custom'
    expect(file(body.master, '/etc/profile.d/user-env-ubuntu.sh')).toBe(env)
    expect(file(body.worker, '/etc/profile.d/user-env-ubuntu.sh')).toBe(env)
  })

  it('answers CONFIG_FILE_INVALID for a file that is not a configurations document, naming the URL', async () => {
    const cases: [string, string][] = [
      ['not-json.json', 'core-site: {'],
      [
        'wrong-shape.json',
        JSON.stringify({ configurations: [{ classification: 'core-site', properties: { a: 1 } }] }),
      ],
      ['array.json', '[]'],
      // Just over the limit, and valid JSON: the size alone refuses it, before it is parsed.
      ['huge.json', JSON.stringify({ configurations: [], pad: 'x'.repeat(MAX_CONFIG_FILE_BYTES) })],
    ]
    for (const [key, text] of cases) {
      const url = objectUrl('bad-conf', key)
      await putObject('proj-a', 'bad-conf', key, text)
      const id = await createCluster(s, {
        name: `cfg-bad-${key.split('.')[0]}`,
        config: { hdfsReplication: 3, hdfsBlockSize: 128, configFileUrl: url },
      })
      const err = expectError(await configs(id), 409, 'CONFIG_FILE_INVALID')
      expect(err.message).toContain(url)
      if (key === 'huge.json') expect(err.message).toContain(`larger than ${MAX_CONFIG_FILE_BYTES} bytes`)
    }
    // A URL that names no object at all (create accepts any http(s) URL) reads as missing.
    const id = await createCluster(s, {
      name: 'cfg-no-object',
      config: { hdfsReplication: 3, hdfsBlockSize: 128, configFileUrl: 'https://example.com/config.json' },
    })
    expectError(await configs(id), 409, 'CONFIG_FILE_NOT_FOUND')
  })

  it('never shows a password: not in clear, not in Base64, not sealed', async () => {
    const adminPw = 'Admin-Pw-0f3c9'
    const hivePw = 'Hive-Pw-77e1a'
    const id = await createCluster(s, {
      name: 'cfg-secrets',
      adminInfo: { userId: 'admin', userPw: b64(adminPw) },
      hiveDbInfo: { objectId: 'mysql-1', dbName: 'meta_db', userId: 'hive', userPw: b64(hivePw) },
      config: {
        hdfsReplication: 3,
        hdfsBlockSize: 128,
        configText: b64(
          JSON.stringify({
            configurations: [
              { classification: 'hive-site', properties: { 'javax.jdo.option.ConnectionPassword': hivePw } },
            ],
          }),
        ),
      },
    })
    const stored = (await s.store.clusters.get('proj-a', id))!.spec
    const sealed = [stored.adminInfo?.userPw, stored.hiveDbInfo?.userPw]
    expect(sealed.every((x) => typeof x === 'string' && x !== b64(adminPw) && x !== b64(hivePw))).toBe(true)
    const res = await configs(id)
    expect(res.statusCode, res.body).toBe(200)
    for (const secret of [adminPw, hivePw, b64(adminPw), b64(hivePw), ...(sealed as string[])])
      expect(res.body).not.toContain(secret)
    expect(res.body).not.toContain('ConnectionPassword')
    const hive = xmlProps(file((res.json() as { master: Files }).master, '/etc/hive/conf/hive-site.xml'))
    expect(hive).toMatchObject({ 'javax.jdo.option.ConnectionUserName': 'hive' })
    expect(hive['javax.jdo.option.ConnectionURL']).toMatch(/^jdbc:mysql:\/\/10\.[\d.]+:3306\/meta_db$/)
  })

  it('is documented in /openapi.json as an extension', async () => {
    const doc = (await s.app.inject({ url: '/openapi.json' })).json()
    const op = doc.paths['/v2/hadoop-eco/clusters/{clusterId}/configs']?.get
    expect(op).toBeDefined()
    expect(op.tags).toEqual(['extensions'])
    const schema = op.responses['200'].content['application/json'].schema
    expect(Object.keys(schema.properties).sort()).toEqual(['master', 'worker'])
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '401', '404', '409']))
  })
})
