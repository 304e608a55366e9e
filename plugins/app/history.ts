import fp from 'fastify-plugin'
import { openDatabase } from '../../lib/store/db.js'
import { HistoryStore } from '../../lib/store/history.js'
import { ReferenceStore } from '../../lib/store/references.js'
import { ReferenceViews } from '../../lib/ops/references.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Sweeps kept: SQLite (HISTORY_DB) or PostgreSQL (DATABASE_URL). */
    history: HistoryStore
    /** The cameras' reference views (issue 24), in the same database. */
    references: ReferenceViews
  }
}

const DAY_MS = 86_400_000

/** Opens the history database (schema migrated), prunes it daily, closes it with the app. */
export default fp(async (fastify) => {
  const { env } = fastify.config
  let database
  try {
    database = await openDatabase({ url: env.DATABASE_URL, file: env.HISTORY_DB })
  } catch (err) {
    // The URL may carry a password: the message names the engine, not the address.
    // eslint-disable-next-line preserve-caught-error -- the cause's message may carry the URL, password included
    throw new Error(`history database (${env.DATABASE_URL !== '' ? 'DATABASE_URL' : env.HISTORY_DB}) cannot be opened: ${(err as Error).message.replace(/postgres(ql)?:\/\/\S+/g, 'postgres://…')}`)
  }
  const history = new HistoryStore(database)
  fastify.decorate('history', history)
  fastify.decorate('references', new ReferenceViews(new ReferenceStore(database)))
  const prune = (): void => {
    history.prune(env.HISTORY_RAW_DAYS, env.HISTORY_DAYS, fastify.clock()).then(n => {
      if (n.results + n.hourly + n.daily > 0) fastify.log.info(n, 'history pruned')
    }, (err: Error) => { fastify.log.warn({ err: { message: err.message } }, 'history prune failed') })
  }
  const daily = setInterval(prune, DAY_MS).unref()
  fastify.addHook('onReady', async () => { prune() })
  fastify.addHook('onClose', async () => {
    clearInterval(daily)
    await database.close()
  })
}, { name: 'history' })
