import type { Database } from './db.js'

const KEY = 'provider'

/**
 * Which provider made this database's clusters. A server started with another one while
 * clusters are live would hand them to it: the Kubernetes provider would "repair" simulated
 * clusters into real pods, the simulator would forget real ones and leave their pods running.
 */
export const createProviderBindingStore = (database: Database) => {
  const { db } = database
  return {
    /** The recorded provider; undefined for a database from before it was recorded. */
    async bound(): Promise<string | undefined> {
      const row = await db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst()
      return row?.value
    },

    async bind(provider: string): Promise<void> {
      await db
        .insertInto('settings')
        .values({ key: KEY, value: provider })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: provider }))
        .execute()
    },

    /** Clusters not terminated yet (their status is not `Terminated(...)`). */
    async liveClusters(): Promise<number> {
      const row = await db
        .selectFrom('clusters')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'not like', 'Terminated%')
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
