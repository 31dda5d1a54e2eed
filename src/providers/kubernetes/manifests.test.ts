import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { validateObject } from '../../../test/fixtures/kubernetes-schemas.js'
import { validBody } from '../../../test/fixtures/valid-body.js'
import { FLAVORS } from '../../domain/catalog.js'
import type { ClusterRecord } from '../../domain/cluster.js'
import { parseCreateCluster } from '../../domain/cluster-spec.js'
import { initialVms, planDecommission, planInstall, planTask, planVm, vmRef } from '../../domain/plans.js'
import { hostnameOf, renderClusterConfigs, type RenderedFile } from '../../domain/render-config.js'
import { TerminalProviderError } from '../provider.js'
import {
  LABEL_CLUSTER,
  LABEL_INDEX,
  LABEL_ROLE,
  checkSupported,
  clusterManifests,
  containerResources,
  decommissionManifests,
  manifestSettings,
  ownerConfigMap,
  ownerName,
  taskManifests,
  type ClusterInput,
  type ClusterSecrets,
  type ManifestSettings,
  type Owner,
} from './manifests.js'
import { dnsLabel, labelValue } from './names.js'
import type { KubeObject } from './kube-api.js'
import type { ConfigMap, Container, Job, Manifest, Pod, PodSpec, Secret, Volume } from './types.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const ID = '3f0c2a1e-5b7d-4c9a-8e21-7a6b5c4d3e2f'
const METASTORE_PW = 'hive-Secret-pw-9413'
const ADMIN_PW = 'admin-Secret-pw-2207'
const SCRIPT = '#!/bin/bash\necho "token=script-token-5521" > /data/setup\n'

const record = (over: Record<string, unknown> = {}): ClusterRecord => {
  const spec = parseCreateCluster(validBody({ name: 'kube', ...over }))
  return {
    seq: 1,
    id: ID,
    project: 'p',
    name: spec.name,
    owner: 'o',
    status: 'Creating',
    terminalStatus: null,
    clusterType: spec.clusterType,
    clusterVersion: spec.clusterVersion,
    apiKeyStatus: 'impossible',
    masterCnt: spec.isHa ? 3 : 1,
    workerCnt: spec.workerCnt,
    targetWorkerCnt: spec.workerCnt,
    hdfsReplication: spec.config.hdfsReplication,
    createdAt: 0,
    runningAt: null,
    terminatedAt: null,
    updatedAt: 0,
    spec,
    info: { securityGroupIds: [] },
    vmUptimeClosed: 0,
    vmLiveCount: 0,
    vmLiveCreatedSum: 0,
    nextMasterIndex: 1,
    nextWorkerIndex: 1,
  }
}

const OWNER: Owner = { name: ownerName(ID), uid: '0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a' }

const settings = (over: Partial<ManifestSettings> = {}) =>
  manifestSettings({ namespace: 'big-data', ...over })

/** The whole chain the provider will run: plans and renders from a record, then the objects. */
const clusterInput = (c: ClusterRecord, secrets: ClusterSecrets): ClusterInput => {
  const vms = initialVms(c)
  const masters = vms.filter((v) => v.role === 'master')
  const install = planInstall(c, vms, masters, 'create', `${c.id}/install`)
  const configs = renderClusterConfigs(c, install.classifications)
  return { install, vms: vms.map((v) => planVm(c, v, 'create')), configs, secrets, owner: OWNER }
}

const nonHa = record({
  hiveDbInfo: { objectId: 'mysql-1', dbName: 'metastore', userId: 'hive', userPw: b64(METASTORE_PW) },
  adminInfo: { userId: 'admin', userPw: b64(ADMIN_PW) },
  config: {
    hdfsReplication: 2,
    hdfsBlockSize: 128,
    userScript: b64(SCRIPT),
    configText: b64(
      JSON.stringify({
        configurations: [
          { classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } },
          { classification: 'user-env:alice', properties: { env: 'export ALICE=1' } },
        ],
      }),
    ),
  },
  workerCnt: 2,
})
const nonHaSecrets: ClusterSecrets = {
  metastorePassword: METASTORE_PW,
  adminPassword: ADMIN_PW,
  userScript: SCRIPT,
}
const ha = record({
  isHa: true,
  workerCnt: 3,
  masterFlavorName: 'r2a.2xlarge',
  workerFlavorName: 'c2a.4xlarge',
  dataCatalogInfo: { catalogId: 'cat-1' },
})

const s = settings()
const nonHaObjects = clusterManifests(clusterInput(nonHa, nonHaSecrets), s)
const haObjects = clusterManifests(clusterInput(ha, {}), settings({ resourceScale: 0.05 }))

