import { randomUUID } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { E2E_BUILD, buildCli } from './build.js'
import {
  CREDENTIAL,
  E2E_FIXTURES,
  FIXTURES,
  closedPort,
  minimalSpec,
  runCli,
  startE2EServer,
  tempHome,
  uniqueName,
  type E2EServer,
} from './harness.js'

type Body = Record<string, Record<string, unknown> | unknown>

const BASE64_FIELDS = [
  ['config', 'configText'],
  ['config', 'userScript'],
  ['adminInfo', 'userPw'],
  ['hiveDbInfo', 'userPw'],
] as const

/** The body with every Base64 field decoded, so a difference shows as text, not as Base64. */
const decoded = (body: Body): Body => {
  const copy = structuredClone(body) as Record<string, Record<string, unknown>>
  for (const [parent, key] of BASE64_FIELDS) {
    const v = copy[parent]?.[key]
    if (typeof v === 'string') copy[parent]![key] = { decoded: Buffer.from(v, 'base64').toString('utf8') }
  }
  return copy
}
const keysDeep = (v: unknown): unknown =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? Object.entries(v).map(([k, x]) => [k, keysDeep(x)])
    : null
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Body

describe('hadoop-eco CLI (child process) against the real server', () => {
  let s: E2EServer
  let home: string
  let env: Record<string, string>

  beforeAll(async () => {
    await buildCli()
    s = await startE2EServer()
    home = tempHome()
    env = {
      HADOOP_ECO_ENDPOINT: s.url,
      HADOOP_ECO_CREDENTIAL_ID: CREDENTIAL.id,
      HADOOP_ECO_CREDENTIAL_SECRET: CREDENTIAL.secret,
    }
  }, 180_000)
  afterAll(() => s?.close())
  afterEach(() => s?.clearFaults())

  const cli = (
    args: string[],
    opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
  ) => runCli(args, { home, env: { ...env, ...opts.env }, cwd: opts.cwd, input: opts.input })
  const FAST = ['--poll-interval', '20ms', '--timeout', '30s']
  const countNamed = async (name: string) => {
    const r = await cli(['clusters', 'list', '--name', name, '-o', 'json'])
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as { name: string }[]).filter((c) => c.name === name).length
  }

  it('create --wait -> scale-out --wait -> scale-in --wait -> delete --wait, with every read command', async () => {
    const created = await cli([
      'clusters',
      'create',
      '-f',
      join(E2E_FIXTURES, 'user-env.spec.yaml'),
      '--wait',
      ...FAST,
      '-o',
      'json',
    ])
    expect(created.code, created.stderr).toBe(0)
    const cluster = JSON.parse(created.stdout) as {
      id: string
      status: string
      config: { configText: string }
    }
    const id = cluster.id
    expect(cluster.status).toBe('Running')
    expect(Buffer.from(cluster.config.configText, 'base64').toString('utf8')).toBe(
      readFileSync(join(FIXTURES, 'config-user-env.json'), 'utf8'),
    )
    // Not a terminal: plain lines, one per status change, ending with Running.
    expect(created.stderr).not.toContain('\x1b')
    expect(created.stderr).toMatch(/user-env-cluster .*-> Running \(\+[\d.]+s\)\n/)
    expect(created.stderr).toContain('user-env-cluster is Running')

    const got = await cli(['clusters', 'get', id, '-o', 'yaml'])
    expect(got.code).toBe(0)
    expect(parseYaml(got.stdout)).toMatchObject({
      id,
      name: 'user-env-cluster',
      status: 'Running',
      workerCnt: 3,
    })

    const vms = await cli(['clusters', 'vms', id, '-o', 'json', '--sort', 'name,asc'])
    expect(vms.code).toBe(0)
    expect((JSON.parse(vms.stdout) as { name: string }[]).map((v) => v.name)).toEqual([
      'HadoopMST-user-env-cluster-1',
      'HadoopWRK-user-env-cluster-1',
      'HadoopWRK-user-env-cluster-2',
      'HadoopWRK-user-env-cluster-3',
    ])

    const out = await cli(['clusters', 'scale-out', id, '--count', '2', '--wait', ...FAST, '-o', 'json'])
    expect(out.code, out.stderr).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'Running', workerCnt: 5 })
    expect(out.stderr).toContain('Processing')

    const inn = await cli(['clusters', 'scale-in', id, '--count', '1', '--wait', ...FAST])
    expect(inn.code, inn.stderr).toBe(0)
    // Without -o: one line saying what came of it.
    expect(inn.stdout).toBe(`scaled in user-env-cluster (${id}) to 4 workers: Running\n`)

    const table = await cli(['clusters', 'vms', id, '--name', 'wrk'])
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+ROLE\s+STATUS\s+IP/)
    expect(table.stdout.trim().split('\n')).toHaveLength(1 + 4)

    const gone = await cli(['clusters', 'delete', id, '--wait', ...FAST, '-o', 'json'])
    expect(gone.code, gone.stderr).toBe(0)
    expect(JSON.parse(gone.stdout)).toMatchObject({ id, status: 'Terminated(User)' })
    expect(gone.stderr).toMatch(/Terminating -> Terminated\(User\)/)

    const events = await cli(['clusters', 'events', id, '-o', 'json'])
    expect(events.code).toBe(0)
    expect(
      (JSON.parse(events.stdout) as { toStatus?: string }[]).filter((e) => e.toStatus).map((e) => e.toStatus),
    ).toEqual([
      'Initializing',
      'Creating',
      'Installing',
      'Running',
      'Processing',
      'Running',
      'Processing',
      'Running',
      'Terminating',
      'Terminated(User)',
    ])
    const eventTable = await cli(['clusters', 'events', id])
    expect(eventTable.stdout).toMatch(/^SEQ\s+AT\s+FROM\s+TO\s+REASON\s+MESSAGE$/m)
    expect(eventTable.stdout).toMatch(/Terminating\s+Terminated\(User\)\s+TERMINATED/)
  }, 90_000)

  it('creates without --wait and prints the reference; list pages and filters', async () => {
    const prefix = `cl${randomUUID().slice(0, 6)}`
    for (const i of [0, 1, 2]) {
      const r = await cli(['clusters', 'create', '-f', '-', '-o', 'json'], {
        input: JSON.stringify(minimalSpec(`${prefix}-${i}`)),
      })
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({
        id: expect.any(String),
        name: `${prefix}-${i}`,
        status: 'Initializing',
      })
    }
    const page = await cli(['clusters', 'list', '--name', prefix, '--size', '2', '--sort', 'name,asc'])
    expect(page.code).toBe(0)
    const lines = page.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STATUS\s+TYPE\s+VERSION\s+MASTERS\s+WORKERS\s+CREATED$/)
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual([`${prefix}-0`, `${prefix}-1`])
    expect(page.stderr).toContain('page 1 of 2 (3 clusters)')

    const all = await cli(['clusters', 'list', '--name', prefix, '--size', '1', '--all-pages', '-o', 'yaml'])
    expect(all.code).toBe(0)
    expect((parseYaml(all.stdout) as { name: string }[]).map((c) => c.name).sort()).toEqual(
      [0, 1, 2].map((i) => `${prefix}-${i}`),
    )
  })

  describe('spec files: XFile fields, dry run', () => {
    it('example 1 from a local config JSON and password file gives the seed body', async () => {
      const r = await cli(
        ['clusters', 'create', '-f', join(E2E_FIXTURES, 'example-1.spec.json'), '--dry-run'],
        {
          env: { HADOOP_ECO_ENDPOINT: undefined }, // a dry run needs no server
        },
      )
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout.endsWith('}\n')).toBe(true)
      expect(r.stdout.trim().split('\n')).toHaveLength(1) // the exact bytes: JSON.stringify of the body
      const body = JSON.parse(r.stdout) as Body
      const seed = fixture('create-example-1.json')
      expect(decoded(body)).toEqual(decoded(seed))
      expect(keysDeep(body)).toEqual(keysDeep(seed))
      expect(await countNamed('hive-job-cluster')).toBe(0)
    })

    it('example 3 from a YAML spec with a shell script gives the seed body', async () => {
      const r = await cli([
        'clusters',
        'create',
        '-f',
        join(E2E_FIXTURES, 'example-3.spec.yaml'),
        '--dry-run',
      ])
      expect(r.code, r.stderr).toBe(0)
      const body = JSON.parse(r.stdout) as Body
      const seed = fixture('create-example-3.json')
      expect(decoded(body)).toEqual(decoded(seed))
      expect(keysDeep(body)).toEqual(keysDeep(seed))
      expect(await countNamed('test-cluster')).toBe(0)
    })

    it('sends what the dry run shows: example 1 is created with its configText', async () => {
      const r = await cli(['clusters', 'create', '-f', 'example-1.spec.json', '-o', 'json'], {
        cwd: E2E_FIXTURES,
      })
      expect(r.code, r.stderr).toBe(0)
      const { id } = JSON.parse(r.stdout) as { id: string }
      const got = JSON.parse((await cli(['clusters', 'get', id, '-o', 'json'])).stdout) as {
        config: { configText: string }
        adminInfo: Record<string, unknown>
      }
      expect(got.config.configText).toBe(
        (fixture('create-example-1.json').config as { configText: string }).configText,
      )
      expect(got.adminInfo).toEqual({ userId: 'admin_user' })
    })

    it('reads the spec from stdin, with XFile paths relative to the working directory', async () => {
      const spec = {
        ...minimalSpec(uniqueName('stdin')),
        config: { hdfsReplication: 3, hdfsBlockSize: 128, userScriptFile: 'user-script.sh' },
      }
      const r = await cli(['clusters', 'create', '-f', '-', '--dry-run'], {
        input: JSON.stringify(spec),
        cwd: E2E_FIXTURES,
      })
      expect(r.code, r.stderr).toBe(0)
      const body = JSON.parse(r.stdout) as { config: Record<string, unknown> }
      expect(body.config).toEqual({
        hdfsReplication: 3,
        hdfsBlockSize: 128,
        userScript: readFileSync(join(E2E_FIXTURES, 'user-script.sh')).toString('base64'),
      })
    })

    it('refuses an invalid configurations file before sending anything', async () => {
      const dir = join(home, 'bad-spec')
      mkdirSync(dir, { recursive: true })
      const name = uniqueName('badcfg')
      writeFileSync(join(dir, 'bad-config.json'), readFileSync(join(E2E_FIXTURES, 'bad-config.json')))
      writeFileSync(
        join(dir, 'spec.json'),
        JSON.stringify(
          minimalSpec(name, {
            config: { hdfsReplication: 3, hdfsBlockSize: 128, configTextFile: 'bad-config.json' },
          }),
        ),
      )
      const r = await cli(['clusters', 'create', '-f', join(dir, 'spec.json')])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('config.configTextFile')
      expect(r.stderr).toContain('configurations[0].properties.io.file.buffer.size must be a string')
      expect(await countNamed(name)).toBe(0)

      writeFileSync(join(dir, 'not-json.json'), 'core-site: yes')
      writeFileSync(
        join(dir, 'spec2.yaml'),
        `name: ${name}\nconfig:\n  hdfsReplication: 3\n  configTextFile: not-json.json\n`,
      )
      const r2 = await cli(['clusters', 'create', '-f', join(dir, 'spec2.yaml')])
      expect(r2.code).toBe(2)
      expect(r2.stderr).toContain('not valid JSON')
    })

    it('refuses X together with XFile, a missing file, and a spec that is not an object', async () => {
      const both = await cli(['clusters', 'create', '-f', '-'], {
        cwd: E2E_FIXTURES,
        input: JSON.stringify(
          minimalSpec('both-given', { adminInfo: { userPw: 'eA==', userPwFile: 'admin-password.txt' } }),
        ),
      })
      expect(both.code).toBe(2)
      expect(both.stderr).toContain('give adminInfo.userPw or adminInfo.userPwFile, not both')
      const missing = await cli(['clusters', 'create', '-f', '-'], {
        input: JSON.stringify(minimalSpec('missing-file', { hiveDbInfo: { userPwFile: 'nope.txt' } })),
      })
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain('hiveDbInfo.userPwFile: cannot read nope.txt')
      const notObject = await cli(['clusters', 'create', '-f', '-'], { input: '[1, 2]' })
      expect(notObject.code).toBe(2)
      const noSpec = await cli(['clusters', 'create', '-f', join(home, 'absent.json')])
      expect(noSpec.code).toBe(2)
      expect(noSpec.stderr).toContain('cannot read spec')
    })
  })

  describe('exit codes', () => {
    it('2 for usage errors, with a pointer to --help', async () => {
      for (const args of [
        ['clusters', 'get'],
        ['clusters', 'scale-out', 'some-id'],
        ['clusters', 'scale-in', 'some-id', '--count', 'two'],
        ['clusters', 'list', '--bogus'],
        ['clusters', 'get', 'x', '--count', '1'],
        ['clusters', 'list', '-o', 'xml'],
        ['clusters', 'create'],
        ['clusters', 'explode'],
        ['clusters', 'create', '-f', '-', '--wait', '--timeout', 'soon'],
      ]) {
        const r = await cli(args, { input: '{}' })
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
        expect(r.stderr).toMatch(/error/)
      }
      const noEndpoint = await cli(['clusters', 'list'], { env: { HADOOP_ECO_ENDPOINT: undefined } })
      expect(noEndpoint.code).toBe(2)
      expect(noEndpoint.stderr).toContain('HADOOP_ECO_ENDPOINT')
    })

    it('3 when the credential is wrong', async () => {
      const r = await cli(['clusters', 'list'], { env: { HADOOP_ECO_CREDENTIAL_SECRET: 'wrong-secret' } })
      expect(r.code).toBe(3)
      expect(r.stderr).toContain('UNAUTHORIZED')
      expect(r.stderr).toMatch(/request id: \S+/)
    })

    it('4 for an unknown cluster', async () => {
      const r = await cli(['clusters', 'get', randomUUID()])
      expect(r.code).toBe(4)
      expect(r.stderr).toContain('CLUSTER_NOT_FOUND')
      expect((await cli(['clusters', 'delete', randomUUID()])).code).toBe(4)
    })

    it('5 for a duplicate name', async () => {
      const input = JSON.stringify(minimalSpec(uniqueName('twice')))
      expect((await cli(['clusters', 'create', '-f', '-'], { input })).code).toBe(0)
      const r = await cli(['clusters', 'create', '-f', '-'], { input })
      expect(r.code).toBe(5)
      expect(r.stderr).toContain('DUPLICATE_CLUSTER_NAME')
    })

    it('7 for a rejected request, with the field list', async () => {
      const r = await cli(['clusters', 'create', '-f', '-'], {
        input: JSON.stringify(minimalSpec(uniqueName('few'), { workerCnt: 2 })),
      })
      expect(r.code).toBe(7)
      expect(r.stderr).toContain('code:       WORKER_COUNT_BELOW_REPLICATION')
      expect(r.stderr).toMatch(/^ {2}- workerCnt: workerCnt \(2\) must be >= config.hdfsReplication \(3\)$/m)
      expect(r.stderr).toMatch(/request id: [0-9a-f-]{36}/)
    })

    it('1 for 429 and 5xx once retries are spent; retries recover from a short outage', async () => {
      await s.fault({ match: { path: '/v2/hadoop-eco/clusters' }, fault: 'apiError', status: 429, times: 1 })
      const limited = await cli(['clusters', 'list', '--max-retries', '0'])
      expect(limited.code).toBe(1)
      expect(limited.stderr).toContain('429')

      await s.fault({ match: { path: '/v2/hadoop-eco/clusters' }, fault: 'apiError', status: 503, times: 1 })
      const down = await cli(['clusters', 'list', '--max-retries', '0'])
      expect(down.code).toBe(1)
      expect(down.stderr).toContain('INJECTED_FAULT')

      const name = uniqueName('flaky')
      await s.fault({ match: { path: '/v2/hadoop-eco/clusters' }, fault: 'apiError', status: 503, times: 2 })
      const ok = await cli(['clusters', 'create', '-f', '-'], { input: JSON.stringify(minimalSpec(name)) })
      expect(ok.code, ok.stderr).toBe(0)
      expect(await countNamed(name)).toBe(1)
    })

    it('6 when --wait sees the cluster end Terminated(Error)', async () => {
      const name = uniqueName('broken')
      await s.fault({ match: { clusterName: name }, fault: 'installFailure', times: 1 })
      const r = await cli(['clusters', 'create', '-f', '-', '--wait', ...FAST], {
        input: JSON.stringify(minimalSpec(name)),
      })
      expect(r.code, r.stderr).toBe(6)
      expect(r.stderr).toContain(`${name} ended Terminated(Error)`)
      expect(r.stderr).toContain('hadoop-eco clusters events')
    })

    it('8 when --wait times out', async () => {
      const r = await cli(['clusters', 'create', '-f', '-', '--wait', '--timeout', '1ms'], {
        input: JSON.stringify(minimalSpec(uniqueName('hurry'))),
      })
      expect(r.code, r.stderr).toBe(8)
      expect(r.stderr).toContain('did not reach the expected state')
    })

    it('9 when the endpoint is unreachable', async () => {
      const r = await cli([
        'clusters',
        'list',
        '--max-retries',
        '0',
        '--endpoint',
        `http://127.0.0.1:${await closedPort()}`,
      ])
      expect(r.code).toBe(9)
      expect(r.stderr).toContain('ECONNREFUSED')
    })
  })

  it('reads endpoint and credential from a profile; flags and environment take precedence as documented', async () => {
    const h = tempHome()
    mkdirSync(join(h, '.config', 'hadoop-eco'), { recursive: true })
    const dead = `http://127.0.0.1:${await closedPort()}`
    writeFileSync(
      join(h, '.config', 'hadoop-eco', 'config.yaml'),
      [
        'profiles:',
        '  default:',
        `    endpoint: ${dead}`,
        `    credentialId: ${CREDENTIAL.id}`,
        `    credentialSecret: ${CREDENTIAL.secret}`,
        '  e2e:',
        `    endpoint: ${s.url}`,
        `    credentialId: ${CREDENTIAL.id}`,
        `    credentialSecret: ${CREDENTIAL.secret}`,
        '',
      ].join('\n'),
    )
    const run = (args: string[], e: Record<string, string> = {}) =>
      runCli(['clusters', 'list', '--max-retries', '0', ...args], { home: h, env: e })
    expect((await run(['--profile', 'e2e'])).code).toBe(0)
    expect((await run([], { HADOOP_ECO_PROFILE: 'e2e' })).code).toBe(0)
    expect((await run([])).code).toBe(9) // the default profile points nowhere
    expect((await run([], { HADOOP_ECO_ENDPOINT: s.url })).code).toBe(0) // environment before default profile
    expect((await run(['--endpoint', s.url])).code).toBe(0) // flags before everything
    expect((await run(['--profile', 'e2e', '--credential-secret', 'wrong-secret'])).code).toBe(3)
    // A profile asked for by name comes before the environment.
    expect((await run(['--profile', 'e2e'], { HADOOP_ECO_ENDPOINT: dead })).code).toBe(0)
    const unknown = await run(['--profile', 'nope'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('no profile "nope"')
    // $HADOOP_ECO_CONFIG names another file.
    const other = join(h, 'elsewhere.yaml')
    writeFileSync(
      other,
      `profiles:\n  default:\n    endpoint: ${s.url}\n    credentialId: ${CREDENTIAL.id}\n    credentialSecret: ${CREDENTIAL.secret}\n`,
    )
    expect((await run([], { HADOOP_ECO_CONFIG: other })).code).toBe(0)
  }, 60_000)

  it('has --help with examples on every command and documents the exit codes', async () => {
    const top = await cli(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('clusters create -f SPEC')
    expect(top.stdout).toContain('Exit codes:')
    const clusters = await cli(['clusters', '--help'])
    expect(clusters.code).toBe(0)
    expect(clusters.stdout).toContain('profiles:')
    for (const sub of ['create', 'get', 'list', 'vms', 'delete', 'scale-out', 'scale-in', 'events']) {
      const r = await cli(['clusters', sub, '--help'])
      expect(r.code, sub).toBe(0)
      expect(r.stdout).toContain(`Usage: hadoop-eco clusters ${sub}`)
      expect(r.stdout).toContain('Examples:')
      expect(r.stdout).toContain('--endpoint URL')
    }
  })

  it('ships the SDK as plain JS importing nothing but its own files (no TypeBox, no server code)', () => {
    const dir = join(E2E_BUILD, 'dist', 'sdk')
    const files = readdirSync(dir).filter((f) => f.endsWith('.js'))
    expect(files).toEqual(expect.arrayContaining(['index.js', 'client.js', 'errors.js', 'transport.js']))
    const all: string[] = []
    for (const f of files) {
      // Comments go first: the JSDoc examples mention 'hadoop-eco/sdk' in import statements.
      const code = readFileSync(join(dir, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
      const specifiers = [...code.matchAll(/(?:from\s+|import\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1])
      for (const spec of specifiers) expect(spec, `${f} imports ${spec}`).toMatch(/^\.\/[a-z-]+\.js$/)
      all.push(...(specifiers as string[]))
    }
    expect(all).toEqual(expect.arrayContaining(['./client.js', './errors.js', './transport.js']))
  })
})
