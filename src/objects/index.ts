import { createFileObjectStore } from './file-store.js'
import type { ObjectStore } from './object-store.js'

export * from './object-store.js'
export { createFileObjectStore, type FileObjectStoreOptions } from './file-store.js'
export type { S3ObjectStoreOptions } from './s3-store.js'
export * from './url.js'
export { readObjectBytes, readObjectText } from './read-text.js'
export { contentTypeFor, DEFAULT_CONTENT_TYPE } from './content-type.js'

/** `HADOOP_ECO_OBJECT_STORE`: `file:<dir>` or `s3` with its settings (DESIGN section 8). */
export type ObjectStoreConfig =
  | { kind: 'file'; dir: string }
  | {
      kind: 's3'
      endpoint?: string
      region: string
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
    }

/**
 * The configured back-end. The S3 one is loaded only when asked for: the AWS SDK takes a while
 * to load, and a server on the file back-end never needs it.
 * @example
 * const objects = await createObjectStore({ kind: 'file', dir: './data/objects' })
 * await objects.put('default', 'my-bucket', 'hello.txt', Readable.from(['hello']))
 */
export const createObjectStore = async (config: ObjectStoreConfig): Promise<ObjectStore> => {
  if (config.kind === 'file') return createFileObjectStore({ dir: config.dir })
  const { createS3ObjectStore } = await import('./s3-store.js')
  return createS3ObjectStore(config)
}