const masterFiles = (c: ClusterRecord) => renderClusterConfigs(c, []).master
const hiveTask = (c: ClusterRecord, query = 'SELECT 1; DROP TABLE x') =>
  taskManifests(
    planTask(record({ userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: query } }), 'run-1')!,
    {
      masters: initialVms(c).filter((v) => v.role === 'master'),
      masterConfigs: masterFiles(c),
      owner: OWNER,
    },
    s,
  )
const hiveFileTask = () =>
  taskManifests(
    planTask(
      record({
        userTask: {
          type: 'hive',
          terminationPolicy: 'never',
          fileUrl: 'https://os.example/v1/p/b/q/daily report.hql',
        },
      }),
      'run-2',
    )!,
    {
      masters: [vmRef('kube', 'master', 1)],
      masterConfigs: masterFiles(nonHa),
      file: { name: 'daily report.hql', content: Buffer.from('SELECT count(*) FROM t;\n') },
      owner: OWNER,
    },
    s,
  )
const sparkPlan = () =>
  planTask(
    record({
      userTask: {
        type: 'spark',
        terminationPolicy: 'onSuccess',
        fileUrl: 'https://os.example/v1/p/jobs/etl.jar',
        deployMode: 'cluster',
        execOpts: '--class com.example.Etl --conf spark.x=$(touch /tmp/pwned);',
        execParams: 'in out *',
      },
    }),
    'run-3',
  )!
const sparkTask = (content: Uint8Array = Buffer.from('PK\u0003\u0004 jar bytes')) =>
  taskManifests(
    sparkPlan(),
    {
      masters: [vmRef('kube', 'master', 1)],
      masterConfigs: masterFiles(nonHa),
      file: { name: 'etl.jar', content },
      owner: OWNER,
    },
    s,
  )
const decommission = () =>
  decommissionManifests(
    planDecommission(nonHa, [vmRef('kube', 'worker', 2), vmRef('kube', 'worker', 1)]),
    masterFiles(nonHa),
    OWNER,
    s,
  )

const everything = (): { name: string; objects: Manifest[] }[] => [
  { name: 'owner', objects: [ownerConfigMap({ clusterId: ID, clusterName: 'kube' }, s)] },
  { name: 'non-HA cluster (MySQL metastore, user script, admin)', objects: nonHaObjects },
  { name: 'HA cluster (data catalog, scale 0.05)', objects: haObjects },
  { name: 'hive task (query)', objects: hiveTask(nonHa) },
  { name: 'hive task (file)', objects: hiveFileTask() },
  { name: 'spark task', objects: sparkTask() },
  { name: 'decommission of two workers', objects: decommission() },
]

const pods = (objects: Manifest[]) => objects.filter((o): o is Pod => o.kind === 'Pod')
const podNamed = (objects: Manifest[], name: string) => {
  const p = pods(objects).find((o) => o.metadata.name === name)
  if (!p) throw new Error(`no pod ${name}`)
  return p
}
const jobOf = (objects: Manifest[]) => objects.find((o): o is Job => o.kind === 'Job')!
const scriptOf = (c: Container) => c.command[2]!

/** Which file (path) each container sees, with its content, following volumes and items. */
const filesSeen = (spec: PodSpec, c: Container, configMaps: Map<string, ConfigMap>): Map<string, string> => {
  const seen = new Map<string, string>()
  for (const m of c.volumeMounts) {
    const v = spec.volumes.find((x) => x.name === m.name) as Volume
    const sources =
      'configMap' in v ? [v.configMap] : 'projected' in v ? v.projected.sources.map((x) => x.configMap) : []
    for (const src of sources) {
      const cm = configMaps.get(src.name)
      if (!cm) continue
      const items =
        'items' in src && src.items ? src.items : Object.keys(cm.data ?? {}).map((k) => ({ key: k, path: k }))
      for (const it of items) {
        const content = cm.data?.[it.key]
        if (content === undefined) throw new Error(`${src.name} has no key ${it.key}`)
        if (m.subPath !== undefined) {
          if (m.subPath === it.path) seen.set(m.mountPath, content)
        } else seen.set(posix.join(m.mountPath, it.path), content)
      }
    }
  }
  return seen
}

