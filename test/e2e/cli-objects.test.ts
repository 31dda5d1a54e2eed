import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli } from './build.js'
import { CREDENTIAL, runCli, startE2EServer, tempHome, type E2EServer } from './harness.js'
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../objects/s3rver.js'

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe('hadoop-eco objects (child process): the server route and s3://', () => {
  let s: E2EServer
  let s3: S3rverHandle
  let home: string
  let env: Record<string, string>

  beforeAll(async () => {
    await buildCli()
    s = await startE2EServer()
    s3 = await startS3rver()
    home = tempHome()
    env = {
      HADOOP_ECO_ENDPOINT: s.url,
      HADOOP_ECO_CREDENTIAL_ID: CREDENTIAL.id,
      HADOOP_ECO_CREDENTIAL_SECRET: CREDENTIAL.secret,
      HADOOP_ECO_S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      // No instance-metadata lookups when a test leaves the credentials out.
      AWS_EC2_METADATA_DISABLED: 'true',
    }
  }, 180_000)
  afterAll(async () => {
    await s?.close()
    await s3?.close()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  const cli = (args: string[], opts: { env?: Record<string, string | undefined>; input?: string } = {}) =>
    runCli(['objects', ...args], { home, env: { ...env, ...opts.env }, input: opts.input })

  const data = Buffer.alloc(2 * 1024 * 1024 + 17)
  for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (i >> 10)) & 0xff

  // The console's "Copy object URL": another host, and a project id the server does not use.
  const consoleUrl = (bucket: string, key = '') =>
    `https://objectstorage.kr-central-2.kakaocloud.com/v1/9f1c0e2b/${bucket}${key ? `/${key}` : ''}`

  it('put, ls, get (file and stdout), rm through the server, with a console URL', async () => {
    const file = join(home, 'app.jar')
    writeFileSync(file, data)
    const put = await cli(['put', file, consoleUrl('jars', 'etl/app.jar'), '-o', 'json'])
    expect(put.code, put.stderr).toBe(0)
    expect(JSON.parse(put.stdout)).toEqual({
      name: 'etl/app.jar',
      bytes: data.length,
      lastModified: expect.any(String),
    })
    await cli(['put', '-', consoleUrl('jars', 'etl/notes%20v1.txt')], { input: 'from stdin\n' })

    const table = await cli(['ls', consoleUrl('jars')])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+BYTES\s+LAST MODIFIED$/)
    expect(table.stdout).toMatch(new RegExp(`\\netl/app\\.jar +${data.length} +\\d{4}-`))
    const json = await cli(['ls', consoleUrl('jars', 'etl/n'), '-o', 'json'])
    expect(JSON.parse(json.stdout)).toEqual([
      { name: 'etl/notes v1.txt', bytes: 11, lastModified: expect.any(String) },
    ])

    const out = join(home, 'downloaded.jar')
    const get = await cli(['get', `${s.url}/v1/x/jars/etl/app.jar`, out])
    expect(get.code, get.stderr).toBe(0)
    expect(sha(readFileSync(out))).toBe(sha(data))
    const cat = await cli(['get', consoleUrl('jars', 'etl/notes%20v1.txt')])
    expect(cat).toMatchObject({ code: 0, stdout: 'from stdin\n' })

    expect((await cli(['rm', consoleUrl('jars', 'etl/app.jar')])).code).toBe(0)
    const gone = await cli(['get', consoleUrl('jars', 'etl/app.jar'), join(home, 'never.jar')])
    expect(gone.code).toBe(4)
    expect(gone.stderr).toContain('OBJECT_NOT_FOUND')
    // A failed download leaves no file, not even a part of one.
    expect(readdirSync(home).filter((f) => f.includes('never'))).toEqual([])
    expect((await cli(['rm', consoleUrl('jars', 'etl/app.jar')])).code).toBe(4)
    expect((await cli(['ls', consoleUrl('no-such-bucket')])).code).toBe(4)
  })

  it('the same four commands on s3:// against an S3 server', async () => {
    const file = join(home, 'data.bin')
    writeFileSync(file, data)
    const put = await cli(['put', file, 's3://cli-bucket/in/data.bin'])
    expect(put.code, put.stderr).toBe(0)
    expect(put.stderr).toBe('')
    expect(put.stdout).toMatch(new RegExp(`in/data\\.bin\\s+${data.length}\\s`))
    await cli(['put', '-', 's3://cli-bucket/in/small.txt'], { input: 'small' })
    const ls = await cli(['ls', 's3://cli-bucket/in/', '-o', 'json'])
    expect(ls.code, ls.stderr).toBe(0)
    expect(
      (JSON.parse(ls.stdout) as { name: string; bytes: number }[]).map((o) => [o.name, o.bytes]),
    ).toEqual([
      ['in/data.bin', data.length],
      ['in/small.txt', 5],
    ])
    const out = join(home, 'from-s3.bin')
    expect((await cli(['get', 's3://cli-bucket/in/data.bin', out])).code).toBe(0)
    expect(sha(readFileSync(out))).toBe(sha(data))
    expect(await cli(['get', 's3://cli-bucket/in/small.txt'])).toMatchObject({ code: 0, stdout: 'small' })
    expect((await cli(['rm', 's3://cli-bucket/in/small.txt'])).code).toBe(0)
    const missing = await cli(['get', 's3://cli-bucket/in/small.txt'])
    expect(missing.code).toBe(4)
    expect(missing.stderr).toMatch(/no object s3:\/\/cli-bucket\/in\/small\.txt/)
    expect((await cli(['rm', 's3://cli-bucket/in/small.txt'])).code).toBe(4)
    expect((await cli(['ls', 's3://no-such-bucket'])).code).toBe(4)
    // The objects went to the S3 server, not to the hadoop-eco server.
    expect(existsSync(join(s.dir, 'objects', 'proj', 'cli-bucket'))).toBe(false)
  })

  it('says what is wrong before sending anything: usage 2, credentials 3', async () => {
    for (const args of [
      ['put', join(home, 'missing.txt'), consoleUrl('b-1', 'k')],
      ['get', 'https://example.com/file.txt'],
      ['get', consoleUrl('b-1', 'a/../b')],
      ['get', consoleUrl('Bad_Bucket', 'k')],
      ['get', consoleUrl('b-1')],
      ['ls'],
      ['rm', consoleUrl('b-1', 'k'), 'extra'],
      ['get', consoleUrl('b-1', 'k'), '--content-type', 'text/plain'],
    ]) {
      const r = await cli(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(/^error: /)
    }
    const noCredential = await cli(['ls', consoleUrl('b-1')], {
      env: { HADOOP_ECO_CREDENTIAL_ID: undefined, HADOOP_ECO_CREDENTIAL_SECRET: undefined },
    })
    expect(noCredential.code).toBe(2)
    expect(noCredential.stderr).toContain('credential')
    const wrong = await cli(['ls', consoleUrl('b-1')], {
      env: { HADOOP_ECO_CREDENTIAL_SECRET: 'wrong-secret' },
    })
    expect(wrong.code).toBe(3)
    const s3Wrong = await cli(['ls', 's3://cli-bucket'], { env: { AWS_ACCESS_KEY_ID: 'NOBODY' } })
    expect(s3Wrong.code, s3Wrong.stderr).toBe(3)
  })

  it('has help with examples', async () => {
    const help = await cli(['--help'])
    expect(help.code).toBe(0)
    for (const cmd of ['put FILE URL', 'get URL [FILE]', 'ls URL-PREFIX', 'rm URL', 's3://{bucket}/{key}'])
      expect(help.stdout).toContain(cmd)
    const put = await cli(['put', '--help'])
    expect(put.stdout).toMatch(/^Usage: hadoop-eco objects put FILE URL/)
    expect(put.stdout).toContain('Examples:')
    const top = await runCli(['--help'], { home, env })
    expect(top.stdout).toContain('objects put FILE URL')
  })
})
