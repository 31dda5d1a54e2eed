import { describe, expect, it } from 'vitest'
import { FLAVORS } from './catalog.js'
import { parseCreateCluster, parseScaleRequest } from './cluster-spec.js'
import { AppError, type FieldError } from './errors.js'
import { validBody } from '../../test/fixtures/valid-body.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const CONFIG_TEXT = b64(
  JSON.stringify({
    configurations: [{ classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } }],
  }),
)

const body = validBody
const cfg = (over: Record<string, unknown>) => ({
  config: { hdfsReplication: 3, hdfsBlockSize: 128, ...over },
})

const problems = (b: unknown): Pick<FieldError, 'field' | 'code'>[] => {
  try {
    parseCreateCluster(b)
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    return (e as AppError).errors.map(({ field, code }) => ({ field, code }))
  }
  return []
}

describe('parseCreateCluster: normalization', () => {
  it('returns the canonical spec of a minimal body', () => {
    expect(parseCreateCluster(body())).toEqual({
      name: 'test-cluster',
      clusterType: 'hadoop',
      clusterVersion: 'hde-2.0.1',
      isHa: false,
      keypairName: 'kp',
      masterFlavorName: 'm2a.xlarge',
      masterVolumeSize: 50,
      workerCnt: 3,
      workerFlavorName: 'm2a.xlarge',
      workerVolumeSize: 100,
      monitoring: true,
      securityGroupName: 'sg',
      vpcId: 'vpc-1',
      subnetId: 'subnet-1',
      config: { hdfsReplication: 3, hdfsBlockSize: 128 },
    })
  })

  it('folds the seed typos into canonical names', () => {
    const spec = parseCreateCluster(
      body({
        config: { hdfsReplication: 3, BlockSize: 64, fileUrl: 'https://objectstorage.example.com/b/c.json' },
        dataCatalog: { catalogId: 'cat-1' },
      }),
    )
    expect(spec.config).toEqual({
      hdfsReplication: 3,
      hdfsBlockSize: 64,
      configFileUrl: 'https://objectstorage.example.com/b/c.json',
    })
    expect(spec.dataCatalogInfo).toEqual({ catalogId: 'cat-1' })
  })

  it('drops unknown top-level fields', () => {
    const spec = parseCreateCluster(body({ surprise: 1, tags: { a: 'b' } }))
    expect(spec).not.toHaveProperty('surprise')
    expect(spec).not.toHaveProperty('tags')
  })

  it('stores Base64 without the line breaks `base64` adds', () => {
    const long = b64(
      JSON.stringify({
        configurations: [{ classification: 'core-site', properties: { k: 'v'.repeat(300) } }],
      }),
    )
    const wrapped = long.replace(/(.{76})/g, '$1\n') + '\n'
    const spec = parseCreateCluster(body(cfg({ configText: wrapped })))
    expect(spec.config.configText).toBe(long)
  })

  it('gives redisInfo db ids the defaults 0 and 1', () => {
    const spec = parseCreateCluster(body({ clusterType: 'dataflow', redisInfo: { objectId: 'r-1' } }))
    expect(spec.redisInfo).toEqual({ objectId: 'r-1', dbIdSupersetCelery: 0, dbIdSupersetResults: 1 })
    const spec2 = parseCreateCluster(
      body({
        clusterType: 'dataflow',
        redisInfo: { objectId: 'r-1', dbIdSupersetCelery: 15, dbIdSupersetResults: 0 },
      }),
    )
    expect(spec2.redisInfo).toEqual({ objectId: 'r-1', dbIdSupersetCelery: 15, dbIdSupersetResults: 0 })
  })

  it('keeps adminInfo.userId and the Base64 password for the provider only', () => {
    const spec = parseCreateCluster(body({ adminInfo: { userId: 'admin', userPw: b64('pw') } }))
    expect(spec.adminInfo).toEqual({ userId: 'admin', userPw: b64('pw') })
  })
})