describe('kubernetes manifests: schemas', () => {
  it('every object the builders produce validates against the Kubernetes schemas', () => {
    const counts: Record<string, number> = {}
    for (const { name, objects } of everything()) {
      expect(objects.length, name).toBeGreaterThan(0)
      for (const o of objects) {
        const kind = validateObject(o)
        counts[kind] = (counts[kind] ?? 0) + 1
      }
    }
    // Owner, 2 + 2 role ConfigMaps, 2 task files, the exclude; 1 + 3 masters and 2 + 3 workers;
    // a Job per task and decommission.
    expect(counts).toEqual({ ConfigMap: 8, Service: 2, Secret: 2, PersistentVolumeClaim: 9, Pod: 9, Job: 4 })
  })

  it('every object goes to KubeApi.apply as it is (checked by the compiler: npm run typecheck)', () => {
    const apply = <T extends KubeObject>(o: T): T => o
    for (const { objects } of everything()) for (const o of objects) expect(apply(o)).toBe(o)
  })

  it('the validation refuses what the API server would (so a pass means something)', () => {
    const pod = structuredClone(podNamed(nonHaObjects, 'hadoopwrk-kube-1'))
    ;(pod.spec.containers[0]!.ports![0]! as { containerPort: unknown }).containerPort = '9864'
    expect(() => validateObject(pod)).toThrow(/containerPort/)
    const badName = structuredClone(podNamed(nonHaObjects, 'hadoopwrk-kube-1'))
    badName.metadata.name = 'HadoopWRK-kube-1'
    expect(() => validateObject(badName)).toThrow(/name is not valid/)
    const badQuantity = structuredClone(podNamed(nonHaObjects, 'hadoopwrk-kube-1'))
    badQuantity.spec.containers[0]!.resources.requests.cpu = 'two cores'
    expect(() => validateObject(badQuantity)).toThrow(/cpu/)
    const badLabel = structuredClone(podNamed(nonHaObjects, 'hadoopwrk-kube-1'))
    badLabel.metadata.labels[LABEL_INDEX] = '-1-'
    expect(() => validateObject(badLabel)).toThrow(/label/)
  })
})

describe('kubernetes manifests: ownership, labels, names', () => {
  it('every object but the owner carries the cluster label, the namespace and one owner reference', () => {
    const owner = ownerConfigMap({ clusterId: ID, clusterName: 'kube' }, s)
    expect(owner.metadata).toMatchObject({
      name: OWNER.name,
      namespace: 'big-data',
      labels: { [LABEL_CLUSTER]: ID },
    })
    expect(owner.metadata.ownerReferences).toBeUndefined()
    for (const { name, objects } of everything().slice(1))
      for (const o of objects) {
        const where = `${name}: ${o.kind} ${o.metadata.name}`
        expect(o.metadata.namespace, where).toBe('big-data')
        expect(o.metadata.labels[LABEL_CLUSTER], where).toBe(ID)
        expect(o.metadata.ownerReferences, where).toEqual([
          { apiVersion: 'v1', kind: 'ConfigMap', name: OWNER.name, uid: OWNER.uid, controller: true },
        ])
        if (o.kind === 'Job') expect(o.spec.template.metadata.labels[LABEL_CLUSTER], where).toBe(ID)
      }
  })

  it('names are lower-case DNS labels of at most 63 characters; Pods are named after their VM', () => {
    for (const { objects } of everything())
      for (const o of objects) {
        expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
        expect(o.metadata.name.length).toBeLessThanOrEqual(63)
      }
    expect(pods(nonHaObjects).map((p) => p.metadata.name)).toEqual([
      'hadoopmst-kube-1',
      'hadoopwrk-kube-1',
      'hadoopwrk-kube-2',
    ])
    for (const p of pods(haObjects)) {
      const vm = initialVms(ha).find((v) => hostnameOf(v.name) === p.metadata.name)!
      expect(p.metadata.labels).toMatchObject({ [LABEL_ROLE]: vm.role, [LABEL_INDEX]: String(vm.index) })
      expect(p.spec.hostname).toBe(p.metadata.name)
      expect(p.spec.subdomain).toBe(haObjects.find((o) => o.kind === 'Service')!.metadata.name)
      // Short names (what the renders use) resolve through the headless Service's domain.
      expect(p.spec.dnsConfig?.searches).toEqual([`${p.spec.subdomain}.big-data.svc.cluster.local`])
    }
    const svc = haObjects.find((o) => o.kind === 'Service')!
    expect(svc.kind === 'Service' && svc.spec).toMatchObject({
      clusterIP: 'None',
      publishNotReadyAddresses: true,
    })
  })

  it('long ids and names stay within 63 characters and stay distinct', () => {
    const a = dnsLabel(['hde', 'x'.repeat(80) + 'a'], 47)
    const b = dnsLabel(['hde', 'x'.repeat(80) + 'b'], 47)
    expect(a.length).toBeLessThanOrEqual(47)
    expect(a).not.toBe(b)
    expect(dnsLabel(['Hde', 'A_B'])).toBe('hde-a-b')
    expect(dnsLabel(['9lives'])).toMatch(/^[a-z]/)
    expect(labelValue('run 1/2')).toBe('run-1-2')
    expect(labelValue('y'.repeat(100))).toHaveLength(63)
    expect(labelValue('y'.repeat(100))).not.toBe(labelValue('y'.repeat(99)))
  })

  it('the PVC of each VM has its volume size and is mounted at /data', () => {
    const claims = nonHaObjects.filter((o) => o.kind === 'PersistentVolumeClaim')
    expect(
      claims.map((c) => [
        c.metadata.name,
        c.kind === 'PersistentVolumeClaim' && c.spec.resources.requests.storage,
      ]),
    ).toEqual([
      ['hadoopmst-kube-1-data', '50Gi'],
      ['hadoopwrk-kube-1-data', '100Gi'],
      ['hadoopwrk-kube-2-data', '100Gi'],
    ])
    for (const p of pods(nonHaObjects)) {
      const claim = p.spec.volumes.find((v) => v.name === 'data')
      expect(claim).toEqual({ name: 'data', persistentVolumeClaim: { claimName: `${p.metadata.name}-data` } })
      for (const c of p.spec.containers)
        expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' })
    }
    const withClass = clusterManifests(
      clusterInput(nonHa, nonHaSecrets),
      settings({ storageClassName: 'fast' }),
    )
    expect(withClass.find((o) => o.kind === 'PersistentVolumeClaim')).toMatchObject({
      spec: { storageClassName: 'fast' },
    })
  })
})

