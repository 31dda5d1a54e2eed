import { randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { contentTypeFor } from '../objects/content-type.js'
import {
  InvalidObjectUrlError,
  kakaoObjectStorageEndpoint,
  parseObjectUrl,
  type ObjectLocation,
} from '../objects/url.js'
import type { ObjectStore } from '../objects/object-store.js'
import type { HadoopEcoClient, ObjectEntry } from '../sdk/index.js'
import {
  CONNECTION_OPTIONS,
  parseCommandLine,
  processIO,
  writeError,
  type CliIO,
  type CommandGroup,
} from './command-line.js'
import { EXIT, UsageError, exitCodeFor } from './exit-codes.js'
import { OBJECTS_HELP, OBJECT_COMMAND_HELP } from './help.js'
import { makeColors, parseFormat, serialize, table, type Colors } from './output.js'
import { clientFor } from './settings.js'

const OPTIONS = { ...CONNECTION_OPTIONS, 'content-type': { type: 'string' } } as const

/** Per command: how many arguments (min, max) and its own flags. */
const COMMANDS: Record<string, { args: [number, number]; usage: string; flags: (keyof typeof OPTIONS)[] }> = {
  put: { args: [2, 2], usage: 'FILE URL', flags: ['content-type', 'output'] },
  get: { args: [1, 2], usage: 'URL [FILE]', flags: [] },
  ls: { args: [1, 1], usage: 'URL-PREFIX', flags: ['output'] },
  rm: { args: [1, 1], usage: 'URL', flags: [] },
}

/** `hadoop-eco objects`: what the parser, the help and the shell completions read. */
export const OBJECTS: CommandGroup<typeof OPTIONS, (typeof COMMANDS)[string]> = {
  path: 'objects',
  options: OPTIONS,
  // -o only where there is something to print (put and ls).
  common: (Object.keys(CONNECTION_OPTIONS) as (keyof typeof OPTIONS)[]).filter((f) => f !== 'output'),
  commands: COMMANDS,
  help: OBJECTS_HELP,
  commandHelp: OBJECT_COMMAND_HELP,
  bareExit: EXIT.USAGE,
}

/** An object or bucket that is not there, on the S3 side (the server's 404s are NotFoundErrors). */
class MissingObjectError extends Error {
  override name = 'MissingObjectError'
}

const columns = [
  { header: 'NAME', value: (o: ObjectEntry) => o.name },
  { header: 'BYTES', value: (o: ObjectEntry) => String(o.bytes) },
  { header: 'LAST MODIFIED', value: (o: ObjectEntry) => o.lastModified },
]

/** The two ways to reach objects: this server's Swift-style route, or S3 directly. */
interface Target {
  put(loc: ObjectLocation, file: string, contentType: string, readStdin: () => Readable): Promise<ObjectEntry>
  get(loc: ObjectLocation): Promise<Readable>
  list(loc: ObjectLocation): Promise<ObjectEntry[]>
  remove(loc: ObjectLocation): Promise<void>
  close(): Promise<void>
}

const swiftTarget = (client: HadoopEcoClient): Target => ({
  async put(loc, file, contentType, readStdin) {
    // A file goes as a Blob: streamed from disk with its length, and retried if need be.
    const body = file === '-' ? Readable.toWeb(readStdin()) : await openAsBlob(file)
    return client.objects.put(loc.bucket, loc.key, body as ReadableStream<Uint8Array> | Blob, { contentType })
  },
  async get(loc) {
    return Readable.fromWeb((await client.objects.get(loc.bucket, loc.key)).body as never)
  },
  async list(loc) {
    const out: ObjectEntry[] = []
    for await (const o of client.objects.listAll(loc.bucket, loc.key ? { prefix: loc.key } : {})) out.push(o)
    return out
  },
  async remove(loc) {
    await client.objects.delete(loc.bucket, loc.key)
  },
  async close() {},
})

const s3Target = async (env: NodeJS.ProcessEnv): Promise<Target> => {
  // The SDK warns on stderr that its future versions need Node 22; a CLI's stderr is the user's.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const { createS3ObjectStore } = await import('../objects/s3-store.js')
  const region = env.HADOOP_ECO_S3_REGION || 'kr-central-2'
  const store: ObjectStore = createS3ObjectStore({
    endpoint: env.HADOOP_ECO_S3_ENDPOINT || kakaoObjectStorageEndpoint(region),
    region,
  })
  const entry = (o: { key: string; bytes: number; lastModified: number }): ObjectEntry => ({
    name: o.key,
    bytes: o.bytes,
    lastModified: new Date(o.lastModified).toISOString(),
  })
  return {
    async put(loc, file, contentType, readStdin) {
      const body = file === '-' ? readStdin() : createReadStream(file)
      const contentLength = file === '-' ? undefined : (await stat(file)).size
      // The S3 back-end ignores the project: buckets belong to the S3 account.
      return entry(await store.put('', loc.bucket, loc.key, body, { contentType, contentLength }))
    },
    async get(loc) {
      const found = await store.get('', loc.bucket, loc.key)
      if (!found) throw new MissingObjectError(`no object s3://${loc.bucket}/${loc.key}`)
      return found.body
    },
    async list(loc) {
      const found = await store.list('', loc.bucket, loc.key)
      if (!found) throw new MissingObjectError(`no bucket s3://${loc.bucket}`)
      return found.map(entry)
    },
    async remove(loc) {
      if (!(await store.delete('', loc.bucket, loc.key)))
        throw new MissingObjectError(`no object s3://${loc.bucket}/${loc.key}`)
    },
    close: async () => store.close?.(),
  }
}

/** Downloads into `file` through a temp file beside it: a failed download leaves no half file. */
const writeAtomically = async (body: Readable, file: string) => {
  const temp = join(dirname(file), `.${basename(file)}.${randomUUID().slice(0, 8)}.part`)
  try {
    await pipeline(body, createWriteStream(temp, { flags: 'wx' }))
    await rename(temp, file)
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  }
}

/** What the S3 SDK's failures mean for the exit code (the server's are the SDK's error classes). */
const s3ExitCode = (e: unknown): number | undefined => {
  const name = (e as { name?: string } | undefined)?.name ?? ''
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
  if (e instanceof MissingObjectError) return EXIT.NOT_FOUND
  if (
    ['CredentialsProviderError', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'].includes(name)
  )
    return EXIT.AUTH
  if (status === 401 || status === 403) return EXIT.AUTH
  const code = (e as { code?: string } | undefined)?.code ?? ''
  if (['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code))
    return EXIT.CONNECTION
  if (status !== undefined && status >= 400 && status < 500) return EXIT.REJECTED
  return undefined
}

/** `hadoop-eco objects ...`: returns the process exit code. */
export const objectsCommand = async (argv: string[], io: CliIO = processIO()): Promise<number> => {
  const colors = makeColors(io.stderr, io.env)
  const outColors = makeColors(io.stdout, io.env)
  const line = parseCommandLine(OBJECTS, argv, io)
  if ('exit' in line) return line.exit
  const { sub, spec, values, positionals } = line
  let target: Target | undefined
  try {
    const [min, max] = spec.args
    if (positionals.length < min || positionals.length > max)
      throw new UsageError(
        `usage: hadoop-eco objects ${sub} ${spec.usage} (got ${positionals.length} arguments)`,
      )
    const format = parseFormat(typeof values.output === 'string' ? values.output : undefined)
    const url = sub === 'put' ? (positionals[1] as string) : (positionals[0] as string)
    let loc: ObjectLocation
    try {
      loc = parseObjectUrl(url, { s3: true, prefix: sub === 'ls' })
    } catch (e) {
      if (e instanceof InvalidObjectUrlError) throw new UsageError(e.message)
      throw e
    }
    const file = sub === 'put' ? (positionals[0] as string) : positionals[1]
    // Checked before anything is sent: a typo costs no request.
    if (sub === 'put' && file !== '-') {
      const s = await stat(resolve(io.cwd, file as string)).catch(() => undefined)
      if (!s?.isFile()) throw new UsageError(`${file} is not a readable file`)
    }

    if (loc.scheme === 's3') target = await s3Target(io.env)
    else target = swiftTarget(await clientFor(values, io.env))

    const show = (items: ObjectEntry[]) =>
      io.stdout.write(format === 'table' ? table(items, columns, outColors) : serialize(items, format))
    switch (sub) {
      case 'put': {
        const type =
          typeof values['content-type'] === 'string' ? values['content-type'] : contentTypeFor(loc.key)
        const entry = await target.put(
          loc,
          file === '-' ? '-' : resolve(io.cwd, file as string),
          type,
          () => process.stdin,
        )
        if (format === 'table') show([entry])
        else io.stdout.write(serialize(entry, format))
        return EXIT.OK
      }
      case 'get': {
        const body = await target.get(loc)
        if (file === undefined || file === '-') await pipeline(body, io.stdout as Writable, { end: false })
        else await writeAtomically(body, resolve(io.cwd, file))
        return EXIT.OK
      }
      case 'ls':
        show(await target.list(loc))
        return EXIT.OK
      case 'rm':
        await target.remove(loc)
        return EXIT.OK
      default:
        throw new UsageError(`unknown command "objects ${sub}"`)
    }
  } catch (e) {
    report(e, sub, io, colors)
    return s3ExitCode(e) ?? exitCodeFor(e)
  } finally {
    await target?.close()
  }
}

const report = (e: unknown, sub: string, io: CliIO, colors: Colors) => {
  writeError(io, colors, e, `objects ${sub}`)
  if ((e as { name?: string } | undefined)?.name === 'CredentialsProviderError')
    io.stderr.write(
      colors.dim(
        's3:// URLs use the AWS credential chain: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n',
      ),
    )
}
