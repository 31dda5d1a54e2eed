/**
 * The few Kubernetes shapes the manifests use, as plain JSON: no client library, so the builders
 * stay pure and the object a test validates is the object a server-side apply sends. Only the
 * fields hadoop-eco writes are listed; the schemas themselves are checked in the tests
 * (kubernetes-models). Objects are type aliases, not interfaces, so that each one is assignable
 * to `kube-api.ts`'s `KubeObject` (which has an index signature) without a cast.
 */

export type Labels = Record<string, string>

export type OwnerReference = {
  apiVersion: string
  kind: string
  name: string
  uid: string
  controller: boolean
}

export type ObjectMeta = {
  name: string
  namespace: string
  labels: Labels
  annotations?: Record<string, string>
  ownerReferences?: OwnerReference[]
}

export interface EnvVar {
  name: string
  value?: string
  valueFrom?:
    { secretKeyRef: { name: string; key: string; optional?: boolean } } | { fieldRef: { fieldPath: string } }
}

export interface Probe {
  httpGet?: { path: string; port: number }
  tcpSocket?: { port: number }
  initialDelaySeconds: number
  periodSeconds: number
  timeoutSeconds: number
  failureThreshold: number
}

export interface VolumeMount {
  name: string
  mountPath: string
  subPath?: string
  readOnly?: boolean
}

export interface ResourceRequirements {
  requests: { cpu: string; memory: string }
  limits?: { memory: string }
}

export interface Container {
  name: string
  image: string
  command: string[]
  env?: EnvVar[]
  ports?: { name: string; containerPort: number }[]
  readinessProbe?: Probe
  resources: ResourceRequirements
  volumeMounts: VolumeMount[]
  securityContext: { allowPrivilegeEscalation: false; capabilities: { drop: ['ALL'] } }
}

export interface KeyToPath {
  key: string
  path: string
}

export type Volume =
  | { name: string; persistentVolumeClaim: { claimName: string } }
  | { name: string; emptyDir: Record<string, never> }
  | { name: string; configMap: { name: string; items?: KeyToPath[]; defaultMode?: number } }
  | { name: string; secret: { secretName: string; items?: KeyToPath[]; defaultMode?: number } }
  | {
      name: string
      projected: {
        sources: (
          | { configMap: { name: string; items: KeyToPath[]; optional?: boolean } }
          | { configMap: { name: string; optional: boolean } }
        )[]
      }
    }

export interface PodSpec {
  hostname?: string
  subdomain?: string
  dnsConfig?: { searches: string[] }
  restartPolicy: 'Always' | 'Never'
  enableServiceLinks: false
  automountServiceAccountToken: false
  terminationGracePeriodSeconds?: number
  securityContext: {
    runAsNonRoot: true
    runAsUser: number
    runAsGroup: number
    fsGroup: number
    seccompProfile: { type: 'RuntimeDefault' }
  }
  initContainers?: Container[]
  containers: Container[]
  volumes: Volume[]
}

export type Pod = {
  apiVersion: 'v1'
  kind: 'Pod'
  metadata: ObjectMeta
  spec: PodSpec
}

export type PersistentVolumeClaim = {
  apiVersion: 'v1'
  kind: 'PersistentVolumeClaim'
  metadata: ObjectMeta
  spec: {
    accessModes: ['ReadWriteOnce']
    resources: { requests: { storage: string } }
    storageClassName?: string
  }
}

export type Service = {
  apiVersion: 'v1'
  kind: 'Service'
  metadata: ObjectMeta
  spec: {
    clusterIP: 'None'
    publishNotReadyAddresses: true
    selector: Labels
    ports: { name: string; port: number; targetPort: number; protocol: 'TCP' }[]
  }
}

export type ConfigMap = {
  apiVersion: 'v1'
  kind: 'ConfigMap'
  metadata: ObjectMeta
  data?: Record<string, string>
  binaryData?: Record<string, string>
}

export type Secret = {
  apiVersion: 'v1'
  kind: 'Secret'
  metadata: ObjectMeta
  type: 'Opaque'
  /** Base64, not `stringData`: what is read back is what was applied, so apply stays a no-op. */
  data: Record<string, string>
}

export type Job = {
  apiVersion: 'batch/v1'
  kind: 'Job'
  metadata: ObjectMeta
  spec: {
    backoffLimit: number
    activeDeadlineSeconds?: number
    template: { metadata: { labels: Labels }; spec: PodSpec }
  }
}

export type Manifest = Pod | PersistentVolumeClaim | Service | ConfigMap | Secret | Job
