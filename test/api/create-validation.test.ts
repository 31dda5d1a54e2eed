import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES, fixture, startTestServer, validBody, type TestServer } from '../helpers.js'
import { api, b64, BASE, expectError } from './util.js'

/**
 * DESIGN section 3, rule by rule, through the real HTTP stack: each case sends one bad field
 * and expects exactly that field's problem, with its stable code.
 */

const CFG = { hdfsReplication: 3, hdfsBlockSize: 128 }
const cfg = (over: Record<string, unknown>) => ({ config: { ...CFG, ...over } })
const GOOD_CONFIG_TEXT = b64(
  JSON.stringify({ configurations: [{ classification: 'core-site', properties: { a: 'b' } }] }),
)
const hive = (over: Record<string, unknown> = {}) => ({
  userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1', ...over },
})
const spark = (over: Record<string, unknown> = {}) => ({
  userTask: {
    type: 'spark',
    terminationPolicy: 'never',
    fileUrl: 'https://objectstorage.example.com/b/app.jar',
    deployMode: 'cluster',
    ...over,
  },
})
const HIVE_DB = { objectId: 'obj-1', dbName: 'meta_db', userId: 'mysql', userPw: b64('mysql-pw') }
const hiveDb = (over: Record<string, unknown> = {}) => ({ hiveDbInfo: { ...HIVE_DB, ...over } })

type Case = [label: string, over: Record<string, unknown>, expected: [field: string, code: string][]]

const REQUIRED = [
  'name',
  'clusterType',
  'clusterVersion',
  'isHa',
  'keypairName',
  'masterFlavorName',
  'masterVolumeSize',
  'workerCnt',
  'workerFlavorName',
  'workerVolumeSize',
  'monitoring',
  'vpcId',
  'subnetId',
]

