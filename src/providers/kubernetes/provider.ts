import { Readable } from 'node:stream'
import type { Clock } from '../../clock.js'
import { configFileProblem, MAX_CONFIG_FILE_BYTES, type Configurations } from '../../domain/config-text.js'
import type { ClusterSetup, TaskPlan, VmRef } from '../../domain/plans.js'
import { renderConfigs, type RenderedConfigs } from '../../domain/render-config.js'
import type { VmRole } from '../../domain/vm.js'
import type { ObjectStore } from '../../objects/object-store.js'
import { readObjectBytes } from '../../objects/read-text.js'
import type { ObservedVm, OperationState, Provider, ProviderDeps, TaskState } from '../provider.js'
import type { KubeApi, KubeObject } from './kube-api.js'
import {
  ANNOTATION_VM,
  checkSupported,
  claimName,
  clusterSecret,
  decommissionJobName,
  decommissionManifests,
  headlessService,
  LABEL_CLUSTER,
  LABEL_COMPONENT,
  LABEL_INDEX,
  LABEL_ROLE,
  MAX_TASK_FILE_BYTES,
  ownerConfigMap,
  ownerName,
  podName,
  roleConfigMap,
  shapeOf,
  taskJobName,
  taskManifests,
  vmClaim,
  vmPod,
  type ClusterSecrets,
  type ManifestSettings,
  type Owner,
} from './manifests.js'
import { labelValue } from './names.js'

/**
 * The Kubernetes provider of DESIGN section 12: the port's calls as server-side applies of the
 * objects `manifests.ts` builds, and reads of what the cluster reports. It keeps nothing in
 * memory between calls: every answer comes from the API server, so a restart, a second replica
 * or an object deleted behind its back all look the same to it.
 */

export interface KubernetesProviderDeps extends ProviderDeps {
  kube: KubeApi
  settings: ManifestSettings
  /** Where the cluster's files are read from and its task logs written to (DESIGN section 8). */
  objects: Pick<ObjectStore, 'get' | 'put'>
  clock: Clock
  /** HADOOP_ECO_K8S_POLL_MS: the next look at something under way (not time-scaled). */
  pollMs: number
}

/** The parts of a Pod's status read here. */
interface ContainerStatus {
  name: string
  ready?: boolean
  restartCount?: number
  state?: {
    waiting?: { reason?: string; message?: string }
    terminated?: { exitCode?: number; reason?: string; message?: string }
  }
  lastState?: { terminated?: { exitCode?: number; reason?: string } }
}
interface PodObject extends KubeObject {
  status?: {
    phase?: string
    podIP?: string
    reason?: string
    message?: string
    conditions?: { type: string; status: string }[]
    containerStatuses?: ContainerStatus[]
    initContainerStatuses?: ContainerStatus[]
  }
}
interface JobObject extends KubeObject {
  status?: {
    active?: number
    succeeded?: number
    failed?: number
    conditions?: { type: string; status: string; message?: string }[]
  }
}

/** A container that has failed this often in a row is not coming up by itself. */
export const CRASH_RESTARTS = 5
/** Waiting reasons that no wait will fix: the Pod's spec, not the cluster, is at fault. */
const FATAL_WAITING = new Set(['InvalidImageName', 'CreateContainerConfigError', 'ErrImageNeverPull'])

interface Failure {
  reason: string
  error: string
}

const crashLooping = (statuses: readonly ContainerStatus[] | undefined) =>
  statuses?.find(
    (c) => (c.restartCount ?? 0) >= CRASH_RESTARTS && c.state?.waiting?.reason === 'CrashLoopBackOff',
  )
const fatalWaiting = (statuses: readonly ContainerStatus[] | undefined) =>
  statuses?.find((c) => FATAL_WAITING.has(c.state?.waiting?.reason ?? ''))
const exitOf = (c: ContainerStatus) => c.lastState?.terminated?.exitCode ?? c.state?.terminated?.exitCode
const isReady = (pod: PodObject) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false
const jobCondition = (job: JobObject, type: string) =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True')