describe('kubernetes manifests: daemons and resources', () => {
  const ports = (p: Pod) =>
    Object.fromEntries(
      p.spec.containers.map((c) => [
        c.name,
        c.readinessProbe?.httpGet
          ? `http ${c.readinessProbe.httpGet.port}`
          : c.readinessProbe?.tcpSocket
            ? `tcp ${c.readinessProbe.tcpSocket.port}`
            : 'none',
      ]),
    )

  it('probes every daemon: NameNode, ResourceManager, HiveServer2 and metastore on the master, DataNode and NodeManager on workers', () => {
    expect(ports(podNamed(nonHaObjects, 'hadoopmst-kube-1'))).toEqual({
      namenode: 'http 9870',
      resourcemanager: 'http 8088',
      'hive-metastore': 'tcp 9083',
      hiveserver2: 'tcp 10000',
    })
    for (const w of ['hadoopwrk-kube-1', 'hadoopwrk-kube-2'])
      expect(ports(podNamed(nonHaObjects, w))).toEqual({ datanode: 'http 9864', nodemanager: 'http 8042' })
  })

  it('with HA every master runs ZooKeeper, a JournalNode, a NameNode with its failover controller and a ResourceManager; Hive only on the first, no metastore with a data catalog', () => {
    const base = {
      zookeeper: 'tcp 2181',
      journalnode: 'tcp 8485',
      namenode: 'http 9870',
      zkfc: 'none',
      resourcemanager: 'http 8088',
    }
    expect(ports(podNamed(haObjects, 'hadoopmst-kube-1'))).toEqual({ ...base, hiveserver2: 'tcp 10000' })
    expect(ports(podNamed(haObjects, 'hadoopmst-kube-2'))).toEqual(base)
    expect(ports(podNamed(haObjects, 'hadoopmst-kube-3'))).toEqual(base)
    // The first master formats; the others copy its namespace.
    expect(
      scriptOf(podNamed(haObjects, 'hadoopmst-kube-1').spec.containers.find((c) => c.name === 'namenode')!),
    ).toMatch(/namenode -format[\s\S]*zkfc -formatZK/)
    expect(
      scriptOf(podNamed(haObjects, 'hadoopmst-kube-2').spec.containers.find((c) => c.name === 'namenode')!),
    ).toMatch(/-bootstrapStandby/)
    const zk = scriptOf(
      podNamed(haObjects, 'hadoopmst-kube-3').spec.containers.find((c) => c.name === 'zookeeper')!,
    )
    expect(zk).toContain('echo 3 > /data/zookeeper/myid')
    expect(zk).toContain('server.1=hadoopmst-kube-1.hde-')
  })

  it('requests are the flavor times the scale, summed over the containers; memory limits the flavor; no CPU limit', () => {
    const sum = (p: Pod, pick: (c: Container) => string | undefined) =>
      p.spec.containers.reduce((n, c) => n + Number.parseInt(pick(c) ?? '0', 10), 0)
    const cases: [Manifest[], ClusterRecord, number][] = [
      [nonHaObjects, nonHa, 1],
      [haObjects, ha, 0.05],
    ]
    for (const [objects, c, scale] of cases)
      for (const p of pods(objects)) {
        const flavor = FLAVORS.get(
          p.metadata.labels[LABEL_ROLE] === 'master' ? c.spec.masterFlavorName : c.spec.workerFlavorName,
        )!
        expect(sum(p, (x) => x.resources.requests.cpu)).toBe(Math.round(flavor.vcpus * 1000 * scale))
        expect(sum(p, (x) => x.resources.requests.memory)).toBe(Math.round(flavor.memoryMiB * scale))
        expect(sum(p, (x) => x.resources.limits?.memory)).toBe(flavor.memoryMiB)
        for (const x of p.spec.containers) {
          expect(x.resources.requests.cpu).toMatch(/^\d+m$/)
          expect(x.resources.requests.memory).toMatch(/^\d+Mi$/)
          expect(x.resources.limits).not.toHaveProperty('cpu')
        }
      }
    // m2a.xlarge: 4 vCPU, 16 GiB; a worker's two daemons share them.
    expect(podNamed(nonHaObjects, 'hadoopwrk-kube-1').spec.containers.map((c) => c.resources)).toEqual([
      { requests: { cpu: '2000m', memory: '8192Mi' }, limits: { memory: '8192Mi' } },
      { requests: { cpu: '2000m', memory: '8192Mi' }, limits: { memory: '8192Mi' } },
    ])
    const odd = containerResources(FLAVORS.get('c2a.large')!, 0.33, 3)
    expect(odd.map((r) => r.requests)).toEqual([
      { cpu: '220m', memory: '451Mi' },
      { cpu: '220m', memory: '451Mi' },
      { cpu: '220m', memory: '450Mi' },
    ])
    expect(() => containerResources(FLAVORS.get('c2a.large')!, 0, 2)).toThrow(TerminalProviderError)
    expect(() => containerResources(FLAVORS.get('c2a.large')!, Number.NaN, 2)).toThrow(TerminalProviderError)
  })

  it('images come from the settings', () => {
    const objects = clusterManifests(
      clusterInput(nonHa, nonHaSecrets),
      settings({
        images: {
          hadoop: 'registry.local/hadoop:3.3.6-x',
          hive: 'registry.local/hive:3',
          spark: 's',
          zookeeper: 'z',
        },
      }),
    )
    const images = new Set(
      pods(objects).flatMap((p) =>
        [...(p.spec.initContainers ?? []), ...p.spec.containers].map((c) => c.image),
      ),
    )
    expect([...images].sort()).toEqual(['registry.local/hadoop:3.3.6-x', 'registry.local/hive:3'])
    expect(new Set(pods(nonHaObjects).flatMap((p) => p.spec.containers.map((c) => c.image)))).toEqual(
      new Set(['apache/hadoop:3.3.6', 'apache/hive:3.1.3']),
    )
  })

  it('every container sees exactly its role`s rendered files, at their paths, with their content', () => {
    const c = clusterInput(nonHa, nonHaSecrets)
    const configMaps = new Map(
      nonHaObjects.filter((o): o is ConfigMap => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]),
    )
    const expectFiles = (files: readonly RenderedFile[]) => new Map(files.map((f) => [f.path, f.content]))
    for (const p of pods(nonHaObjects)) {
      const role = p.metadata.labels[LABEL_ROLE] as 'master' | 'worker'
      for (const container of [...(p.spec.initContainers ?? []), ...p.spec.containers])
        expect(filesSeen(p.spec, container, configMaps), `${p.metadata.name}/${container.name}`).toEqual(
          expectFiles(c.configs[role]),
        )
    }
    // The user's file in /etc/profile.d is mounted alone (the image's other files stay); Hadoop's directory whole.
    const mounts = podNamed(nonHaObjects, 'hadoopmst-kube-1').spec.containers[0]!.volumeMounts
    expect(mounts).toContainEqual({
      name: 'conf-etc-profile-d',
      mountPath: '/etc/profile.d/user-env-alice.sh',
      subPath: 'user-env-alice.sh',
      readOnly: true,
    })
    expect(mounts).toContainEqual({
      name: 'conf-etc-hadoop-conf',
      mountPath: '/etc/hadoop/conf',
      readOnly: true,
    })
    expect(c.configs.master.find((f) => f.path.endsWith('core-site.xml'))!.content).toContain('65536')
  })

  it('the masters also see the exclude file a decommission writes, once it exists', () => {
    const master = podNamed(nonHaObjects, 'hadoopmst-kube-1')
    const vol = master.spec.volumes.find((v) => v.name === 'conf-etc-hadoop-conf')!
    expect('projected' in vol && vol.projected.sources[1]).toEqual({
      configMap: { name: `hde-${ID}-exclude`, optional: true },
    })
    const [exclude] = decommission()
    const configMaps = new Map(
      [...nonHaObjects, exclude]
        .filter((o): o is ConfigMap => o.kind === 'ConfigMap')
        .map((o) => [o.metadata.name, o]),
    )
    const seen = filesSeen(master.spec, master.spec.containers[0]!, configMaps)
    expect(seen.get('/etc/hadoop/conf/dfs.exclude')).toBe(exclude.data!['dfs.exclude'])
    // The rendered hdfs-site names that very path.
    expect(seen.get('/etc/hadoop/conf/hdfs-site.xml')).toContain(
      '<value>/etc/hadoop/conf/dfs.exclude</value>',
    )
  })

  it('runs the user script at node start on every node, from the Secret', () => {
    for (const p of pods(nonHaObjects)) {
      const [init] = p.spec.initContainers ?? []
      expect(init?.name).toBe('user-script')
      expect(init?.command).toEqual(['/bin/bash', '/opt/hadoop-eco/secrets/user-script.sh'])
      expect(p.spec.volumes).toContainEqual({
        name: 'user-script',
        secret: {
          secretName: `hde-${ID}-secrets`,
          items: [{ key: 'user-script.sh', path: 'user-script.sh' }],
          defaultMode: 0o440,
        },
      })
    }
    for (const p of pods(haObjects)) expect(p.spec.initContainers).toBeUndefined()
    expect(() => clusterManifests(clusterInput(nonHa, { metastorePassword: METASTORE_PW }), s)).toThrow(
      /user script/,
    )
  })

  it('every script is valid bash', () => {
    const scripts = everything().flatMap(({ objects }) =>
      objects.flatMap((o) => {
        const spec = o.kind === 'Pod' ? o.spec : o.kind === 'Job' ? o.spec.template.spec : undefined
        return spec
          ? [...(spec.initContainers ?? []), ...spec.containers].filter((c) => c.command[1] === '-c')
          : []
      }),
    )
    expect(scripts.length).toBeGreaterThan(20)
    for (const c of scripts) {
      const r = spawnSync('bash', ['-n'], { input: scriptOf(c), encoding: 'utf8' })
      expect(r.status, `${c.name}: ${r.stderr}`).toBe(0)
    }
  })
  it('every Pod meets the restricted Pod Security Standard (the namespace in deploy/ enforces it)', () => {
    const specs = everything().flatMap(({ objects }) =>
      objects.flatMap((o) => (o.kind === 'Pod' ? [o.spec] : o.kind === 'Job' ? [o.spec.template.spec] : [])),
    )
    expect(specs).toHaveLength(13)
    for (const spec of specs) {
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      })
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0)
      expect(spec.automountServiceAccountToken).toBe(false)
      for (const c of [...(spec.initContainers ?? []), ...spec.containers])
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        })
      const allowed = ['configMap', 'secret', 'emptyDir', 'persistentVolumeClaim', 'projected']
      for (const v of spec.volumes) expect(allowed).toContain(Object.keys(v).find((k) => k !== 'name'))
    }
  })
})