const CASES: Record<string, Case[]> = {
  FIELD_REQUIRED: [
    ...REQUIRED.map((f): Case => [`${f} missing`, { [f]: undefined }, [[f, 'FIELD_REQUIRED']]]),
    ...REQUIRED.map((f): Case => [`${f} null`, { [f]: null }, [[f, 'FIELD_REQUIRED']]]),
    ...['name', 'keypairName', 'vpcId', 'subnetId', 'masterFlavorName'].map((f): Case => [
      `${f} blank`,
      { [f]: '  ' },
      [[f, 'FIELD_REQUIRED']],
    ]),
    ['config missing', { config: undefined }, [['config', 'FIELD_REQUIRED']]],
    [
      'config.hdfsReplication missing',
      { config: { hdfsBlockSize: 128 } },
      [['config.hdfsReplication', 'FIELD_REQUIRED']],
    ],
    [
      'config.hdfsBlockSize missing (nor BlockSize)',
      { config: { hdfsReplication: 3 } },
      [['config.hdfsBlockSize', 'FIELD_REQUIRED']],
    ],
  ],
  INVALID_TYPE: [
    ['name a number', { name: 123 }, [['name', 'INVALID_TYPE']]],
    ['clusterType a number', { clusterType: 1 }, [['clusterType', 'INVALID_TYPE']]],
    ['clusterVersion a boolean', { clusterVersion: true }, [['clusterVersion', 'INVALID_TYPE']]],
    ['isHa a string', { isHa: 'false' }, [['isHa', 'INVALID_TYPE']]],
    ['isHa a number', { isHa: 0 }, [['isHa', 'INVALID_TYPE']]],
    ['keypairName an array', { keypairName: ['kp'] }, [['keypairName', 'INVALID_TYPE']]],
    ['masterFlavorName a number', { masterFlavorName: 2 }, [['masterFlavorName', 'INVALID_TYPE']]],
    ['masterVolumeSize a string', { masterVolumeSize: '50' }, [['masterVolumeSize', 'INVALID_TYPE']]],
    ['masterVolumeSize a fraction', { masterVolumeSize: 50.5 }, [['masterVolumeSize', 'INVALID_TYPE']]],
    ['workerCnt a string', { workerCnt: '3' }, [['workerCnt', 'INVALID_TYPE']]],
    ['workerCnt a boolean', { workerCnt: true }, [['workerCnt', 'INVALID_TYPE']]],
    ['workerFlavorName an object', { workerFlavorName: {} }, [['workerFlavorName', 'INVALID_TYPE']]],
    ['workerVolumeSize a fraction', { workerVolumeSize: 99.9 }, [['workerVolumeSize', 'INVALID_TYPE']]],
    ['monitoring a string', { monitoring: 'true' }, [['monitoring', 'INVALID_TYPE']]],
    ['vpcId a number', { vpcId: 1 }, [['vpcId', 'INVALID_TYPE']]],
    ['subnetId a boolean', { subnetId: false }, [['subnetId', 'INVALID_TYPE']]],
    [
      'securityGroupIds a string',
      { securityGroupName: undefined, securityGroupIds: 'sg-1' },
      [['securityGroupIds', 'INVALID_TYPE']],
    ],
    [
      'securityGroupIds with a number',
      { securityGroupName: undefined, securityGroupIds: ['sg-1', 2] },
      [['securityGroupIds', 'INVALID_TYPE']],
    ],
    ['securityGroupName a number', { securityGroupName: 7 }, [['securityGroupName', 'INVALID_TYPE']]],
    ['adminInfo a string', { adminInfo: 'admin' }, [['adminInfo', 'INVALID_TYPE']]],
    ['adminInfo.userId a number', { adminInfo: { userId: 1 } }, [['adminInfo.userId', 'INVALID_TYPE']]],
    ['adminInfo.userPw a number', { adminInfo: { userPw: 1 } }, [['adminInfo.userPw', 'INVALID_TYPE']]],
    ['config an array', { config: [CFG] }, [['config', 'INVALID_TYPE']]],
    [
      'config.hdfsReplication a string',
      cfg({ hdfsReplication: '3' }),
      [['config.hdfsReplication', 'INVALID_TYPE']],
    ],
    [
      'config.hdfsBlockSize a fraction',
      cfg({ hdfsBlockSize: 1.5 }),
      [['config.hdfsBlockSize', 'INVALID_TYPE']],
    ],
    ['config.configText a number', cfg({ configText: 1 }), [['config.configText', 'INVALID_TYPE']]],
    ['config.configFileUrl a number', cfg({ configFileUrl: 1 }), [['config.configFileUrl', 'INVALID_TYPE']]],
    ['config.userScript an object', cfg({ userScript: {} }), [['config.userScript', 'INVALID_TYPE']]],
    ['userTask a string', { userTask: 'hive' }, [['userTask', 'INVALID_TYPE']]],
    ['userTask.type a number', hive({ type: 1 }), [['userTask.type', 'INVALID_TYPE']]],
    ['userTask.execOpts a number', hive({ execOpts: 1 }), [['userTask.execOpts', 'INVALID_TYPE']]],
    ['userTask.hiveQuery a number', hive({ hiveQuery: 1 }), [['userTask.hiveQuery', 'INVALID_TYPE']]],
    ['hiveDbInfo an array', { hiveDbInfo: [HIVE_DB] }, [['hiveDbInfo', 'INVALID_TYPE']]],
    ['hiveDbInfo.dbName a number', hiveDb({ dbName: 1 }), [['hiveDbInfo.dbName', 'INVALID_TYPE']]],
    ['dataCatalogInfo a string', { dataCatalogInfo: 'c' }, [['dataCatalogInfo', 'INVALID_TYPE']]],
    [
      'redisInfo.dbIdSupersetCelery a string',
      { clusterType: 'dataflow', redisInfo: { objectId: 'r', dbIdSupersetCelery: '1' } },
      [['redisInfo.dbIdSupersetCelery', 'INVALID_TYPE']],
    ],
    ['redisInfo a number', { clusterType: 'dataflow', redisInfo: 1 }, [['redisInfo', 'INVALID_TYPE']]],
  ],
  INVALID_NAME: [
    ['2 characters', { name: 'ab' }, [['name', 'INVALID_NAME']]],
    ['21 characters', { name: 'a'.repeat(21) }, [['name', 'INVALID_NAME']]],
    ['upper case', { name: 'Test-cluster' }, [['name', 'INVALID_NAME']]],
    ['starts with a digit', { name: '1cluster' }, [['name', 'INVALID_NAME']]],
    ['starts with a dash', { name: '-cluster' }, [['name', 'INVALID_NAME']]],
    ['ends with a dash', { name: 'cluster-' }, [['name', 'INVALID_NAME']]],
    ['underscore', { name: 'my_cluster' }, [['name', 'INVALID_NAME']]],
    ['space', { name: 'my cluster' }, [['name', 'INVALID_NAME']]],
    ['dot', { name: 'my.cluster' }, [['name', 'INVALID_NAME']]],
    ['non-ASCII letter', { name: 'clüster' }, [['name', 'INVALID_NAME']]],
  ],
  INVALID_CLUSTER_TYPE: [
    ['capitalized', { clusterType: 'Hadoop' }, [['clusterType', 'INVALID_CLUSTER_TYPE']]],
    ['unknown', { clusterType: 'spark' }, [['clusterType', 'INVALID_CLUSTER_TYPE']]],
  ],
  INVALID_CLUSTER_VERSION: [
    ['unknown', { clusterVersion: 'hde-2.0.0' }, [['clusterVersion', 'INVALID_CLUSTER_VERSION']]],
    ['without prefix', { clusterVersion: '2.0.1' }, [['clusterVersion', 'INVALID_CLUSTER_VERSION']]],
  ],
  INVALID_FLAVOR: [
    ['unknown master size', { masterFlavorName: 'm2a.small' }, [['masterFlavorName', 'INVALID_FLAVOR']]],
    ['unknown master family', { masterFlavorName: 'x9a.large' }, [['masterFlavorName', 'INVALID_FLAVOR']]],
    ['worker in upper case', { workerFlavorName: 'M2A.XLARGE' }, [['workerFlavorName', 'INVALID_FLAVOR']]],
  ],
  SECURITY_GROUP_REQUIRED: [
    [
      'neither ids nor name',
      { securityGroupName: undefined },
      [['securityGroupIds', 'SECURITY_GROUP_REQUIRED']],
    ],
    [
      'empty id list',
      { securityGroupName: undefined, securityGroupIds: [] },
      [['securityGroupIds', 'SECURITY_GROUP_REQUIRED']],
    ],
    ['blank name', { securityGroupName: ' ' }, [['securityGroupName', 'SECURITY_GROUP_REQUIRED']]],
  ],
  SECURITY_GROUP_CONFLICT: [
    ['ids and name', { securityGroupIds: ['sg-1'] }, [['securityGroupIds', 'SECURITY_GROUP_CONFLICT']]],
  ],
  VALUE_OUT_OF_RANGE: [
    ['masterVolumeSize 49', { masterVolumeSize: 49 }, [['masterVolumeSize', 'VALUE_OUT_OF_RANGE']]],
    ['masterVolumeSize 5121', { masterVolumeSize: 5121 }, [['masterVolumeSize', 'VALUE_OUT_OF_RANGE']]],
    ['workerVolumeSize 49', { workerVolumeSize: 49 }, [['workerVolumeSize', 'VALUE_OUT_OF_RANGE']]],
    ['workerVolumeSize 5121', { workerVolumeSize: 5121 }, [['workerVolumeSize', 'VALUE_OUT_OF_RANGE']]],
    ['workerCnt 0', { workerCnt: 0 }, [['workerCnt', 'VALUE_OUT_OF_RANGE']]],
    ['workerCnt 1001', { workerCnt: 1001 }, [['workerCnt', 'VALUE_OUT_OF_RANGE']]],
    ['hdfsReplication 0', cfg({ hdfsReplication: 0 }), [['config.hdfsReplication', 'VALUE_OUT_OF_RANGE']]],
    [
      'hdfsReplication 501',
      { workerCnt: 1000, ...cfg({ hdfsReplication: 501 }) },
      [['config.hdfsReplication', 'VALUE_OUT_OF_RANGE']],
    ],
    ['hdfsBlockSize 0', cfg({ hdfsBlockSize: 0 }), [['config.hdfsBlockSize', 'VALUE_OUT_OF_RANGE']]],
    ['hdfsBlockSize 1025', cfg({ hdfsBlockSize: 1025 }), [['config.hdfsBlockSize', 'VALUE_OUT_OF_RANGE']]],
    [
      'BlockSize (seed typo) 1025',
      { config: { hdfsReplication: 3, BlockSize: 1025 } },
      [['config.hdfsBlockSize', 'VALUE_OUT_OF_RANGE']],
    ],
    [
      'redis celery db 16',
      { clusterType: 'dataflow', redisInfo: { objectId: 'r', dbIdSupersetCelery: 16 } },
      [['redisInfo.dbIdSupersetCelery', 'VALUE_OUT_OF_RANGE']],
    ],
    [
      'redis results db -1',
      { clusterType: 'dataflow', redisInfo: { objectId: 'r', dbIdSupersetResults: -1 } },
      [['redisInfo.dbIdSupersetResults', 'VALUE_OUT_OF_RANGE']],
    ],
  ],
  WORKER_COUNT_BELOW_REPLICATION: [
    ['2 workers, replication 3', { workerCnt: 2 }, [['workerCnt', 'WORKER_COUNT_BELOW_REPLICATION']]],
    [
      '5 workers, replication 6',
      { workerCnt: 5, ...cfg({ hdfsReplication: 6 }) },
      [['workerCnt', 'WORKER_COUNT_BELOW_REPLICATION']],
    ],
  ],
  INVALID_BASE64: [
    ...(
      [
        ['bad alphabet', 'aGVs*G8='],
        ['URL-safe alphabet', '-_-_'],
        ['missing padding', 'aGVsbG8'],
        ['non-canonical', 'aGVsbG9='],
        ['empty', ''],
      ] as const
    ).flatMap(([label, text]): Case[] => [
      [`configText ${label}`, cfg({ configText: text }), [['config.configText', 'INVALID_BASE64']]],
      [`userScript ${label}`, cfg({ userScript: text }), [['config.userScript', 'INVALID_BASE64']]],
      [
        `adminInfo.userPw ${label}`,
        { adminInfo: { userPw: text } },
        [['adminInfo.userPw', 'INVALID_BASE64']],
      ],
      // hiveDbInfo.userPw is required: an empty one is missing rather than bad Base64.
      [
        `hiveDbInfo.userPw ${label}`,
        hiveDb({ userPw: text }),
        [['hiveDbInfo.userPw', text === '' ? 'FIELD_REQUIRED' : 'INVALID_BASE64']],
      ],
    ]),
  ],
  INVALID_CONFIG_TEXT: [
    [
      'not JSON',
      cfg({ configText: b64('io.file.buffer.size=65536') }),
      [['config.configText', 'INVALID_CONFIG_TEXT']],
    ],
    ['not an object', cfg({ configText: b64('[1]') }), [['config.configText', 'INVALID_CONFIG_TEXT']]],
    ['no configurations', cfg({ configText: b64('{}') }), [['config.configText', 'INVALID_CONFIG_TEXT']]],
    [
      'configurations not an array',
      cfg({ configText: b64('{"configurations":{}}') }),
      [['config.configText', 'INVALID_CONFIG_TEXT']],
    ],
    [
      'classification missing',
      cfg({ configText: b64('{"configurations":[{"properties":{}}]}') }),
      [['config.configText', 'INVALID_CONFIG_TEXT']],
    ],
    [
      'properties missing',
      cfg({ configText: b64('{"configurations":[{"classification":"core-site"}]}') }),
      [['config.configText', 'INVALID_CONFIG_TEXT']],
    ],
    [
      'a property value that is not a string',
      cfg({ configText: b64('{"configurations":[{"classification":"core-site","properties":{"a":1}}]}') }),
      [['config.configText', 'INVALID_CONFIG_TEXT']],
    ],
  ],
  INVALID_URL: [
    [
      'configFileUrl ftp',
      cfg({ configFileUrl: 'ftp://host/c.json' }),
      [['config.configFileUrl', 'INVALID_URL']],
    ],
    ['fileUrl (seed alias) relative', cfg({ fileUrl: 'bucket/c.json' }), [['config.fileUrl', 'INVALID_URL']]],
    [
      'userScriptFileUrl absolute path',
      cfg({ userScriptFileUrl: '/b/s.sh' }),
      [['config.userScriptFileUrl', 'INVALID_URL']],
    ],
    [
      'userScriptFileUrl javascript:',
      cfg({ userScriptFileUrl: 'javascript:alert(1)' }),
      [['config.userScriptFileUrl', 'INVALID_URL']],
    ],
    ['userTask.fileUrl ftp', spark({ fileUrl: 'ftp://host/app.jar' }), [['userTask.fileUrl', 'INVALID_URL']]],
    [
      'userTask.fileUrl relative',
      hive({ hiveQuery: undefined, fileUrl: 'q.sql' }),
      [['userTask.fileUrl', 'INVALID_URL']],
    ],
  ],
  MUTUALLY_EXCLUSIVE: [
    [
      'configText and configFileUrl',
      cfg({ configText: GOOD_CONFIG_TEXT, configFileUrl: 'https://a/c.json' }),
      [['config.configText', 'MUTUALLY_EXCLUSIVE']],
    ],
    [
      'configText and fileUrl (seed alias)',
      cfg({ configText: GOOD_CONFIG_TEXT, fileUrl: 'https://a/c.json' }),
      [['config.configText', 'MUTUALLY_EXCLUSIVE']],
    ],
    [
      'configFileUrl and a different fileUrl',
      cfg({ configFileUrl: 'https://a/c.json', fileUrl: 'https://a/d.json' }),
      [['config.fileUrl', 'MUTUALLY_EXCLUSIVE']],
    ],
    [
      'userScript and userScriptFileUrl',
      cfg({ userScript: b64('echo hi'), userScriptFileUrl: 'https://a/s.sh' }),
      [['config.userScript', 'MUTUALLY_EXCLUSIVE']],
    ],
    [
      'hiveDbInfo and dataCatalogInfo',
      { ...hiveDb(), dataCatalogInfo: { catalogId: 'c' } },
      [['hiveDbInfo', 'MUTUALLY_EXCLUSIVE']],
    ],
    [
      'hiveDbInfo and dataCatalog (seed alias)',
      { ...hiveDb(), dataCatalog: { catalogId: 'c' } },
      [['hiveDbInfo', 'MUTUALLY_EXCLUSIVE']],
    ],
  ],
  INVALID_VALUE: [
    ['userTask.type pig', hive({ type: 'pig' }), [['userTask.type', 'INVALID_VALUE']]],
    [
      'userTask.terminationPolicy sometimes',
      hive({ terminationPolicy: 'sometimes' }),
      [['userTask.terminationPolicy', 'INVALID_VALUE']],
    ],
    ['userTask.deployMode local', spark({ deployMode: 'local' }), [['userTask.deployMode', 'INVALID_VALUE']]],
  ],
  'FIELD_REQUIRED (userTask, integrations)': [
    ['userTask.type missing', hive({ type: undefined }), [['userTask.type', 'FIELD_REQUIRED']]],
    [
      'userTask.terminationPolicy missing',
      hive({ terminationPolicy: undefined }),
      [['userTask.terminationPolicy', 'FIELD_REQUIRED']],
    ],
    [
      'hive task without hiveQuery or fileUrl',
      hive({ hiveQuery: undefined }),
      [['userTask.hiveQuery', 'FIELD_REQUIRED']],
    ],
    [
      'hive task with a blank hiveQuery',
      hive({ hiveQuery: '  ' }),
      [['userTask.hiveQuery', 'FIELD_REQUIRED']],
    ],
    ['spark task without fileUrl', spark({ fileUrl: undefined }), [['userTask.fileUrl', 'FIELD_REQUIRED']]],
    [
      'spark task without deployMode',
      spark({ deployMode: undefined }),
      [['userTask.deployMode', 'FIELD_REQUIRED']],
    ],
    ...['objectId', 'dbName', 'userId', 'userPw'].map((f): Case => [
      `hiveDbInfo.${f} missing`,
      hiveDb({ [f]: undefined }),
      [[`hiveDbInfo.${f}`, 'FIELD_REQUIRED']],
    ]),
    [
      'dataCatalogInfo.catalogId missing',
      { dataCatalogInfo: {} },
      [['dataCatalogInfo.catalogId', 'FIELD_REQUIRED']],
    ],
    [
      'dataCatalog.catalogId missing (seed alias)',
      { dataCatalog: {} },
      [['dataCatalog.catalogId', 'FIELD_REQUIRED']],
    ],
    [
      'redisInfo.objectId missing',
      { clusterType: 'dataflow', redisInfo: { dbIdSupersetCelery: 2 } },
      [['redisInfo.objectId', 'FIELD_REQUIRED']],
    ],
  ],
  UNSUPPORTED_FOR_CLUSTER_TYPE: [
    [
      'hive task on hbase',
      { clusterType: 'hbase', ...hive() },
      [['userTask.type', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'hive task on dataflow',
      { clusterType: 'dataflow', ...hive() },
      [['userTask.type', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'spark task on trino',
      { clusterType: 'trino', ...spark() },
      [['userTask.type', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'spark task on hbase',
      { clusterType: 'hbase', ...spark() },
      [['userTask.type', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'hiveDbInfo on hbase',
      { clusterType: 'hbase', ...hiveDb() },
      [['hiveDbInfo', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'hiveDbInfo on dataflow',
      { clusterType: 'dataflow', ...hiveDb() },
      [['hiveDbInfo', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'dataCatalogInfo on dataflow',
      { clusterType: 'dataflow', dataCatalogInfo: { catalogId: 'c' } },
      [['dataCatalogInfo', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'dataCatalog (seed alias) on hbase',
      { clusterType: 'hbase', dataCatalog: { catalogId: 'c' } },
      [['dataCatalog', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'redisInfo on hadoop',
      { redisInfo: { objectId: 'r' } },
      [['redisInfo', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
    [
      'redisInfo on trino',
      { clusterType: 'trino', redisInfo: { objectId: 'r' } },
      [['redisInfo', 'UNSUPPORTED_FOR_CLUSTER_TYPE']],
    ],
  ],
}

describe('create: validation over HTTP', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  for (const [group, cases] of Object.entries(CASES))
    describe(group, () => {
      it.each(cases)('%s', async (_label, over, expected) => {
        const res = await api(s).create(validBody(over))
        const body = expectError(res, 400, expected[0]![1])
        expect(body.error).toBe('Bad Request')
        expect(body.path).toBe(BASE)
        expect(body.errors.map((e) => [e.field, e.code])).toEqual(expected)
        for (const e of body.errors) expect(e.message.length).toBeGreaterThan(0)
      })
    })

  it('renders WORKER_COUNT_BELOW_REPLICATION exactly as DESIGN section 2 shows', async () => {
    const body = expectError(
      await api(s).create(validBody({ workerCnt: 2 })),
      400,
      'WORKER_COUNT_BELOW_REPLICATION',
    )
    expect(body).toMatchObject({
      status: 400,
      error: 'Bad Request',
      code: 'WORKER_COUNT_BELOW_REPLICATION',
      message: 'workerCnt (2) must be >= config.hdfsReplication (3)',
      path: '/v2/hadoop-eco/clusters',
      errors: [
        {
          field: 'workerCnt',
          code: 'WORKER_COUNT_BELOW_REPLICATION',
          message: 'workerCnt (2) must be >= config.hdfsReplication (3)',
        },
      ],
    })
  })

  it('reports several problems together in errors[], the first naming the code', async () => {
    const res = await api(s).create(
      validBody({
        name: 'Bad_Name',
        clusterType: 'spark',
        workerCnt: 0,
        masterFlavorName: 'tiny',
        securityGroupIds: ['sg-1'],
        config: { hdfsReplication: 3, hdfsBlockSize: 4096, configText: 'not base64!' },
      }),
    )
    const body = expectError(res, 400, 'INVALID_NAME')
    expect(body.errors.map((e) => [e.field, e.code])).toEqual([
      ['name', 'INVALID_NAME'],
      ['clusterType', 'INVALID_CLUSTER_TYPE'],
      ['masterFlavorName', 'INVALID_FLAVOR'],
      ['workerCnt', 'VALUE_OUT_OF_RANGE'],
      ['securityGroupIds', 'SECURITY_GROUP_CONFLICT'],
      ['config.hdfsBlockSize', 'VALUE_OUT_OF_RANGE'],
      ['config.configText', 'INVALID_BASE64'],
    ])
    expect(body.message).toMatch(/\(and 6 more\)$/)
  })

  it('reports every missing required field of an empty body', async () => {
    const body = expectError(await api(s).create({}), 400, 'FIELD_REQUIRED')
    expect(body.errors.map((e) => e.field)).toEqual([...REQUIRED, 'securityGroupIds', 'config'])
  })

  it.each([
    ['an array', []],
    ['a string', 'cluster'],
    ['a number', 42],
  ])('refuses a JSON body that is %s', async (_label, payload) => {
    const res = await s.app.inject({
      method: 'POST',
      url: BASE,
      headers: { ...s.headers, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    })
    expectError(res, 400, 'INVALID_TYPE')
  })

  it('creates nothing when validation fails', async () => {
    await api(s).create(validBody({ name: 'never-made', workerCnt: 0 }))
    const list = await api(s).list('name=never-made')
    expect(list.json().totalElements).toBe(0)
  })
})

describe('create: accepted bodies', () => {
  let s: TestServer
  beforeAll(async () => {
    s = await startTestServer()
  })
  afterAll(() => s.cleanup())

  it.each(['create-example-1.json', 'create-example-2.json', 'create-example-3.json'])(
    'accepts the seed fixture %s with 200 {id,name,status:"Initializing"}',
    async (file) => {
      const body = await fixture(file)
      const res = await api(s).create(body)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/json/)
      const json = res.json()
      expect(Object.keys(json).sort()).toEqual(['id', 'name', 'status'])
      expect(json).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: body.name,
        status: 'Initializing',
      })
      expect((await api(s).get(json.id)).json()).toMatchObject({ id: json.id, name: body.name })
    },
  )

  it('accepts the seed typos and shows them under their documented names', async () => {
    const res = await api(s).create(
      validBody({
        name: 'typo-cluster',
        config: { hdfsReplication: 2, BlockSize: 256, fileUrl: 'https://objectstorage.example.com/b/c.json' },
        dataCatalog: { catalogId: 'cat-typo' },
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
    const got = (await api(s).get(res.json().id)).json()
    expect(got.config).toEqual({
      hdfsBlockSize: 256,
      hdfsReplication: 2,
      configFileUrl: 'https://objectstorage.example.com/b/c.json',
    })
    expect(got.dataCatalogInfo.catalogId).toBe('cat-typo')
  })

  it('ignores unknown top-level fields', async () => {
    const res = await api(s).create(
      validBody({
        name: 'extra-fields',
        surprise: true,
        tags: { team: 'data' },
        adminInfo: { userId: 'a', x: 1 },
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
    const got = (await api(s).get(res.json().id)).json()
    expect(got).not.toHaveProperty('surprise')
    expect(got).not.toHaveProperty('tags')
    expect(got.adminInfo).toEqual({ userId: 'a' })
  })

  it('accepts Base64 with the line breaks `base64` prints, configText of the user-env fixture', async () => {
    const json = await readFile(new URL('config-user-env.json', FIXTURES), 'utf8')
    const wrapped = b64(json).replace(/(.{76})/g, '$1\n') + '\n'
    expect(wrapped).toContain('\n')
    const res = await api(s).create(
      validBody({
        name: 'wrapped-b64',
        adminInfo: { userId: 'admin', userPw: b64('a'.repeat(80)).replace(/(.{76})/g, '$1\r\n') },
        config: {
          hdfsReplication: 3,
          hdfsBlockSize: 128,
          configText: wrapped,
          userScript: `${b64('#!/bin/sh')}\n`,
        },
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
    const got = (await api(s).get(res.json().id)).json()
    expect(got.config.configText).toBe(b64(json))
  })

  it.each([
    ['hive task on trino', 'trino', hive()],
    ['hive task from a file', 'hadoop', hive({ hiveQuery: undefined, fileUrl: 'https://a.example/q.sql' })],
    ['spark task on hadoop', 'hadoop', spark({ deployMode: 'client' })],
    ['hiveDbInfo on trino', 'trino', hiveDb()],
    ['redisInfo on dataflow', 'dataflow', { redisInfo: { objectId: 'r-1' } }],
  ])('accepts %s', async (label, clusterType, over) => {
    const res = await api(s).create(
      validBody({
        name: label
          .replace(/[^a-z]+/g, '-')
          .slice(0, 20)
          .replace(/-$/, ''),
        clusterType,
        ...over,
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
  })

  it('gives redisInfo the default db ids 0 and 1, and keeps given ones', async () => {
    const a = await api(s).create(
      validBody({ name: 'redis-default', clusterType: 'dataflow', redisInfo: { objectId: 'r-1' } }),
    )
    expect((await api(s).get(a.json().id)).json().redisInfo).toMatchObject({
      objectId: 'r-1',
      dbIdSupersetCelery: 0,
      dbIdSupersetResults: 1,
    })
    const b = await api(s).create(
      validBody({
        name: 'redis-given',
        clusterType: 'dataflow',
        redisInfo: { objectId: 'r-2', dbIdSupersetCelery: 15, dbIdSupersetResults: 7 },
      }),
    )
    expect((await api(s).get(b.json().id)).json().redisInfo).toMatchObject({
      dbIdSupersetCelery: 15,
      dbIdSupersetResults: 7,
    })
  })

  it('accepts the boundaries: name of 3 and 20, volumes 50 and 5120, workerCnt 1 and 1000, replication 500', async () => {
    for (const over of [
      {
        name: 'abc',
        masterVolumeSize: 50,
        workerVolumeSize: 5120,
        workerCnt: 1,
        config: { hdfsReplication: 1, hdfsBlockSize: 1 },
      },
      {
        name: 'a'.repeat(20),
        masterVolumeSize: 5120,
        workerCnt: 1000,
        config: { hdfsReplication: 500, hdfsBlockSize: 1024 },
      },
    ]) {
      const res = await api(s).create(validBody(over))
      expect(res.statusCode, res.body).toBe(200)
    }
  })
})
