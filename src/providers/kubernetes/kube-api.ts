import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node'
import { TerminalProviderError } from '../provider.js'

/** The field manager of every server-side apply (DESIGN section 12). */
export const FIELD_MANAGER = 'hadoop-eco'

/** The part of an object this provider reads and writes; the rest passes through untouched. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    uid?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    deletionTimestamp?: string | Date
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[]
  }
  [field: string]: unknown
}

/**
 * The Kubernetes calls the provider makes, and nothing else: server-side apply, read, list by
 * label, delete, a pod's log. Every call takes the caller's AbortSignal; an abandoned call's
 * request may still complete, which is harmless because every write is an idempotent apply or
 * delete.
 */
export interface KubeApi {
  readonly namespace: string
  /** Server-side apply (field manager `hadoop-eco`, forced): creates or converges the object. */
  apply<T extends KubeObject>(object: T, signal: AbortSignal): Promise<T>
  /** The object, or undefined when it does not exist. */
  get<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    signal: AbortSignal,
  ): Promise<T | undefined>
  /** Every object of a kind in the namespace whose labels include `labels`. */
  list<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    labels: Record<string, string>,
    signal: AbortSignal,
  ): Promise<T[]>
  /** Deletes the object and, in the background, what it owns; false when it did not exist. */
  delete(apiVersion: string, kind: string, name: string, signal: AbortSignal): Promise<boolean>
  /** The log of a pod's first container; undefined when the pod does not exist or has not started. */
  podLog(name: string, signal: AbortSignal): Promise<string | undefined>
}

/**
 * A refusal no retry will change ends the cluster (TerminalProviderError): an invalid object
 * (422), a bad request (400), missing permissions (401/403), an unknown resource (404 on a
 * write). Conflicts (409), throttling (429) and server errors (5xx) are transient.
 */
export const kubeError = (e: unknown, what: string): Error => {
  if (e instanceof ApiException) {
    const body = e.body as { message?: string; reason?: string } | string | undefined
    const detail = typeof body === 'string' ? body : (body?.message ?? body?.reason ?? '')
    const message = `Kubernetes ${what}: ${e.code}${detail ? ` ${detail}` : ''}`
    if ([400, 401, 403, 404, 422].includes(e.code)) return new TerminalProviderError(message, { cause: e })
    return new Error(message, { cause: e })
  }
  return e instanceof Error ? e : new Error(String(e))
}

const isNotFound = (e: unknown) => e instanceof ApiException && e.code === 404

/** Settles with the call, or rejects as soon as the signal fires (the call is abandoned). */
const abandonable = <T>(call: Promise<T>, signal: AbortSignal): Promise<T> => {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    call.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

const selector = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

/**
 * Where the provider finds its cluster: a kubeconfig file (`KUBECONFIG`, `~/.kube/config`) or,
 * inside a cluster, the pod's service account, as kubectl does.
 */
export const loadKubeConfig = (kubeconfigPath?: string): KubeConfig => {
  const kc = new KubeConfig()
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath)
  else kc.loadFromDefault()
  // With nothing found, client-node falls back to http://localhost:8080: a server would start
  // and every cluster would fail its first call. Better to refuse to start, saying why.
  const cluster = kc.getCurrentCluster()
  if (!cluster || (cluster.name === 'cluster' && cluster.server === 'http://localhost:8080'))
    throw new Error(
      'HADOOP_ECO_PROVIDER=kubernetes: no Kubernetes cluster configured (set KUBECONFIG, write ~/.kube/config, or run in a pod with a service account)',
    )
  return kc
}

/** The KubeApi of a namespace, over @kubernetes/client-node. */
export const createKubeApi = (kc: KubeConfig, namespace: string): KubeApi => {
  const objects = KubernetesObjectApi.makeApiClient(kc)
  const core = kc.makeApiClient(CoreV1Api)
  const ref = (apiVersion: string, kind: string, name: string) => ({
    apiVersion,
    kind,
    metadata: { name, namespace },
  })
  return {
    namespace,
    async apply<T extends KubeObject>(object: T, signal: AbortSignal): Promise<T> {
      const body = { ...object, metadata: { ...object.metadata, namespace } }
      try {
        const applied = await abandonable(
          objects.patch(
            body as unknown as KubernetesObject,
            undefined,
            undefined,
            FIELD_MANAGER,
            true,
            PatchStrategy.ServerSideApply,
          ),
          signal,
        )
        return applied as unknown as T
      } catch (e) {
        throw kubeError(e, `apply ${object.kind} ${object.metadata.name}`)
      }
    },
    async get<T extends KubeObject>(apiVersion: string, kind: string, name: string, signal: AbortSignal) {
      try {
        return (await abandonable(objects.read(ref(apiVersion, kind, name)), signal)) as unknown as T
      } catch (e) {
        if (isNotFound(e)) return undefined
        throw kubeError(e, `read ${kind} ${name}`)
      }
    },
    async list<T extends KubeObject>(
      apiVersion: string,
      kind: string,
      labels: Record<string, string>,
      signal: AbortSignal,
    ) {
      try {
        const page = await abandonable(
          objects.list(
            apiVersion,
            kind,
            namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            selector(labels),
          ),
          signal,
        )
        return page.items as unknown as T[]
      } catch (e) {
        // A list never means "unknown object": every failure here is the server's, and passes.
        throw new Error(`Kubernetes list ${kind}: ${(e as Error).message}`, { cause: e })
      }
    },
    async delete(apiVersion: string, kind: string, name: string, signal: AbortSignal) {
      try {
        await abandonable(
          objects.delete(
            ref(apiVersion, kind, name),
            undefined,
            undefined,
            undefined,
            undefined,
            'Background',
          ),
          signal,
        )
        return true
      } catch (e) {
        if (isNotFound(e)) return false
        throw kubeError(e, `delete ${kind} ${name}`)
      }
    },
    async podLog(name: string, signal: AbortSignal) {
      try {
        return await abandonable(core.readNamespacedPodLog({ name, namespace }), signal)
      } catch (e) {
        // 400: the container has not started yet (pending, pulling its image): no log so far.
        if (isNotFound(e) || (e instanceof ApiException && e.code === 400)) return undefined
        throw kubeError(e, `read the log of pod ${name}`)
      }
    },
  }
}