describe('kubernetes manifests: secrets', () => {
  const secretValues = [METASTORE_PW, ADMIN_PW, 'script-token-5521']

  it('passwords and the user script are in the Secret only: never in a ConfigMap, an env literal or a script', () => {
    const secret = nonHaObjects.find((o): o is Secret => o.kind === 'Secret')!
    const decoded = Object.fromEntries(
      Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    )
    expect(decoded).toEqual({
      'metastore-password': METASTORE_PW,
      'admin-password': ADMIN_PW,
      'user-script.sh': SCRIPT,
    })
    for (const { objects } of everything())
      for (const o of objects.filter((x) => x.kind !== 'Secret'))
        for (const v of secretValues)
          expect(JSON.stringify(o), `${o.kind} ${o.metadata.name}`).not.toContain(v)
  })

  it('the metastore reads its password from the Secret by reference', () => {
    const ms = podNamed(nonHaObjects, 'hadoopmst-kube-1').spec.containers.find(
      (c) => c.name === 'hive-metastore',
    )!
    expect(ms.env).toContainEqual({
      name: 'METASTORE_DB_PASSWORD',
      valueFrom: { secretKeyRef: { name: `hde-${ID}-secrets`, key: 'metastore-password' } },
    })
    expect(scriptOf(ms)).toContain('javax.jdo.option.ConnectionPassword="$METASTORE_DB_PASSWORD"')
    // Only the metastore gets it.
    for (const p of pods(nonHaObjects))
      for (const c of p.spec.containers.filter((x) => x.name !== 'hive-metastore'))
        expect(JSON.stringify(c.env)).not.toContain('secretKeyRef')
  })
})

