import type { ObjectStore } from './object-store.js'
import { resolveObjectUrl } from './url.js'

/**
 * The bytes of the object a spec URL names, in `project` (whatever project the URL itself
 * names); undefined when the URL maps to no object, as on the real service. Stops after
 * `maxBytes + 1` bytes: enough to tell the object is too large, never more in memory.
 */
export const readObjectBytes = async (
  objects: Pick<ObjectStore, 'get'>,
  project: string,
  url: string,
  maxBytes: number,
): Promise<Buffer | undefined> => {
  const at = resolveObjectUrl(url)
  if (!at) return undefined
  const found = await objects.get(project, at.bucket, at.key)
  if (!found) return undefined
  const chunks: Buffer[] = []
  let bytes = 0
  // Leaving the loop early destroys the stream, which releases the file or the connection.
  for await (const chunk of found.body) {
    const b = Buffer.from(chunk as Uint8Array)
    chunks.push(b)
    bytes += b.length
    if (bytes > maxBytes) break
  }
  return Buffer.concat(chunks).subarray(0, maxBytes + 1)
}

/** The same, as UTF-8 text. */
export const readObjectText = async (
  objects: Pick<ObjectStore, 'get'>,
  project: string,
  url: string,
  maxBytes: number,
): Promise<string | undefined> =>
  // A multi-byte character cut at the limit decodes to U+FFFD, never to fewer bytes.
  (await readObjectBytes(objects, project, url, maxBytes))?.toString('utf8')
