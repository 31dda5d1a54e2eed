import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'

/** s3rver's fixed account: any S3 client signs with it. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export interface S3rverHandle {
  endpoint: string
  /** Where s3rver keeps its buckets (to show that nothing was written). */
  dir: string
  close(): Promise<void>
}

/** A real S3-compatible server on 127.0.0.1, on a free port, in a temp dir of its own. */
export const startS3rver = async (): Promise<S3rverHandle> => {
  const dir = mkdtempSync(join(tmpdir(), 'hadoop-eco-s3rver-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir })
  const { port } = await server.run()
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dir,
    async close() {
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