describe('kubernetes manifests: determinism', () => {
  it('the same plan gives the same objects, whatever order the VMs come in', () => {
    const again = clusterManifests(clusterInput(nonHa, nonHaSecrets), s)
    expect(JSON.stringify(again)).toBe(JSON.stringify(nonHaObjects))
    const input = clusterInput(ha, {})
    const shuffled = clusterManifests(
      { ...input, vms: [...input.vms].reverse() },
      settings({ resourceScale: 0.05 }),
    )
    expect(JSON.stringify(shuffled)).toBe(JSON.stringify(haObjects))
    expect(JSON.stringify(decommission())).toBe(JSON.stringify(decommission()))
    expect(JSON.stringify(sparkTask())).toBe(JSON.stringify(sparkTask()))
  })

  it('operations are named by their plan key: another run or another set of nodes is another Job', () => {
    expect(jobOf(hiveTask(nonHa)).metadata.name).not.toBe(jobOf(hiveFileTask()).metadata.name)
    const other = decommissionManifests(
      planDecommission(nonHa, [vmRef('kube', 'worker', 1)]),
      masterFiles(nonHa),
      OWNER,
      s,
    )
    expect(jobOf(other).metadata.name).not.toBe(jobOf(decommission()).metadata.name)
    expect(jobOf(decommission()).metadata.annotations).toEqual({
      'hadoop-eco.io/plan-key': `${ID}/decommission/HadoopWRK-kube-1,HadoopWRK-kube-2`,
    })
  })
})

