import { describe, expect, it } from 'vitest'
import { validBody } from '../../test/fixtures/valid-body.js'
import type { ClusterRecord } from './cluster.js'
import { parseCreateCluster } from './cluster-spec.js'
import { clusterSetup, initialVms, planDecommission, planInstall, planTask, planVm, vmRef } from './plans.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

const record = (specOver: Record<string, unknown> = {}): ClusterRecord => {
  const spec = parseCreateCluster(validBody({ name: 'plan', ...specOver }))
  return {
    seq: 1,
    id: 'c-1',
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
    // As stored: passwords sealed (the plan must carry them as they are, never opened).
    spec: {
      ...spec,
      ...(spec.hiveDbInfo ? { hiveDbInfo: { ...spec.hiveDbInfo, userPw: 'sealed:hive' } } : {}),
      ...(spec.adminInfo ? { adminInfo: { ...spec.adminInfo, userPw: 'sealed:admin' } } : {}),
    },
    info: { securityGroupIds: [] },
    vmUptimeClosed: 0,
    vmLiveCount: 0,
    vmLiveCreatedSum: 0,
    nextMasterIndex: 1,
    nextWorkerIndex: 1,
  }
}

describe('plans', () => {
  it('names the VMs a new cluster boots with: 3 masters with HA, then the workers', () => {
    expect(initialVms(record({ isHa: true, workerCnt: 3 })).map((v) => v.name)).toEqual([
      'HadoopMST-plan-1',
      'HadoopMST-plan-2',
      'HadoopMST-plan-3',
      'HadoopWRK-plan-1',
      'HadoopWRK-plan-2',
      'HadoopWRK-plan-3',
    ])
  })

  it('plans a VM with its flavor size, volume and purpose', () => {
    const c = record({
      masterFlavorName: 'r2a.4xlarge',
      workerFlavorName: 'c2a.large',
      workerVolumeSize: 200,
    })
    expect(planVm(c, vmRef(c.name, 'master', 1), 'create')).toMatchObject({
      name: 'HadoopMST-plan-1',
      role: 'master',
      index: 1,
      flavor: { name: 'r2a.4xlarge', vcpus: 16, memoryMiB: 16 * 8 * 1024 },
      purpose: 'create',
    })
    expect(planVm(c, vmRef(c.name, 'worker', 7), 'scale-out')).toMatchObject({
      flavor: { name: 'c2a.large', vcpus: 2, memoryMiB: 2 * 2 * 1024 },
      volumeSizeGb: 200,
      purpose: 'scale-out',
    })
  })

  it('plans an installation with the classifications, the script and sealed passwords only', () => {
    const configs = {
      configurations: [{ classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } }],
    }
    const c = record({
      adminInfo: { userId: 'admin', userPw: b64('admin-pw') },
      hiveDbInfo: { objectId: 'o', dbName: 'meta', userId: 'u', userPw: b64('hive-pw') },
      config: {
        hdfsReplication: 2,
        hdfsBlockSize: 128,
        configText: b64(JSON.stringify(configs)),
        userScript: b64('echo hi\n'),
      },
    })
    const nodes = initialVms(c)
    const plan = planInstall(c, nodes, nodes.slice(0, 1), 'create', 'c-1/install')
    expect(plan).toMatchObject({
      key: 'c-1/install',
      purpose: 'create',
      hdfs: { replication: 2, blockSizeMb: 128 },
      classifications: configs.configurations,
      userScript: { inline: 'echo hi\n' },
      admin: { userId: 'admin', password: { sealed: 'sealed:admin' } },
      metastore: { kind: 'mysql', dbName: 'meta', userId: 'u', password: { sealed: 'sealed:hive' } },
    })
    expect(JSON.stringify(plan)).not.toMatch(/admin-pw|hive-pw|YWRtaW4tcHc|aGl2ZS1wdw/)
  })

  it('plans a task run with its log location, and a decommission keyed by its nodes', () => {
    const c = record({
      userTask: { type: 'hive', terminationPolicy: 'never', hiveQuery: 'select 1', logBucketName: 'logs' },
    })
    expect(planTask(c, '3')).toEqual({
      key: 'c-1/task/3',
      runId: '3',
      project: 'p',
      clusterId: 'c-1',
      clusterName: 'plan',
      type: 'hive',
      query: 'select 1',
      log: { bucket: 'logs', key: 'HadoopEco/plan/3/task.log' },
      cluster: clusterSetup(c),
    })
    expect(planTask(record(), '1')).toBeUndefined()
    const d = planDecommission(c, [vmRef('plan', 'worker', 5), vmRef('plan', 'worker', 4)])
    expect(d.key).toBe('c-1/decommission/HadoopWRK-plan-4,HadoopWRK-plan-5')
    expect(d.cluster).toEqual(clusterSetup(c))
  })

  it('gives every plan the setup every node is configured from: the masters a run boots with and the render input', () => {
    const c = record({ isHa: true, config: { hdfsReplication: 2, hdfsBlockSize: 64 } })
    const setup = planVm(c, vmRef('plan', 'worker', 7), 'scale-out').cluster
    expect(setup.masters.map((m) => m.name)).toEqual([
      'HadoopMST-plan-1',
      'HadoopMST-plan-2',
      'HadoopMST-plan-3',
    ])
    expect(setup.render).toMatchObject({
      clusterName: 'plan',
      masters: ['HadoopMST-plan-1', 'HadoopMST-plan-2', 'HadoopMST-plan-3'],
      hdfs: { replication: 2, blockSizeMb: 64 },
      classifications: [],
    })
    // An install's setup is the same, with the masters the reconciler recorded.
    const install = planInstall(c, [vmRef('plan', 'worker', 7)], setup.masters, 'scale-out', 'k')
    const { key, purpose, nodes, ...rest } = install
    expect({ key, purpose, nodes: nodes.length }).toEqual({ key: 'k', purpose: 'scale-out', nodes: 1 })
    expect(rest).toEqual(setup)
  })
})