describe('parseCreateCluster: accepted boundaries', () => {
  it.each([
    ['name of 3', { name: 'abc' }],
    ['name of 20', { name: 'a'.repeat(20) }],
    ['name with digits and inner dashes', { name: 'a1--b2' }],
    ['volumes 50', { masterVolumeSize: 50, workerVolumeSize: 50 }],
    ['volumes 5120', { masterVolumeSize: 5120, workerVolumeSize: 5120 }],
    ['workerCnt 1 with replication 1', { workerCnt: 1, config: { hdfsReplication: 1, hdfsBlockSize: 1 } }],
    ['workerCnt 1000', { workerCnt: 1000 }],
    ['replication 500', { workerCnt: 500, config: { hdfsReplication: 500, hdfsBlockSize: 1024 } }],
    ['replication == workerCnt', { workerCnt: 3, config: { hdfsReplication: 3, hdfsBlockSize: 128 } }],
    ['securityGroupIds instead of a name', { securityGroupName: undefined, securityGroupIds: ['sg-1'] }],
    ['configText', cfg({ configText: CONFIG_TEXT })],
    ['configText of an empty configurations list', cfg({ configText: b64('{"configurations":[]}') })],
    [
      'userScript + configFileUrl',
      cfg({ userScript: b64('#!/bin/sh'), configFileUrl: 'http://x.example/c' }),
    ],
    [
      'config.fileUrl and configFileUrl naming the same URL',
      cfg({ fileUrl: 'https://a/b', configFileUrl: 'https://a/b' }),
    ],
    ['userScriptFileUrl', cfg({ userScriptFileUrl: 'https://a/b.sh' })],
    [
      'hive task with a query',
      { userTask: { type: 'hive', terminationPolicy: 'always', hiveQuery: 'select 1' } },
    ],
    [
      'hive task with a file',
      { userTask: { type: 'hive', terminationPolicy: 'onSuccess', fileUrl: 'https://a/q.sql' } },
    ],
    [
      'hive task on trino',
      { clusterType: 'trino', userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'q' } },
    ],
    [
      'spark task on hadoop',
      {
        userTask: {
          type: 'spark',
          terminationPolicy: 'never',
          fileUrl: 'https://a/x.jar',
          deployMode: 'client',
        },
      },
    ],
    [
      'hiveDbInfo on trino',
      { clusterType: 'trino', hiveDbInfo: { objectId: 'o', dbName: 'd', userId: 'u', userPw: b64('p') } },
    ],
    ['dataCatalogInfo on hadoop', { dataCatalogInfo: { catalogId: 'c' } }],
    ['redisInfo on dataflow', { clusterType: 'dataflow', redisInfo: { objectId: 'r' } }],
    ['every cluster version', { clusterVersion: 'hde-1.1.2' }],
    ['hbase', { clusterType: 'hbase' }],
  ])('%s', (_label, over) => {
    expect(problems(body(over))).toEqual([])
  })

  it('accepts every catalogue flavor', () => {
    expect(FLAVORS.size).toBe(24)
    for (const name of FLAVORS.keys())
      expect(problems(body({ masterFlavorName: name, workerFlavorName: name }))).toEqual([])
  })

  it('accepts every cluster type and version', () => {
    for (const clusterType of ['hadoop', 'hbase', 'trino', 'dataflow'])
      for (const clusterVersion of ['hde-1.1.2', 'hde-2.0.1', 'hde-2.1.0', 'hde-2.2.0'])
        expect(problems(body({ clusterType, clusterVersion }))).toEqual([])
  })
})

describe('parseCreateCluster: refusals', () => {
  it('refuses a body that is not an object', () => {
    for (const b of [null, [], 'x', 3]) expect(problems(b)).toEqual([{ field: '', code: 'INVALID_TYPE' }])
  })

  it('lists every missing required field at once', () => {
    expect(problems({})).toEqual(
      [
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
        'securityGroupIds',
        'config',
      ].map((field) => ({
        field,
        code: field === 'securityGroupIds' ? 'SECURITY_GROUP_REQUIRED' : 'FIELD_REQUIRED',
      })),
    )
  })

  it('names the first problem in the code and counts the rest in the message', () => {
    try {
      parseCreateCluster(body({ name: 'Bad', workerCnt: 0 }))
      expect.unreachable()
    } catch (e) {
      const err = e as AppError
      expect(err.code).toBe('INVALID_NAME')
      expect(err.status).toBe(400)
      expect(err.message).toMatch(/\(and 1 more\)$/)
    }
  })
})

describe('parseScaleRequest', () => {
  it('returns scaleCnt 1..1000', () => {
    expect(parseScaleRequest({ scaleCnt: 1 })).toBe(1)
    expect(parseScaleRequest({ scaleCnt: 1000, other: 'ignored' })).toBe(1000)
  })
  it.each([
    [undefined, 'FIELD_REQUIRED'],
    [{}, 'FIELD_REQUIRED'],
    [{ scaleCnt: null }, 'FIELD_REQUIRED'],
    [{ scaleCnt: '2' }, 'INVALID_TYPE'],
    [{ scaleCnt: 1.5 }, 'INVALID_TYPE'],
    [{ scaleCnt: 0 }, 'VALUE_OUT_OF_RANGE'],
    [{ scaleCnt: 1001 }, 'VALUE_OUT_OF_RANGE'],
  ])('refuses %j with %s', (b, code) => {
    expect(() => parseScaleRequest(b)).toThrow(expect.objectContaining({ code }))
  })
})
