import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.js'

describe('Object Storage settings (DESIGN section 8)', () => {
  it('defaults to file:<data dir>/objects and 5 GiB objects', () => {
    expect(loadConfig({}).objectStore).toEqual({ kind: 'file', dir: join('data', 'objects') })
    expect(loadConfig({ HADOOP_ECO_DATABASE_URL: 'sqlite:/var/lib/he/db.sqlite' }).objectStore).toEqual({
      kind: 'file',
      dir: '/var/lib/he/objects',
    })
    expect(loadConfig({ HADOOP_ECO_DATA_DIR: '/srv/he' }).objectStore).toEqual({
      kind: 'file',
      dir: '/srv/he/objects',
    })
    expect(loadConfig({}).objectMaxBytes).toBe(5 * 1024 ** 3)
  })

  it('takes file:<dir>, or s3 with KakaoCloud’s endpoint for the region unless one is given', () => {
    expect(loadConfig({ HADOOP_ECO_OBJECT_STORE: 'file:/mnt/objects' }).objectStore).toEqual({
      kind: 'file',
      dir: '/mnt/objects',
    })
    expect(loadConfig({ HADOOP_ECO_OBJECT_STORE: 's3' }).objectStore).toEqual({
      kind: 's3',
      endpoint: 'https://objectstorage.kr-central-2.kakaocloud.com',
      region: 'kr-central-2',
    })
    expect(
      loadConfig({
        HADOOP_ECO_OBJECT_STORE: 's3',
        HADOOP_ECO_S3_ENDPOINT: 'http://127.0.0.1:9000',
        HADOOP_ECO_S3_REGION: 'us-east-1',
        HADOOP_ECO_OBJECT_MAX_BYTES: '1048576',
      }),
    ).toMatchObject({
      objectStore: { kind: 's3', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1' },
      objectMaxBytes: 1048576,
    })
  })

  it('lists every bad object setting in one error', () => {
    let message = ''
    try {
      loadConfig({
        HADOOP_ECO_OBJECT_STORE: 'minio',
        HADOOP_ECO_S3_ENDPOINT: 'objectstorage.example.com',
        HADOOP_ECO_S3_REGION: 'KR Central',
        HADOOP_ECO_OBJECT_MAX_BYTES: '5GiB',
      })
    } catch (e) {
      message = (e as Error).message
    }
    for (const key of [
      'HADOOP_ECO_OBJECT_STORE="minio"',
      'HADOOP_ECO_S3_ENDPOINT="objectstorage.example.com"',
      'HADOOP_ECO_S3_REGION="KR Central"',
      'HADOOP_ECO_OBJECT_MAX_BYTES="5GiB"',
    ])
      expect(message).toContain(key)
    expect(() => loadConfig({ HADOOP_ECO_OBJECT_STORE: 'file:' })).toThrow(/expected file:<dir> or s3/)
    expect(() => loadConfig({ HADOOP_ECO_OBJECT_MAX_BYTES: '0' })).toThrow(/HADOOP_ECO_OBJECT_MAX_BYTES/)
  })
})

describe('web console settings (DESIGN section 13)', () => {
  it('ends a web console session after 8 idle hours unless HADOOP_ECO_SESSION_IDLE_MS says otherwise', () => {
    expect(loadConfig({}).sessionIdleMs).toBe(28_800_000)
    expect(loadConfig({ HADOOP_ECO_SESSION_IDLE_MS: '60000' }).sessionIdleMs).toBe(60_000)
    for (const bad of ['0', '999', '1500.5', 'eight hours', String(31 * 86_400_000)])
      expect(() => loadConfig({ HADOOP_ECO_SESSION_IDLE_MS: bad }), bad).toThrow(
        /HADOOP_ECO_SESSION_IDLE_MS=".*": expected an integer in 1000\.\.2592000000/,
      )
  })

  it("serves the console from the package's dist/web unless HADOOP_ECO_CONSOLE_DIR names another folder", () => {
    expect(loadConfig({}).consoleDir).toBe(fileURLToPath(new URL('../dist/web', import.meta.url)))
    expect(loadConfig({ HADOOP_ECO_CONSOLE_DIR: '/srv/console' }).consoleDir).toBe('/srv/console')
  })
})

describe('provider settings (DESIGN section 12)', () => {
  it('defaults to the simulator, and the Kubernetes settings to their documented values', () => {
    const c = loadConfig({})
    expect(c.provider).toBe('simulator')
    expect(c.kubernetes).toEqual({
      namespace: 'hadoop-eco',
      resourceScale: 1,
      pollMs: 2000,
      storageClassName: undefined,
      clusterDomain: 'cluster.local',
      images: {
        hadoop: 'apache/hadoop:3.3.6',
        hive: 'apache/hive:3.1.3',
        spark: 'apache/spark:3.5.1',
        zookeeper: 'zookeeper:3.8.4',
      },
    })
  })

  it('reads HADOOP_ECO_PROVIDER (or --provider) and every HADOOP_ECO_K8S_* setting', () => {
    const c = loadConfig({
      HADOOP_ECO_PROVIDER: 'kubernetes',
      HADOOP_ECO_K8S_NAMESPACE: 'data-team',
      HADOOP_ECO_K8S_RESOURCE_SCALE: '0.05',
      HADOOP_ECO_K8S_POLL_MS: '500',
      HADOOP_ECO_K8S_STORAGE_CLASS: 'local-path',
      HADOOP_ECO_K8S_CLUSTER_DOMAIN: 'k8s.example',
      HADOOP_ECO_K8S_IMAGE_HADOOP: 'registry.local/hadoop:3.3.6',
      HADOOP_ECO_K8S_IMAGE_HIVE: 'registry.local/hive:3.1.3',
      HADOOP_ECO_K8S_IMAGE_SPARK: 'registry.local/spark:3.5.1',
      HADOOP_ECO_K8S_IMAGE_ZOOKEEPER: 'registry.local/zookeeper:3.8.4',
    })
    expect(c.provider).toBe('kubernetes')
    expect(c.kubernetes).toEqual({
      namespace: 'data-team',
      resourceScale: 0.05,
      pollMs: 500,
      storageClassName: 'local-path',
      clusterDomain: 'k8s.example',
      images: {
        hadoop: 'registry.local/hadoop:3.3.6',
        hive: 'registry.local/hive:3.1.3',
        spark: 'registry.local/spark:3.5.1',
        zookeeper: 'registry.local/zookeeper:3.8.4',
      },
    })
    expect(loadConfig({}, { provider: 'kubernetes' }).provider).toBe('kubernetes')
  })

  it('names every bad provider setting at once', () => {
    expect(() =>
      loadConfig({
        HADOOP_ECO_PROVIDER: 'openstack',
        HADOOP_ECO_K8S_NAMESPACE: 'Not_A_Namespace',
        HADOOP_ECO_K8S_RESOURCE_SCALE: '0',
        HADOOP_ECO_K8S_IMAGE_HIVE: 'apache/hive 3',
      }),
    ).toThrow(
      /HADOOP_ECO_K8S_RESOURCE_SCALE="0"[\s\S]*HADOOP_ECO_PROVIDER="openstack": expected simulator or kubernetes[\s\S]*HADOOP_ECO_K8S_NAMESPACE="Not_A_Namespace"[\s\S]*HADOOP_ECO_K8S_IMAGE_HIVE="apache\/hive 3"/,
    )
  })
})
