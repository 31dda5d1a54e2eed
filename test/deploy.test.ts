import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { validateObject } from './fixtures/kubernetes-schemas.js'

/**
 * deploy/kubernetes (hadoop-eco itself in a cluster) and the Dockerfile: every document valid
 * against the Kubernetes schemas, offline, and the Role no wider than the provider needs.
 */

const root = join(import.meta.dirname, '..')
const dir = join(root, 'deploy', 'kubernetes')

interface Obj {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  [k: string]: unknown
}

const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))
const docs: { file: string; obj: Obj }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
    return { file, obj: d.toJS() as Obj }
  }),
)
const one = <T>(kind: string): T & Obj => {
  const found = docs.filter((d) => d.obj.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]!.obj as T & Obj
}

interface Rule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
}
interface Container {
  name: string
  image: string
  args?: string[]
  command?: string[]
  ports: { name: string; containerPort: number }[]
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]
  envFrom?: { configMapRef?: { name: string } }[]
  readinessProbe: { httpGet: { path: string; port: string | number } }
  livenessProbe: { httpGet: { path: string; port: string | number } }
  securityContext: Record<string, unknown>
}
interface Deployment {
  spec: {
    replicas: number
    selector: { matchLabels: Record<string, string> }
    template: {
      metadata: { labels: Record<string, string> }
      spec: { serviceAccountName: string; securityContext: Record<string, unknown>; containers: Container[] }
    }
  }
}

describe('deploy/kubernetes', () => {
  it('every YAML document is a valid Kubernetes object in the hadoop-eco namespace', () => {
    expect(files.length).toBeGreaterThanOrEqual(4)
    const kinds = docs.map(({ file, obj }) => {
      expect(() => validateObject(obj), file).not.toThrow()
      if (obj.kind !== 'Namespace') expect(obj.metadata.namespace, `${file} ${obj.kind}`).toBe('hadoop-eco')
      return obj.kind
    })
    expect(kinds.sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'Namespace',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ])
  })

  it('the Role grants only named verbs on named resources: no pods/exec, no wildcards', () => {
    const role = one<{ rules: Rule[] }>('Role')
    const granted = new Map<string, Set<string>>()
    for (const r of role.rules) {
      for (const list of [r.apiGroups, r.resources, r.verbs]) expect(list).not.toContain('*')
      for (const res of r.resources) {
        expect(res).not.toMatch(/exec|attach|portforward|proxy|escalate|bind|impersonate/)
        for (const v of r.verbs) granted.set(res, new Set([...(granted.get(res) ?? []), v]))
        expect(r.apiGroups).toEqual([res === 'jobs' ? 'batch' : ''])
      }
      for (const v of r.verbs) expect(['get', 'list', 'create', 'patch', 'delete']).toContain(v)
    }
    expect(granted.has('pods/exec')).toBe(false)
    // Secrets are written, never read: no list or get over every Secret of the namespace.
    expect([...(granted.get('secrets') ?? [])].sort()).toEqual(['create', 'patch'])
    // That these are exactly the verbs the provider uses is checked against its requests, over a
    // whole cluster life, in test/kubernetes/provider.test.ts.
  })

  it('the RoleBinding gives that Role to the ServiceAccount the Deployment runs as', () => {
    const sa = one<object>('ServiceAccount')
    const binding = one<{
      roleRef: { kind: string; name: string }
      subjects: { kind: string; name: string }[]
    }>('RoleBinding')
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: one<object>('Role').metadata.name })
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'hadoop-eco' },
    ])
    expect(one<Deployment>('Deployment').spec.template.spec.serviceAccountName).toBe(sa.metadata.name)
  })

  it('the Deployment: 2 replicas over PostgreSQL from a Secret, the kubernetes provider, probes, non-root', () => {
    const d = one<Deployment>('Deployment')
    expect(d.spec.replicas).toBe(2)
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels)
    const [c] = d.spec.template.spec.containers
    expect(c).toBeDefined()
    const env = new Map(c!.env.map((e) => [e.name, e]))
    expect(env.get('HADOOP_ECO_DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'hadoop-eco',
      key: 'HADOOP_ECO_DATABASE_URL',
    })
    expect(env.get('HADOOP_ECO_DATABASE_URL')?.value).toBeUndefined()
    expect(env.get('HADOOP_ECO_SECRET_KEY')?.valueFrom?.secretKeyRef?.name).toBe('hadoop-eco')
    // Settings from the ConfigMap: the provider, and a shared object store for two replicas.
    const cm = one<{ data: Record<string, string> }>('ConfigMap')
    expect(c!.envFrom).toEqual([{ configMapRef: { name: cm.metadata.name } }])
    expect(cm.data).toMatchObject({ HADOOP_ECO_PROVIDER: 'kubernetes', HADOOP_ECO_OBJECT_STORE: 's3' })
    for (const v of Object.values(cm.data)) expect(v).not.toMatch(/postgres(ql)?:\/\//)
    // The image's CMD runs; the probes reach the port the server listens on.
    expect(c!.args).toBeUndefined()
    expect(c!.command).toBeUndefined()
    const port = c!.ports.find((p) => p.name === c!.readinessProbe.httpGet.port)
    expect(port?.containerPort).toBe(Number(env.get('HADOOP_ECO_PORT')?.value))
    expect(c!.readinessProbe.httpGet.path).toBe('/readyz')
    expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' })
    expect(d.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 })
    expect(c!.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    })
  })

  it('the Service reaches the Deployment`s pods on their http port', () => {
    const svc = one<{ spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }>(
      'Service',
    )
    expect(one<Deployment>('Deployment').spec.template.metadata.labels).toMatchObject(svc.spec.selector)
    expect(svc.spec.ports.map((p) => p.targetPort)).toEqual(['http'])
  })
})

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))

  it('builds on node:20-slim with npm ci and npm run build, prunes dev dependencies, runs as non-root', () => {
    const from = instructions.filter((l) => l.startsWith('FROM '))
    expect(from.length).toBeGreaterThanOrEqual(1)
    for (const f of from) expect(f).toMatch(/^FROM node:20-slim\b/)
    const run = instructions.filter((l) => l.startsWith('RUN ')).join('\n')
    expect(run).toMatch(/npm ci\b/)
    expect(run).toMatch(/npm run build\b/)
    expect(run).toMatch(/npm prune --omit=dev\b/)
    const users = instructions.filter((l) => l.startsWith('USER '))
    expect(users.at(-1)).toMatch(/^USER (10001|[a-z][-a-z0-9]*)$/)
    expect(users.at(-1)).not.toMatch(/root|^USER 0$/)
    expect(instructions.at(-1)).toBe('CMD ["node","bin/hadoop-eco.js","serve","--host","0.0.0.0"]')
    // The Deployment's runAsUser is the image's user.
    expect(dockerfile).toContain('10001')
  })

  it('.dockerignore keeps the local build, the databases and the git history out of the context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n')
    for (const p of ['node_modules', 'dist', 'data', '.git', '*.db']) expect(ignored).toContain(p)
  })
})