describe('kubernetes manifests: jobs', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hde-k8s-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  /** Runs a Job's script with fake Hadoop commands on the PATH that log their arguments, one per line. */
  const run = (job: Job, fakes: Record<string, string>, rewrite = (x: string) => x) => {
    const bin = mkdtempSync(join(tmp, 'bin-'))
    for (const [name, body] of Object.entries({ sleep: 'exit 0', ...fakes })) {
      writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`)
      chmodSync(join(bin, name), 0o755)
    }
    const c = job.spec.template.spec.containers[0]!
    const env: Record<string, string> = {
      PATH: `${bin}:/usr/bin:/bin`,
      LOG: join(bin, 'log'),
      STATE: join(bin, 'state'),
    }
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value
    env.POD_IP = '10.1.2.3'
    const r = spawnSync('bash', ['-c', rewrite(scriptOf(c))], { env, encoding: 'utf8', timeout: 10_000 })
    let log = ''
    try {
      log = spawnSync('cat', [env.LOG!], { encoding: 'utf8' }).stdout
    } catch {
      /* no log */
    }
    return { status: r.status, stdout: r.stdout, log }
  }
  const logArgs = 'for a in "$(basename "$0")" "$@"; do echo "[$a]"; done >> "$LOG"'

  it('decommission: writes both exclude files with the leaving workers, refreshes and exits 0 once they report Decommissioned', () => {
    const [exclude, job] = decommission()
    const fqdn = (n: number) => `hadoopwrk-kube-${n}.hde-${ID}.big-data.svc.cluster.local`
    expect(exclude.metadata.name).toBe(`hde-${ID}-exclude`)
    expect(exclude.data).toEqual({
      'dfs.exclude': `${fqdn(1)}\n${fqdn(2)}\n`,
      'yarn.exclude': `${fqdn(1)}\n${fqdn(2)}\n`,
    })
    expect(job.spec.template.spec.restartPolicy).toBe('Never')
    expect(job.spec.activeDeadlineSeconds).toBe(3600)
    // A fake NameNode: worker 1 is done at once, worker 2 after three refreshes; worker 3 stays.
    const hdfs = [
      logArgs,
      'if [ "$1 $2" = "dfsadmin -refreshNodes" ]; then echo x >> "$STATE"; exit 0; fi',
      'n=$(wc -l < "$STATE" 2>/dev/null || echo 0)',
      'if [ "$3" = "-decommissioned" ]; then',
      `  echo "Hostname: ${fqdn(1)}"`,
      `  [ "$n" -ge 3 ] && echo "Hostname: ${fqdn(2)}"`,
      '  exit 0',
      'fi',
      `printf "Hostname: ${fqdn(1)}\\nHostname: ${fqdn(2)}\\nHostname: ${fqdn(3)}\\n"`,
    ].join('\n')
    const r = run(job, { hdfs, yarn: logArgs })
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('waiting for: hadoopwrk-kube-2')
    expect(r.stdout).toContain('decommissioned: hadoopwrk-kube-1 hadoopwrk-kube-2')
    expect(r.log.match(/\[-refreshNodes\]/g)?.length).toBe(6) // three rounds, HDFS and YARN each
  })

  it('decommission: a host the NameNode never knew is not waited for; masters are refused', () => {
    const [, job] = decommission()
    const r = run(job, { hdfs: 'exit 0', yarn: 'exit 0' })
    expect(r.status).toBe(0)
    expect(() =>
      decommissionManifests(
        planDecommission(nonHa, [vmRef('kube', 'master', 1)]),
        masterFiles(nonHa),
        OWNER,
        s,
      ),
    ).toThrow(TerminalProviderError)
  })

  it('hive: beeline -e with the query against the first master`s HiveServer2, the query passed as data', () => {
    const job = jobOf(hiveTask(ha))
    expect(job.spec.backoffLimit).toBe(0)
    expect(job.spec.template.spec.containers[0]!.image).toBe('apache/hive:3.1.3')
    const r = run(job, { beeline: logArgs })
    expect(r.status).toBe(0)
    expect(r.log.split('\n')).toEqual([
      '[beeline]',
      `[-u]`,
      `[jdbc:hive2://hadoopmst-kube-1.hde-${ID}.big-data.svc.cluster.local:10000/default]`,
      '[-n]',
      '[hadoop]',
      '[-e]',
      '[SELECT 1; DROP TABLE x]',
      '',
    ])
  })

  it('hive: beeline -f with the task file from its ConfigMap', () => {
    const objects = hiveFileTask()
    const cm = objects.find((o): o is ConfigMap => o.kind === 'ConfigMap')!
    const job = jobOf(objects)
    expect(cm.metadata.name).toBe(job.metadata.name)
    expect(cm.binaryData).toEqual({ 'daily_report.hql': b64('SELECT count(*) FROM t;\n') })
    expect(job.spec.template.spec.volumes).toContainEqual({
      name: 'task',
      configMap: { name: cm.metadata.name, items: [{ key: 'daily_report.hql', path: 'daily_report.hql' }] },
    })
    const r = run(job, { beeline: logArgs })
    expect(r.log).toContain('[-f]\n[/opt/hadoop-eco/task/daily_report.hql]')
  })

  it('spark: spark-submit --master yarn with the deploy mode; options split into words, never evaluated', () => {
    const job = jobOf(sparkTask())
    expect(job.spec.template.spec.containers[0]!.image).toBe('apache/spark:3.5.1')
    expect(job.spec.template.spec.securityContext.runAsUser).toBe(185)
    const r = run(job, { 'spark-submit': logArgs }, (x) =>
      x.replace('/opt/spark/bin/spark-submit', 'spark-submit'),
    )
    expect(r.status).toBe(0)
    expect(r.log.split('\n').filter(Boolean)).toEqual([
      '[spark-submit]',
      '[--master]',
      '[yarn]',
      '[--deploy-mode]',
      '[cluster]',
      '[--conf]',
      '[spark.driver.host=10.1.2.3]',
      '[--class]',
      '[com.example.Etl]',
      '[--conf]',
      '[spark.x=$(touch]',
      '[/tmp/pwned);]',
      '[/opt/hadoop-eco/task/etl.jar]',
      '[in]',
      '[out]',
      '[*]',
    ])
  })

  it('a task file too large for a ConfigMap is refused, terminally', () => {
    expect(() => sparkTask(new Uint8Array(1_000_001))).toThrow(TerminalProviderError)
  })
})

