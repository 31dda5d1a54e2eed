import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { E2E_BIN, buildCli } from './build.js'
import {
  CREDENTIAL,
  cliEnv,
  minimalSpec,
  runCli,
  startE2EServer,
  tempHome,
  uniqueName,
  type E2EServer,
} from './harness.js'

const PACKAGE = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  version: string
}
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), answering each prompt once it shows:
 * what a person at a terminal sees, echo included.
 */
const runOnTerminal = (
  args: string[],
  answers: [prompt: string, answer: string][],
  env: Record<string, string>,
) =>
  new Promise<{ code: number | null; screen: string }>((resolve, reject) => {
    const command = [process.execPath, E2E_BIN, ...args].join(' ')
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      env: { PATH: process.env.PATH, TERM: 'dumb', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let screen = ''
    const pending = [...answers]
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d
      const next = pending[0]
      if (next && screen.includes(next[0])) {
        pending.shift()
        child.stdin.write(next[1])
      }
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => (screen += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, screen }))
  })

/** The CLI's rough edges (issue points 13 to 15), through the built CLI against the real server. */
describe('hadoop-eco CLI: mistakes, version, completion, configure, summaries', () => {
  let s: E2EServer
  let home: string
  let env: Record<string, string>

  beforeAll(async () => {
    await buildCli()
    s = await startE2EServer()
    home = tempHome()
    env = cliEnv(s.url)
  }, 180_000)
  afterAll(() => s?.close())

  const cli = (args: string[], opts: { env?: Record<string, string | undefined>; input?: string } = {}) =>
    runCli(args, { home, env: { ...env, ...opts.env }, input: opts.input })

  describe('an unknown command or option', () => {
    /** One line naming the mistake, one pointing to the help: never the whole help. */
    const expectUsageError = (r: { code: number | null; stdout: string; stderr: string }, help: string) => {
      expect(r.code, r.stderr).toBe(2)
      expect(r.stdout).toBe('')
      const lines = r.stderr.trimEnd().split('\n')
      expect(lines, r.stderr).toHaveLength(2)
      expect(lines[1]).toBe(
        `run "${['hadoop-eco', help, '--help'].filter(Boolean).join(' ')}" for usage and examples`,
      )
      return lines[0]
    }

    it('names the option and the closest valid one', async () => {
      expect(expectUsageError(await cli(['clusters', 'list', '--nmae', 'x']), 'clusters list')).toBe(
        'error: unknown option --nmae (did you mean --name?)',
      )
      expect(
        expectUsageError(await cli(['objects', 'put', 'a', 'b', '--content-tipe', 'x']), 'objects put'),
      ).toBe('error: unknown option --content-tipe (did you mean --content-type?)')
      expect(expectUsageError(await cli(['serve', '--prot', '0']), 'serve')).toBe(
        'error: unknown option --prot (did you mean --port?)',
      )
      // Only the options of that command are candidates.
      expect(expectUsageError(await cli(['clusters', 'get', 'x', '--cout', '1']), 'clusters get')).toBe(
        'error: unknown option --cout',
      )
      expect(expectUsageError(await cli(['clusters', 'get', 'x', '--count', '1']), 'clusters get')).toBe(
        'error: --count is not an option of "clusters get"',
      )
    })

    it('names the command and the closest valid ones', async () => {
      expect(expectUsageError(await cli(['clusters', 'lst']), 'clusters')).toBe(
        'error: unknown command lst (did you mean list?)',
      )
      expect(expectUsageError(await cli(['clusters', 'scale', 'x', '--count', '1']), 'clusters')).toBe(
        'error: unknown command scale (did you mean scale-out or scale-in?)',
      )
      expect(expectUsageError(await cli(['objects', 'lss', 's3://b/']), 'objects')).toBe(
        'error: unknown command lss (did you mean ls?)',
      )
      expect(expectUsageError(await cli(['clustres', 'list']), '')).toBe(
        'error: unknown command clustres (did you mean clusters?)',
      )
      expect(expectUsageError(await cli(['clusters', 'help', 'lst']), 'clusters')).toBe(
        'error: unknown command lst (did you mean list?)',
      )
    })

    it('suggests nothing when nothing is close', async () => {
      expect(expectUsageError(await cli(['clusters', 'explode']), 'clusters')).toBe(
        'error: unknown command explode',
      )
      expect(expectUsageError(await cli(['clusters', 'list', '--bogus']), 'clusters list')).toBe(
        'error: unknown option --bogus',
      )
    })

    it('says which flag lacks its value, in words', async () => {
      expect(expectUsageError(await cli(['clusters', 'list', '--name']), 'clusters list')).toBe(
        'error: --name needs a value',
      )
      expect(expectUsageError(await cli(['clusters', 'list', '--all-pages=yes']), 'clusters list')).toBe(
        'error: --all-pages takes no value',
      )
    })

    it('still shows the help when it is asked for', async () => {
      const r = await cli(['clusters', 'list', '--help', '--nmae'])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('Usage: hadoop-eco clusters list')
      const top = await cli(['help', 'clusters'])
      expect(top.code).toBe(0)
      expect(top.stdout).toContain('Usage: hadoop-eco clusters <command>')
    })
  })

  it('--version and -V print the version of package.json', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe(`${PACKAGE.version}\n`)
    }
  })

  describe('completion', () => {
    it('prints a bash script that bash accepts, with every command, subcommand and their options', async () => {
      const r = await cli(['completion', 'bash'])
      expect(r.code, r.stderr).toBe(0)
      for (const word of [
        'serve',
        'configure',
        'completion',
        'clusters',
        'objects',
        'scale-out',
        'scale-in',
        'api-key',
        'requests',
        'issue revoke',
        '--all-pages',
        '--worker-count',
        '--content-type',
        '--version',
      ])
        expect(r.stdout).toContain(word)
      const file = join(home, 'hadoop-eco.bash')
      writeFileSync(file, r.stdout)
      const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' })
      expect(syntax.status, syntax.stderr).toBe(0)

      // And it completes: the function bash would call, on a few command lines.
      const complete = (...words: string[]) => {
        const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _hadoop_eco; echo "\${COMPREPLY[*]}"`
        const out = spawnSync('bash', ['-c', script], { encoding: 'utf8' })
        expect(out.status, out.stderr).toBe(0)
        return out.stdout.trim()
      }
      expect(complete('hadoop-eco', 'cl')).toBe('clusters')
      expect(complete('hadoop-eco', 'clusters', 'sc')).toBe('scale-out scale-in')
      expect(complete('hadoop-eco', 'clusters', 'list', '--name', 'x', '--all')).toBe('--all-pages')
      expect(complete('hadoop-eco', 'clusters', 'get', 'ID', '-o', '')).toBe('table json yaml')
      expect(complete('hadoop-eco', 'objects', 'put', '--co')).toBe('--content-type')
      expect(complete('hadoop-eco', 'completion', '')).toBe('bash zsh fish --help -h')
    })

    it.skipIf(!has('zsh'))('prints a zsh script that zsh accepts', async () => {
      const r = await cli(['completion', 'zsh'])
      expect(r.code).toBe(0)
      expect(r.stdout.startsWith('#compdef hadoop-eco\n')).toBe(true)
      const file = join(home, '_hadoop-eco')
      writeFileSync(file, r.stdout)
      const syntax = spawnSync('zsh', ['-n', file], { encoding: 'utf8' })
      expect(syntax.status, syntax.stderr).toBe(0)
    })

    it.skipIf(!has('fish'))('prints a fish script that fish accepts and completes with', async () => {
      const r = await cli(['completion', 'fish'])
      expect(r.code).toBe(0)
      const file = join(home, 'hadoop-eco.fish')
      writeFileSync(file, r.stdout)
      const out = spawnSync('fish', ['-c', `source ${file}; complete -C 'hadoop-eco clusters sc'`], {
        encoding: 'utf8',
      })
      expect(out.status, out.stderr).toBe(0)
      expect(out.stdout.split('\n').filter(Boolean).sort()).toEqual(['scale-in', 'scale-out'])
    })

    it('refuses an unknown shell as a usage error', async () => {
      const r = await cli(['completion', 'tcsh'])
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain('unknown shell tcsh: give bash, zsh or fish')
      expect((await cli(['completion'])).code).toBe(2)
    })
  })

  describe('configure', () => {
    const other = {
      endpoint: 'http://127.0.0.1:9',
      credentialId: 'other-id',
      credentialSecret: 'other-secret',
    }
    /** A home whose config file already has another profile. */
    const homeWithOtherProfile = () => {
      const h = tempHome()
      mkdirSync(join(h, '.config', 'hadoop-eco'))
      const file = join(h, '.config', 'hadoop-eco', 'config.yaml')
      writeFileSync(
        file,
        `# written by hand\nprofiles:\n  other:\n${Object.entries(other)
          .map(([k, v]) => `    ${k}: ${v}\n`)
          .join('')}`,
        { mode: 0o644 },
      )
      return { h, file }
    }
    const profiles = (file: string) =>
      (parseYaml(readFileSync(file, 'utf8')) as { profiles: unknown }).profiles

    it('writes a profile from flags that clusters list then uses, keeps the others, mode 0600', async () => {
      const { h, file } = homeWithOtherProfile()
      // Nothing of the endpoint or credential in the environment from here on.
      const r = await runCli(
        [
          'configure',
          '--endpoint',
          s.url,
          '--credential-id',
          CREDENTIAL.id,
          '--credential-secret',
          CREDENTIAL.secret,
        ],
        { home: h },
      )
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toContain(`saved profile "default" in ${file}`)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(profiles(file)).toEqual({
        other,
        default: { endpoint: s.url, credentialId: CREDENTIAL.id, credentialSecret: CREDENTIAL.secret },
      })
      expect(readFileSync(file, 'utf8')).toContain('# written by hand')

      const list = await runCli(['clusters', 'list', '-o', 'json'], { home: h })
      expect(list.code, list.stderr).toBe(0)
      expect(Array.isArray(JSON.parse(list.stdout))).toBe(true)

      // A value not given keeps the profile's own.
      const again = await runCli(['configure', '--profile', 'other', '--endpoint', s.url], { home: h })
      expect(again.code, again.stderr).toBe(0)
      expect((profiles(file) as Record<string, unknown>).other).toEqual({ ...other, endpoint: s.url })
    })

    it('refuses missing values when there is no terminal to ask on, and writes nothing', async () => {
      const { h, file } = homeWithOtherProfile()
      const before = readFileSync(file, 'utf8')
      const r = await runCli(['configure', '--profile', 'prod', '--endpoint', s.url], { home: h })
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('profile "prod" needs --credential-id, --credential-secret')
      expect(readFileSync(file, 'utf8')).toBe(before)
      const bad = await runCli(
        ['configure', '--endpoint', 'ftp://x', '--credential-id', 'a', '--credential-secret', 'b'],
        { home: h },
      )
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('endpoint must be an http(s) URL')
    })

    it.skipIf(!has('script'))('asks on a terminal for what is missing, the secret without echo', async () => {
      const { h, file } = homeWithOtherProfile()
      const env = { HOME: h, XDG_CONFIG_HOME: join(h, '.config') }
      const r = await runOnTerminal(
        ['configure', '--profile', 'tty'],
        [
          ['Endpoint URL: ', `${s.url}\r`],
          ['Credential ID: ', `${CREDENTIAL.id}\r`],
          ['Credential secret: ', `${CREDENTIAL.secret}\r`],
        ],
        env,
      )
      expect(r.code, r.screen).toBe(0)
      expect(r.screen).toContain(`Endpoint URL: ${s.url}`) // echoed
      expect(r.screen).toContain(`Credential ID: ${CREDENTIAL.id}`)
      expect(r.screen).not.toContain(CREDENTIAL.secret) // not echoed
      expect(r.screen).toContain('saved profile "tty"')
      expect((profiles(file) as Record<string, unknown>).tty).toEqual({
        endpoint: s.url,
        credentialId: CREDENTIAL.id,
        credentialSecret: CREDENTIAL.secret,
      })
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const list = await runCli(['clusters', 'list', '--profile', 'tty'], { home: h })
      expect(list.code, list.stderr).toBe(0)

      // Enter keeps the current value, shown in brackets (the secret masked); Ctrl-C saves nothing.
      const before = readFileSync(file, 'utf8')
      const kept = await runOnTerminal(
        ['configure', '--profile', 'tty', '--endpoint', s.url],
        [
          [`Credential ID [${CREDENTIAL.id}]: `, '\r'],
          [`Credential secret [****${CREDENTIAL.secret.slice(-4)}]: `, '\x03'],
        ],
        env,
      )
      expect(kept.code, kept.screen).toBe(130)
      expect(kept.screen).toContain('interrupted: nothing was saved')
      expect(readFileSync(file, 'utf8')).toBe(before)
    })
  })
  describe('what a finished operation prints', () => {
    const FAST = ['--poll-interval', '20ms', '--timeout', '30s']
    const create = async (name: string, over: Record<string, unknown> = {}) => {
      const r = await cli(['clusters', 'create', '-f', '-', '--wait', ...FAST, '-o', 'json'], {
        input: JSON.stringify(minimalSpec(name, over)),
      })
      expect(r.code, r.stderr).toBe(0)
      return (JSON.parse(r.stdout) as { id: string }).id
    }

    it('delete and scale-out|scale-in --wait end with one line; -o json|yaml still print the cluster', async () => {
      const name = uniqueName('summary')
      const id = await create(name)

      const out = await cli(['clusters', 'scale-out', id, '--count', '2', '--wait', ...FAST])
      expect(out.code, out.stderr).toBe(0)
      expect(out.stdout).toBe(`scaled out ${name} (${id}) to 5 workers: Running\n`)
      expect(out.stderr).toContain('Processing') // the progress stays on stderr

      const inn = await cli(['clusters', 'scale-in', id, '--count', '1', '--wait', ...FAST, '-o', 'yaml'])
      expect(inn.code, inn.stderr).toBe(0)
      expect(parseYaml(inn.stdout)).toMatchObject({ id, name, status: 'Running', workerCnt: 4 })

      const again = await cli(['clusters', 'scale-in', id, '--count', '1', '--wait', ...FAST])
      expect(again.stdout).toBe(`scaled in ${name} (${id}) to 3 workers: Running\n`)

      const gone = await cli(['clusters', 'delete', id, '--wait', ...FAST])
      expect(gone.code, gone.stderr).toBe(0)
      expect(gone.stdout).toBe(`deleted cluster ${name} (${id}): Terminated(User)\n`)

      const other = await create(uniqueName('summary'))
      const json = await cli(['clusters', 'delete', other, '--wait', ...FAST, '-o', 'json'])
      expect(json.code, json.stderr).toBe(0)
      expect(JSON.parse(json.stdout)).toMatchObject({ id: other, status: 'Terminated(User)' })
    })

    it('get shows config.configText decoded, as indented JSON; -o json|yaml keep the Base64', async () => {
      const document = {
        configurations: [
          { classification: 'core-site', properties: { 'io.file.buffer.size': '65536' } },
          { classification: 'user-env:ubuntu', properties: { env: 'export A=1\nexport B=2' } },
        ],
      }
      const base64 = Buffer.from(JSON.stringify(document)).toString('base64')
      const id = await create(uniqueName('cfgtext'), {
        config: { hdfsReplication: 3, hdfsBlockSize: 128, configText: base64 },
      })

      const shown = await cli(['clusters', 'get', id])
      expect(shown.code, shown.stderr).toBe(0)
      expect(shown.stdout).not.toContain(base64)
      const lines = shown.stdout.split('\n')
      const at = lines.findIndex((l) => l.startsWith('config.configText '))
      const column = lines[at]!.search(/\{$/) // where the values start
      const pretty = JSON.stringify(document, null, 2).split('\n')
      const block = lines.slice(at, at + pretty.length)
      expect(block.map((l) => l.slice(column))).toEqual(pretty)
      // The lines below the first stay in the value column, so the keys stay readable.
      for (const l of block.slice(1)) expect(l.slice(0, column).trim()).toBe('')
      expect(lines[at + pretty.length]).toMatch(/^([a-zA-Z]|$)/) // the next key, or the end

      const json = await cli(['clusters', 'get', id, '-o', 'json'])
      expect((JSON.parse(json.stdout) as { config: { configText: string } }).config.configText).toBe(base64)
      const yaml = await cli(['clusters', 'get', id, '-o', 'yaml'])
      expect((parseYaml(yaml.stdout) as { config: { configText: string } }).config.configText).toBe(base64)
    })
  })
})
