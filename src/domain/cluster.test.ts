import { describe, expect, it } from 'vitest'
import { FLAVORS } from './catalog.js'
import {
  elapsedTime,
  isScalable,
  toCluster,
  toSummary,
  totalVmUptime,
  type ClusterRecord,
} from './cluster.js'
import { parseCreateCluster } from './cluster-spec.js'
import { validBody } from '../../test/fixtures/valid-body.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const T0 = Date.UTC(2026, 0, 1)

const record = (over: Partial<ClusterRecord> = {}, specOver: Record<string, unknown> = {}): ClusterRecord => {
  const spec = parseCreateCluster(
    validBody({
      name: 'view-test',
      workerFlavorName: 'r2a.2xlarge',
      adminInfo: { userId: 'admin', userPw: b64('admin-secret-pw') },
      hiveDbInfo: { objectId: 'obj-1', dbName: 'meta', userId: 'mysql', userPw: b64('mysql-secret-pw') },
      ...specOver,
    }),
  )

  return {
    seq: 1,
    id: '11111111-2222-3333-4444-555555555555',
    project: 'p',
    name: spec.name,
    owner: 'owner-1',
    status: 'Initializing',
    terminalStatus: null,
    clusterType: spec.clusterType,
    clusterVersion: spec.clusterVersion,
    apiKeyStatus: 'impossible',
    masterCnt: 1,
    workerCnt: 3,
    targetWorkerCnt: 3,
    hdfsReplication: 3,
    createdAt: T0,
    runningAt: null,
    terminatedAt: null,
    updatedAt: T0,
    spec,
    info: { securityGroupIds: ['sg-1'] },
    vmUptimeClosed: 0,
    vmLiveCount: 0,
    vmLiveCreatedSum: 0,
    nextMasterIndex: 1,
    nextWorkerIndex: 1,
    ...over,
  }
}

describe('computed times', () => {
  it('elapsedTime is 0 before Running, grows with now, and stops at termination', () => {
    expect(elapsedTime({ runningAt: null, terminatedAt: null }, T0 + 5000)).toBe(0)
    expect(elapsedTime({ runningAt: T0, terminatedAt: null }, T0 + 5000)).toBe(5000)
    expect(elapsedTime({ runningAt: T0, terminatedAt: null }, T0 + 9000)).toBe(9000)
    expect(elapsedTime({ runningAt: T0, terminatedAt: T0 + 3000 }, T0 + 9000)).toBe(3000)
  })

  it('totalVmUptime sums closed uptime and (now - createdAt) of each live VM', () => {
    // two live VMs created at T0 and T0+1000, one gone VM that lived 4000 ms
    const c = { vmUptimeClosed: 4000, vmLiveCount: 2, vmLiveCreatedSum: 2 * T0 + 1000 }
    expect(totalVmUptime(c, T0 + 10_000)).toBe(4000 + 10_000 + 9000)
    expect(totalVmUptime(c, T0 + 20_000)).toBe(4000 + 20_000 + 19_000)
  })
})

describe('toCluster', () => {
  it('never carries a password', () => {
    const text = JSON.stringify(toCluster(record(), T0))
    for (const secret of ['admin-secret-pw', 'mysql-secret-pw'])
      for (const form of [secret, b64(secret)]) expect(text).not.toContain(form)
    expect(text).not.toContain('userPw')
  })

  it('shows adminInfo.userId only, flavor ids from the catalogue, and no UI URLs before Running', () => {
    const v = toCluster(record(), T0)
    expect(v.adminInfo).toEqual({ userId: 'admin' })
    expect(v.masterInfo).toEqual([
      { flavorId: FLAVORS.get('m2a.xlarge')!.id, flavorName: 'm2a.xlarge', volumeSize: 50 },
    ])
    expect(v.workerInfo).toEqual([
      { flavorId: FLAVORS.get('r2a.2xlarge')!.id, flavorName: 'r2a.2xlarge', volumeSize: 100 },
    ])
    expect(v).not.toHaveProperty('nameNodeUrl')
    expect(v).not.toHaveProperty('runningAt')
    expect(v.elapsedTime).toBe(0)
  })

  it('shows the UI URLs of the type once Running', () => {
    const running = record({
      status: 'Running',
      runningAt: T0,
      info: { securityGroupIds: [], masterIp: '10.1.2.3' },
    })
    expect(toCluster(running, T0)).toMatchObject({
      nameNodeUrl: 'http://10.1.2.3:9870',
      resourceManagerUrl: 'http://10.1.2.3:8088',
      hueUrl: 'http://10.1.2.3:8888',
    })
    const v = toCluster({ ...running, clusterType: 'dataflow', clusterVersion: 'hde-1.1.2' }, T0)
    expect(v).toMatchObject({
      nameNodeUrl: 'http://10.1.2.3:50070',
      druidUrl: 'http://10.1.2.3:3008',
      supersetUrl: 'http://10.1.2.3:4000',
    })
    expect(v).not.toHaveProperty('hueUrl')
  })

  it('a terminated cluster is not scalable and hides its UI URLs', () => {
    const dead = record({
      status: 'Terminated(User)',
      runningAt: T0,
      terminatedAt: T0 + 10,
      info: { securityGroupIds: [], masterIp: '10.1.2.3' },
    })
    expect(isScalable(dead)).toBe(false)
    expect(toCluster(dead, T0 + 1000)).not.toHaveProperty('nameNodeUrl')
    expect(toSummary(dead, T0 + 1000)).toMatchObject({ isScalable: false, elapsedTime: 10, runningAt: T0 })
  })

  it('a job cluster that its task ends is not scalable', () => {
    const job = record(
      { status: 'Running' },
      {
        userTask: { type: 'hive', terminationPolicy: 'onSuccess', hiveQuery: 'q' },
      },
    )
    expect(isScalable(job)).toBe(false)
    expect(isScalable(record({ status: 'Running' }))).toBe(true)
  })
})