export const createKubernetesProvider = ({
  kube,
  settings: s,
  objects,
  clock,
  pollMs,
  openSecret,
}: KubernetesProviderDeps): Provider => {
  const next = () => clock.now() + pollMs
  const clusterLabel = (clusterId: string) => ({ [LABEL_CLUSTER]: labelValue(clusterId) })

  /**
   * The files and secrets every node gets, read now: the config file and a user script given by
   * URL come from Object Storage (a missing or wrong one is the failure the simulator reports at
   * install), the passwords are opened with the server's key.
   */
  const readSetup = async (
    setup: ClusterSetup,
  ): Promise<{ configs: RenderedConfigs; secrets: ClusterSecrets } | { failure: Failure }> => {
    let classifications = setup.render.classifications
    if (setup.configFileUrl !== undefined) {
      const bytes = await readObjectBytes(objects, setup.project, setup.configFileUrl, MAX_CONFIG_FILE_BYTES)
      if (!bytes)
        return {
          failure: { reason: 'CONFIG_FILE_NOT_FOUND', error: `config file ${setup.configFileUrl} not found` },
        }
      const text = bytes.toString('utf8')
      const problem = configFileProblem(text)
      if (problem)
        return {
          failure: {
            reason: 'CONFIG_FILE_INVALID',
            error: `config file ${setup.configFileUrl} is not a configurations document: ${problem}`,
          },
        }
      classifications = (JSON.parse(text) as Configurations).configurations
    }
    const secrets: ClusterSecrets = {}
    if (setup.userScript) {
      if ('inline' in setup.userScript) secrets.userScript = setup.userScript.inline
      else {
        // A script is run, not parsed: its bytes go to the node as they are (at most a Secret's 1 MiB).
        const bytes = await readObjectBytes(objects, setup.project, setup.userScript.url, MAX_TASK_FILE_BYTES)
        if (!bytes)
          return {
            failure: {
              reason: 'USER_SCRIPT_NOT_FOUND',
              error: `user script ${setup.userScript.url} not found`,
            },
          }
        if (bytes.length > MAX_TASK_FILE_BYTES)
          return {
            failure: {
              reason: 'INSTALL_FAILED',
              error: `user script ${setup.userScript.url} is larger than ${MAX_TASK_FILE_BYTES} bytes`,
            },
          }
        secrets.userScript = bytes.toString('utf8')
      }
    }
    try {
      if (setup.metastore?.kind === 'mysql') secrets.metastorePassword = openSecret(setup.metastore.password)
      if (setup.admin?.password) secrets.adminPassword = openSecret(setup.admin.password)
    } catch {
      return {
        failure: {
          reason: 'INSTALL_FAILED',
          error: 'a stored password cannot be opened with this server key',
        },
      }
    }
    const { master, worker } = renderConfigs({ ...setup.render, classifications })
    return { configs: { master, worker }, secrets }
  }

  /** The owner first (its UID is in every other object's ownerReference), read back from the apply. */
  const applyOwner = async (setup: ClusterSetup, signal: AbortSignal): Promise<Owner> => {
    const applied: KubeObject = await kube.apply(ownerConfigMap(setup, s), signal)
    const uid = applied.metadata.uid
    if (!uid) throw new Error(`the API server returned ConfigMap ${ownerName(setup.clusterId)} without a uid`)
    return { name: applied.metadata.name, uid }
  }

  /**
   * The owner as it is, never made: only `createVm` makes a cluster's owner. A late install,
   * decommission or task (a pass that lost its lease, an abandoned call) must not bring back a
   * cluster `releaseCluster` has deleted.
   */
  const ownerOf = async (clusterId: string, signal: AbortSignal): Promise<Owner | undefined> => {
    const found = await kube.get('v1', 'ConfigMap', ownerName(clusterId), signal)
    return found?.metadata.uid && !found.metadata.deletionTimestamp
      ? { name: found.metadata.name, uid: found.metadata.uid }
      : undefined
  }
  const ownerGone = (clusterId: string) =>
    `the cluster's objects are gone (its owner ConfigMap ${ownerName(clusterId)} was deleted)`

  /** The cluster-wide objects the Pods mount: Service, role ConfigMaps, Secret. */
  const applyCluster = async (
    setup: ClusterSetup,
    read: { configs: RenderedConfigs; secrets: ClusterSecrets },
    owner: Owner,
    signal: AbortSignal,
  ): Promise<Owner> => {
    await kube.apply(headlessService(setup.clusterId, owner, s), signal)
    for (const role of ['master', 'worker'] as const)
      await kube.apply(roleConfigMap(setup.clusterId, role, read.configs[role], owner, s), signal)
    await kube.apply(clusterSecret(setup.clusterId, read.secrets, owner, s), signal)
    return owner
  }

  /** DESIGN section 12's mapping of a Pod to a VM. */
  const observed = (pod: PodObject): ObservedVm => {
    const labels = pod.metadata.labels ?? {}
    const ref: VmRef = {
      name: pod.metadata.annotations?.[ANNOTATION_VM] ?? pod.metadata.name,
      role: (labels[LABEL_ROLE] === 'master' ? 'master' : 'worker') satisfies VmRole,
      index: Number(labels[LABEL_INDEX] ?? 0),
    }
    const base = { ...ref, instanceId: pod.metadata.uid ?? '', ip: pod.status?.podIP ?? '' }
    if (pod.metadata.deletionTimestamp) return { ...base, phase: 'terminating', readyAt: next() }
    const phase = pod.status?.phase
    if (phase === 'Failed' || phase === 'Succeeded')
      return {
        ...base,
        phase: 'failed',
        error: `pod ${pod.metadata.name} ended ${phase}${pod.status?.reason ? ` (${pod.status.reason})` : ''}${pod.status?.message ? `: ${pod.status.message}` : ''}`,
      }
    if (phase === 'Running') return { ...base, phase: 'running' }
    const script = crashLooping(pod.status?.initContainerStatuses)
    if (script)
      return {
        ...base,
        phase: 'failed',
        reason: 'INSTALL_FAILED',
        error: `the user script failed on ${ref.name} ${script.restartCount} times (exit code ${exitOf(script) ?? 'unknown'})`,
      }
    const fatal =
      fatalWaiting(pod.status?.initContainerStatuses) ?? fatalWaiting(pod.status?.containerStatuses)
    if (fatal)
      return {
        ...base,
        phase: 'failed',
        error: `container ${fatal.name} of pod ${pod.metadata.name} cannot start: ${fatal.state?.waiting?.reason}${fatal.state?.waiting?.message ? ` (${fatal.state.waiting.message})` : ''}`,
      }
    return { ...base, phase: 'booting', readyAt: next() }
  }

  const gone = ({ name, role, index }: VmRef): ObservedVm => ({
    name,
    role,
    index,
    phase: 'gone',
    instanceId: '',
    ip: '',
  })

  /** A Job's outcome: running, succeeded, or failed with its condition's message. */
  const jobState = (job: JobObject): 'running' | 'succeeded' | { failed: string } => {
    if (jobCondition(job, 'Complete') || (job.status?.succeeded ?? 0) > 0) return 'succeeded'
    const failed = jobCondition(job, 'Failed')
    if (failed) return { failed: failed.message ?? `Job ${job.metadata.name} failed` }
    return 'running'
  }

  /** The pod a Job ran, its log and the exit code of its container. */
  const jobPod = async (name: string, signal: AbortSignal) => {
    const pods = await kube.list<PodObject>('v1', 'Pod', { 'job-name': name }, signal)
    const pod = pods.sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))[0]
    if (!pod) return undefined
    // A pod still Pending (scheduling, pulling its image) has no log yet.
    const log = pod.status?.phase === 'Pending' ? undefined : await kube.podLog(pod.metadata.name, signal)
    const c = pod.status?.containerStatuses?.[0]
    return { log: log ?? '', exitCode: c?.state?.terminated?.exitCode }
  }

  const writeLog = async (plan: TaskPlan, text: string): Promise<Partial<TaskState>> => {
    if (!plan.log) return { log: text }
    await objects.put(plan.project, plan.log.bucket, plan.log.key, Readable.from([text]), {
      contentType: 'text/plain; charset=utf-8',
    })
    return {}
  }

  return {
    async observe(clusterId, signal) {
      const pods = await kube.list<PodObject>(
        'v1',
        'Pod',
        { ...clusterLabel(clusterId), [LABEL_COMPONENT]: 'node' },
        signal,
      )
      return { vms: pods.map(observed) }
    },

    async createVm(plan, signal) {
      checkSupported(plan.clusterType, plan.clusterVersion)
      const existing = await kube.get<PodObject>('v1', 'Pod', podName(plan.name), signal)
      if (existing) {
        const vm = observed(existing)
        const ended = existing.status?.phase === 'Failed' || existing.status?.phase === 'Succeeded'
        if (vm.phase !== 'terminating' && !ended) return vm
        // Evicted, or its node lost: a Pod never runs again once ended, so it makes way, and the
        // next ask (once it is gone) makes a new one with the same name and volume.
        if (!existing.metadata.deletionTimestamp)
          await kube.delete('v1', 'Pod', existing.metadata.name, signal)
        return { ...vm, phase: 'terminating', readyAt: next() }
      }
      const read = await readSetup(plan.cluster)
      if ('failure' in read) return { ...gone(plan), phase: 'failed', ...read.failure }
      const owner = await applyCluster(plan.cluster, read, await applyOwner(plan.cluster, signal), signal)
      await kube.apply(vmClaim(plan, owner, s), signal)
      const pod = await kube.apply<PodObject>(
        vmPod({ vm: plan, shape: shapeOf(plan.cluster), files: read.configs[plan.role], owner }, s),
        signal,
      )
      return observed(pod)
    },

    async deleteVm(_clusterId, vm, signal) {
      const pod = await kube.get<PodObject>('v1', 'Pod', podName(vm.name), signal)
      if (pod && !pod.metadata.deletionTimestamp) await kube.delete('v1', 'Pod', pod.metadata.name, signal)
      // The claim goes too (Kubernetes holds it until the Pod is gone): a deleted VM's disk goes with it.
      await kube.delete('v1', 'PersistentVolumeClaim', claimName(vm.name), signal)
      const after = pod && (await kube.get<PodObject>('v1', 'Pod', pod.metadata.name, signal))
      return after ? { ...observed(after), phase: 'terminating', readyAt: next() } : gone(vm)
    },

    async install(plan, signal): Promise<OperationState> {
      const read = await readSetup(plan)
      if ('failure' in read) return { phase: 'failed', ...read.failure }
      const owner = await ownerOf(plan.clusterId, signal)
      if (!owner) return { phase: 'failed', reason: 'INSTALL_FAILED', error: ownerGone(plan.clusterId) }
      // Converged again: a file changed in Object Storage, or an object deleted behind our back.
      await applyCluster(plan, read, owner, signal)
      let waiting = false
      for (const node of plan.nodes) {
        const pod = await kube.get<PodObject>('v1', 'Pod', podName(node.name), signal)
        if (!pod || pod.metadata.deletionTimestamp)
          return {
            phase: 'failed',
            reason: 'INSTALL_FAILED',
            error: `pod ${podName(node.name)} vanished during the installation`,
          }
        const vm = observed(pod)
        if (vm.phase === 'failed')
          return { phase: 'failed', reason: vm.reason ?? 'INSTALL_FAILED', error: vm.error }
        const crashing = crashLooping(pod.status?.containerStatuses)
        if (crashing)
          return {
            phase: 'failed',
            reason: 'INSTALL_FAILED',
            error: `daemon ${crashing.name} on ${node.name} keeps failing (${crashing.restartCount} restarts, last exit code ${exitOf(crashing) ?? 'unknown'})`,
          }
        // Ready is every container's readiness probe: NameNode, ResourceManager, DataNode, ...
        if (!isReady(pod)) waiting = true
      }
      return waiting ? { phase: 'running', readyAt: next() } : { phase: 'succeeded' }
    },

    async decommission(plan, signal): Promise<OperationState> {
      const name = decommissionJobName(plan)
      const found = await kube.get<JobObject>('batch/v1', 'Job', name, signal)
      if (!found) {
        const read = await readSetup(plan.cluster)
        if ('failure' in read) return { phase: 'failed', ...read.failure }
        const owner = await ownerOf(plan.clusterId, signal)
        if (!owner)
          return { phase: 'failed', reason: 'DECOMMISSION_FAILED', error: ownerGone(plan.clusterId) }
        const [exclude, job] = decommissionManifests(plan, read.configs.master, owner, s)
        // The exclude list first: the Job refreshes the NameNodes until they have read it.
        await kube.apply(exclude, signal)
        await kube.apply(job, signal)
        return { phase: 'running', readyAt: next() }
      }
      const state = jobState(found)
      if (state === 'running') return { phase: 'running', readyAt: next() }
      if (state === 'succeeded') return { phase: 'succeeded' }
      const log = (await jobPod(name, signal))?.log.trim().split('\n').slice(-3).join(' / ')
      // Draining may be retried (the reconciler asks again, with backoff): a failed Job makes way
      // for a new one of the same name, rather than answering "failed" for good.
      await kube.delete('batch/v1', 'Job', name, signal)
      return {
        phase: 'failed',
        reason: 'DECOMMISSION_FAILED',
        error: `the decommission Job ${name} failed: ${state.failed}${log ? ` (${log})` : ''}`,
      }
    },

    async runTask(plan, signal): Promise<TaskState> {
      const name = taskJobName(plan)
      let job = await kube.get<JobObject>('batch/v1', 'Job', name, signal)
      if (!job && plan.started) {
        // Deleted behind our back after it started: its outcome is unknown, and running the
        // user's task again (an INSERT, say) could do it twice.
        const error = `the task's Job ${name} was deleted before its outcome was seen`
        return { phase: 'failed', reason: 'TASK_FAILED', error }
      }
      if (!job) {
        let file: { name: string; content: Uint8Array } | undefined
        if (plan.fileUrl !== undefined) {
          const bytes = await readObjectBytes(objects, plan.project, plan.fileUrl, MAX_TASK_FILE_BYTES)
          if (!bytes) {
            const error = `task file ${plan.fileUrl} not found`
            const log = `${new Date(clock.now()).toISOString()} ERROR ${error}; the task did not start\n`
            return { phase: 'failed', reason: 'TASK_FILE_NOT_FOUND', error, ...(await writeLog(plan, log)) }
          }
          if (bytes.length > MAX_TASK_FILE_BYTES) {
            const error = `task file ${plan.fileUrl} is larger than ${MAX_TASK_FILE_BYTES} bytes, the most a task file can be on Kubernetes for now`
            const log = `${new Date(clock.now()).toISOString()} ERROR ${error}; the task did not start\n`
            return { phase: 'failed', reason: 'TASK_FAILED', error, ...(await writeLog(plan, log)) }
          }
          file = { name: plan.fileUrl.slice(plan.fileUrl.lastIndexOf('/') + 1), content: bytes }
        }
        const read = await readSetup(plan.cluster)
        if ('failure' in read) return { phase: 'failed', ...read.failure }
        const owner = await ownerOf(plan.clusterId, signal)
        if (!owner) return { phase: 'failed', reason: 'TASK_FAILED', error: ownerGone(plan.clusterId) }
        const manifests = taskManifests(
          plan,
          {
            masters: plan.cluster.masters,
            masterConfigs: read.configs.master,
            ...(file ? { file } : {}),
            owner,
          },
          s,
        )
        for (const m of manifests) {
          const applied = await kube.apply(m, signal)
          if (applied.kind === 'Job') job = applied as JobObject
        }
      }
      const state = job ? jobState(job) : 'running'
      const ran = await jobPod(name, signal)
      const out: TaskState =
        state === 'running'
          ? { phase: 'running', readyAt: next() }
          : state === 'succeeded'
            ? { phase: 'succeeded', exitCode: ran?.exitCode ?? 0 }
            : {
                phase: 'failed',
                reason: 'TASK_FAILED',
                error: `${plan.type} task failed: ${state.failed}`,
                exitCode: ran?.exitCode ?? 1,
              }
      // The log as far as it has got, on every look: a client following it sees it grow.
      return { ...out, ...(ran ? await writeLog(plan, ran.log) : {}) }
    },

    async releaseCluster(clusterId, signal) {
      const name = ownerName(clusterId)
      // Everything else of the cluster is owned by this ConfigMap: the garbage collector takes it.
      if (!(await kube.get('v1', 'ConfigMap', name, signal))) return true
      await kube.delete('v1', 'ConfigMap', name, signal)
      return (await kube.get('v1', 'ConfigMap', name, signal)) === undefined
    },
  }
}
