import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { ConflictError, HadoopEcoClient, NotFoundError, type ClusterConfigs } from '../../src/sdk/index.js'
import { buildCli } from './build.js'
import {
  CREDENTIAL,
  E2E_FIXTURES,
  OTHER_CREDENTIAL,
  minimalSpec,
  runCli,
  startE2EServer,
  tempHome,
  uniqueName,
  type E2EServer,
} from './harness.js'

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

/** DESIGN section 9 through the SDK and the CLI (a child process) against a real server. */
describe('rendered configuration through the SDK and the CLI', () => {
  let s: E2EServer
  let home: string
  let env: Record<string, string>
  let client: HadoopEcoClient
  let id: string
  let configs: ClusterConfigs
  const make = (credential = CREDENTIAL) =>
    new HadoopEcoClient({ endpoint: s.url, credentialId: credential.id, credentialSecret: credential.secret })

  beforeAll(async () => {
    await buildCli()
    s = await startE2EServer()
    home = tempHome()
    env = {
      HADOOP_ECO_ENDPOINT: s.url,
      HADOOP_ECO_CREDENTIAL_ID: CREDENTIAL.id,
      HADOOP_ECO_CREDENTIAL_SECRET: CREDENTIAL.secret,
    }
    client = make()
    // The seed's create example 1 override, sent inline.
    const configText = b64(readFileSync(join(E2E_FIXTURES, 'core-site.json'), 'utf8'))
    ;({ id } = await client.clusters.create(
      minimalSpec(uniqueName('cfg'), {
        clusterType: 'trino',
        config: { hdfsReplication: 3, hdfsBlockSize: 128, configText },
      }) as never,
    ))
    configs = await client.clusters.configs(id)
  }, 180_000)
  afterAll(() => s?.close())
  const cli = (args: string[]) => runCli(args, { home, env })
  const content = (role: keyof ClusterConfigs, path: string) =>
    configs[role].find((f) => f.path === path)?.content

  describe('SDK: client.clusters.configs', () => {
    it("returns each role's files, exactly as the API answers them", async () => {
      expect(Object.keys(configs)).toEqual(['master', 'worker'])
      const raw = await fetch(`${s.url}/v2/hadoop-eco/clusters/${id}/configs`, {
        headers: { 'credential-id': CREDENTIAL.id, 'credential-secret': CREDENTIAL.secret },
      })
      expect(await raw.json()).toEqual(configs)
      expect(content('master', '/etc/hadoop/conf/core-site.xml')).toContain(
        '<name>io.file.buffer.size</name>\n    <value>65536</value>',
      )
      // A trino cluster: the coordinator's file on the masters, a worker's on the workers.
      expect(content('master', '/etc/trino/config.properties')).toContain('\ncoordinator=true\n')
      expect(content('worker', '/etc/trino/config.properties')).toContain('\ncoordinator=false\n')
    })

    it("throws NotFoundError for another project's cluster and ConflictError for a missing config file", async () => {
      const foreign = await make(OTHER_CREDENTIAL)
        .clusters.configs(id)
        .catch((e: unknown) => e)
      expect(foreign).toBeInstanceOf(NotFoundError)
      expect(foreign).toMatchObject({ status: 404, code: 'CLUSTER_NOT_FOUND' })

      const url = `${s.url}/v1/proj/no-such-bucket/config.json`
      const { id: fileCluster } = await client.clusters.create(
        minimalSpec(uniqueName('cfg-url'), {
          config: { hdfsReplication: 3, hdfsBlockSize: 128, configFileUrl: url },
        }) as never,
      )
      const missing = await client.clusters.configs(fileCluster).catch((e: unknown) => e)
      expect(missing).toBeInstanceOf(ConflictError)
      expect(missing).toMatchObject({ status: 409, code: 'CONFIG_FILE_NOT_FOUND' })
      expect((missing as Error).message).toContain(url)

      // The CLI says the same, with the conflict exit code.
      const r = await cli(['clusters', 'configs', fileCluster])
      expect(r.code).toBe(5)
      expect(r.stderr).toContain('CONFIG_FILE_NOT_FOUND')
      expect(r.stderr).toContain(url)
      expect(r.stdout).toBe('')
    })
  })

  describe('CLI: hadoop-eco clusters configs', () => {
    it("prints the masters' files under a header each", async () => {
      const r = await cli(['clusters', 'configs', id])
      expect(r.code, r.stderr).toBe(0)
      // Not a terminal: no colour codes in the headers.
      expect(r.stdout).not.toContain('\x1b')
      const headers = [...r.stdout.matchAll(/^==> (.+) <==$/gm)].map((m) => m[1])
      expect(headers).toEqual(configs.master.map((f) => f.path))
      expect(r.stdout).toContain(
        `==> /etc/hadoop/conf/core-site.xml <==\n${content('master', '/etc/hadoop/conf/core-site.xml')}\n==> `,
      )
    })

    it("--role worker prints the workers' files only", async () => {
      const r = await cli(['clusters', 'configs', id, '--role', 'worker'])
      expect(r.code, r.stderr).toBe(0)
      const headers = [...r.stdout.matchAll(/^==> (.+) <==$/gm)].map((m) => m[1])
      expect(headers).toEqual(configs.worker.map((f) => f.path))
      expect(headers).not.toContain('/etc/hive/conf/hive-site.xml')
      expect(r.stdout).toContain('coordinator=false')
    })

    it('--file prints one file byte for byte, by name or by path', async () => {
      const byName = await cli(['clusters', 'configs', id, '--file', 'core-site.xml'])
      expect(byName.code, byName.stderr).toBe(0)
      expect(byName.stdout).toBe(content('master', '/etc/hadoop/conf/core-site.xml'))
      const byPath = await cli([
        'clusters',
        'configs',
        id,
        '--role',
        'worker',
        '-f',
        '/etc/trino/config.properties',
      ])
      expect(byPath.code, byPath.stderr).toBe(0)
      expect(byPath.stdout).toBe(content('worker', '/etc/trino/config.properties'))
    })

    it('-o json and yaml give the whole answer, the files of a role, or one file', async () => {
      const all = await cli(['clusters', 'configs', id, '-o', 'json'])
      expect(all.code, all.stderr).toBe(0)
      expect(JSON.parse(all.stdout)).toEqual(configs)
      const worker = await cli(['clusters', 'configs', id, '--role', 'worker', '-o', 'yaml'])
      expect(parseYaml(worker.stdout)).toEqual(configs.worker)
      const one = await cli(['clusters', 'configs', id, '--file', 'hdfs-site.xml', '-o', 'json'])
      expect(JSON.parse(one.stdout)).toEqual(
        configs.master.find((f) => f.path === '/etc/hadoop/conf/hdfs-site.xml'),
      )
    })

    it('exits 4 for a file the role does not have, 2 for a bad --role, 4 for an unknown cluster', async () => {
      const none = await cli(['clusters', 'configs', id, '--role', 'worker', '--file', 'hive-site.xml'])
      expect(none.code).toBe(4)
      expect(none.stdout).toBe('')
      expect(none.stderr).toContain('the worker role has no file hive-site.xml')
      expect(none.stderr).toContain('/etc/hadoop/conf/core-site.xml')

      const role = await cli(['clusters', 'configs', id, '--role', 'boss'])
      expect(role.code).toBe(2)
      expect(role.stderr).toContain('--role must be master or worker (got "boss")')

      const unknown = await cli(['clusters', 'configs', '7d0f9c4e-0000-4000-8000-000000000000'])
      expect(unknown.code).toBe(4)
      expect(unknown.stderr).toContain('CLUSTER_NOT_FOUND')

      const extra = await cli(['clusters', 'configs', id, '--count', '2'])
      expect(extra.code).toBe(2)
    })

    it('has --help with its options and examples', async () => {
      const r = await cli(['clusters', 'configs', '--help'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('Usage: hadoop-eco clusters configs ID [--role master|worker] [--file NAME]')
      expect(r.stdout).toContain('Examples:')
      expect(r.stdout).toContain('--endpoint URL')
      expect((await cli(['clusters', '--help'])).stdout).toContain('configs ID [--role R] [--file NAME]')
      expect((await cli(['--help'])).stdout).toContain('clusters configs ID')
    })
  })
})
