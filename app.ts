import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyServerOptions } from 'fastify'
import AutoLoad from '@fastify/autoload'
import type { Env } from './lib/env.js'
import type { ChannelConfig, RegionConfig } from './lib/config/regions.js'
import { maskSecrets } from './lib/mask.js'
import type { Role } from './lib/roles.js'
import { systemClock, type Clock } from './lib/clock.js'

const dirname = path.dirname(fileURLToPath(import.meta.url))

export interface AppConfig {
  env: Env
  regions: Map<string, RegionConfig>
  /** Where alerts go (the regions file's `notify`); none when absent. */
  channels?: ChannelConfig[]
  /** Single sign-on: an IdP group → its roles per region (the regions file's `groups`). */
  groups?: Map<string, Map<string, Role>>
  /** Resolved session secret (generated at start when SESSION_SECRET is unset). */
  sessionSecret: string
  /** What time it is for the monitor, its store, alerts and maintenance (tests set it; default: the system's). */
  clock?: Clock
}

export interface AppOptions {
  config: AppConfig
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
    /** The record's clock (AppConfig.clock). */
    clock: Clock
  }
}

/**
 * The whole gateway as one plugin, so tests can build it without listening
 * (server.ts adds the listener, signals and the demo site).
 * Order matters: third-party plugins, then ours (decorators, error handler), then routes.
 */
const app: FastifyPluginAsync<AppOptions> = async (fastify: FastifyInstance, opts: AppOptions) => {
  fastify.decorate('config', opts.config)
  fastify.decorate('clock', opts.config.clock ?? systemClock)

  await fastify.register(AutoLoad, {
    dir: path.join(dirname, 'plugins/external'),
    options: opts
  })
  await fastify.register(AutoLoad, {
    dir: path.join(dirname, 'plugins/app'),
    options: opts
  })
  await fastify.register(AutoLoad, {
    dir: path.join(dirname, 'routes'),
    autoHooks: true,
    cascadeHooks: true,
    options: opts
  })
}

export default app

/** Fastify server options shared by server.ts and the tests. */
export function serverOptions (env: Env): FastifyServerOptions & { logger: Record<string, unknown> } {
  return {
    logger: {
      level: env.LOG_LEVEL,
      // Secrets never reach the log, whatever a future log line includes.
      redact: {
        paths: ['password', '*.password', 'secret', '*.secret', 'req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
        censor: '***'
      },
      hooks: {
        // Camera credentials inside URLs never reach the log, whichever line carries them.
        logMethod (args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(this, args.map(a => typeof a === 'string' ? maskSecrets(a) : a))
        }
      }
    },
    // A URL Fastify cannot even route (bad percent-encoding, …) gets the envelope and a code too.
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as FastifyReply).code(400).send({ code: 'BAD_REQUEST', message: error.message })
    },
    // Fastify's 10 s default is reachable by a busy machine loading the plugins (the tests load
    // them from TypeScript): a minute still catches a plugin that never finishes starting.
    pluginTimeout: 60_000,
    trustProxy: env.TRUST_PROXY,
    bodyLimit: env.BODY_LIMIT_BYTES,
    requestIdHeader: false,
    ajv: {
      customOptions: {
        // "22" is not a port: types are checked, not coerced (querystrings are strings by schema).
        coerceTypes: false,
        removeAdditional: false,
        allErrors: false
      }
    }
  }
}