describe('kubernetes manifests: purity', () => {
  it('the builders import no client library, no I/O and not the API layer', () => {
    const all: string[] = []
    for (const file of ['manifests.ts', 'names.ts', 'types.ts']) {
      const source = readFileSync(join(import.meta.dirname, file), 'utf8')
      const imports = [...source.matchAll(/^import [\s\S]*? from '([^']+)'/gm)].map((m) => m[1])
      for (const i of imports)
        expect(['node:crypto', 'node:path'].includes(i!) || /^\.\.?\//.test(i!), `${file}: ${i}`).toBe(true)
      for (const i of imports) expect(i, file).not.toMatch(/kube-api|client-node|node:fs|node:net|node:http/)
      all.push(...imports.map((i) => `${file}: ${i}`))
    }
    // The parse found them, multi-line imports included.
    expect(all).toContain('manifests.ts: ./types.js')
    expect(all).toContain('manifests.ts: ../../domain/plans.js')
  })
})

describe('kubernetes manifests: what this provider runs', () => {
  it('hadoop on hde-2.x only', () => {
    expect(() => checkSupported('hadoop', 'hde-2.2.0')).not.toThrow()
    expect(() => checkSupported('hbase', 'hde-2.2.0')).toThrow(/CLUSTER_TYPE_NOT_SUPPORTED/)
    expect(() => checkSupported('hadoop', 'hde-1.1.2')).toThrow(/CLUSTER_VERSION_NOT_SUPPORTED/)
    expect(() => clusterManifests(clusterInput(record({ clusterType: 'trino' }), {}), s)).toThrow(
      TerminalProviderError,
    )
  })
})
