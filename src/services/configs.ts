import { decodeBase64Strict } from '../domain/base64.js'
import type { ClusterRecord } from '../domain/cluster.js'
import { configFileProblem, MAX_CONFIG_FILE_BYTES, type Configurations } from '../domain/config-text.js'
import { AppError } from '../domain/errors.js'
import { renderClusterConfigs, type Classification, type RenderedConfigs } from '../domain/render-config.js'
import { readObjectText, type ObjectStore } from '../objects/index.js'
import type { Store } from '../store/index.js'
import type { Caller } from './clusters.js'

export { MAX_CONFIG_FILE_BYTES }

interface Deps {
  store: { clusters: Pick<Store['clusters'], 'get'> }
  /**
   * The text of the object a `config.configFileUrl` names, in the cluster's project; undefined
   * when no such object exists. A reader may stop after MAX_CONFIG_FILE_BYTES + 1 bytes.
   */
  readConfigFile: (project: string, url: string) => Promise<string | undefined>
}

/** `GET /v2/hadoop-eco/clusters/{id}/configs` (DESIGN section 9): what every node of the cluster gets. */
export const createConfigService = ({ store, readConfigFile }: Deps) => {
  const classificationsOf = async (c: ClusterRecord): Promise<readonly Classification[]> => {
    const { configText, configFileUrl } = c.spec.config
    if (configText !== undefined) {
      // Checked at create (DESIGN section 3): Base64 of a configurations document.
      const bytes = decodeBase64Strict(configText)
      if (!bytes) throw new Error(`cluster ${c.id}: stored configText is not Base64`)
      return (JSON.parse(bytes.toString('utf8')) as Configurations).configurations
    }
    if (configFileUrl === undefined) return []
    const text = await readConfigFile(c.project, configFileUrl)
    if (text === undefined)
      throw new AppError('CONFIG_FILE_NOT_FOUND', `config file ${configFileUrl} not found`)
    const problem = configFileProblem(text)
    if (problem)
      throw new AppError(
        'CONFIG_FILE_INVALID',
        `config file ${configFileUrl} is not a configurations document: ${problem}`,
      )
    return (JSON.parse(text) as Configurations).configurations
  }

  return {
    async configs(caller: Caller, id: string): Promise<RenderedConfigs> {
      const c = await store.clusters.get(caller.project, id)
      if (!c) throw new AppError('CLUSTER_NOT_FOUND', `cluster ${id} not found`)
      const { master, worker } = renderClusterConfigs(c, await classificationsOf(c))
      return { master, worker }
    },
  }
}

export type ConfigService = ReturnType<typeof createConfigService>

/**
 * `readConfigFile` over Object Storage (DESIGN section 8): the URL resolves in the cluster's
 * project, whatever project id it names; at most MAX_CONFIG_FILE_BYTES + 1 bytes are read.
 */
export const readConfigFileFrom =
  (objects: Pick<ObjectStore, 'get'>) =>
  (project: string, url: string): Promise<string | undefined> =>
    readObjectText(objects, project, url, MAX_CONFIG_FILE_BYTES)
