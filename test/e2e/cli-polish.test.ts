import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli } from './build.js'
import { cliEnv, runCli, startE2EServer, tempHome, type E2EServer } from './harness.js'

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
})
