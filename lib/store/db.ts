import { mkdirSync } from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration, type MigrationProvider } from 'kysely'
import type { Schema } from './schema.js'
import { migrations } from './migrations.js'

export type Dialect = 'sqlite' | 'postgres'

/** A transaction of the history database, as Kysely hands it to `transaction().execute`. */
export type Tx = Parameters<Parameters<ReturnType<Kysely<Schema>['transaction']>['execute']>[0]>[0]

export interface Database {
  db: Kysely<Schema>
  dialect: Dialect
  /** The driver underneath, for bulk loads that a query builder would slow (sim/history.ts). */
  raw: { sqlite?: SQLite.Database, pool?: pg.Pool }
  close: () => Promise<void>
}

/** What to open: PostgreSQL when `url` is set (DATABASE_URL), else an SQLite file (HISTORY_DB). */
export interface DatabaseOptions { url?: string, file: string }

/**
 * Opens the history database and brings its schema up to date (numbered migrations, the
 * same on both engines). SQLite runs in WAL mode, so readers never wait for the writer;
 * PostgreSQL's BIGINT (times in ms) comes back as a JS number, not a string.
 */
export async function openDatabase (opts: DatabaseOptions): Promise<Database> {
  let db: Kysely<Schema>
  let dialect: Dialect
  const raw: Database['raw'] = {}
  if (opts.url !== undefined && opts.url !== '') {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: 10,
      connectionTimeoutMillis: 10_000,
      // int8 (BIGINT, our times in ms) as a number: they stay far below 2^53.
      types: { getTypeParser: (oid: number, format?: string) => oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text') }
    })
    raw.pool = pool
    db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) })
    dialect = 'postgres'
  } else {
    mkdirSync(path.dirname(path.resolve(opts.file)), { recursive: true })
    const sqlite = new SQLite(opts.file)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('synchronous = NORMAL')
    sqlite.pragma('busy_timeout = 5000')
    sqlite.pragma('foreign_keys = ON')
    raw.sqlite = sqlite
    db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) })
    dialect = 'sqlite'
  }
  try {
    await migrate(db, dialect)
  } catch (err) {
    await db.destroy()
    throw err
  }
  return { db, dialect, raw, close: async () => { await db.destroy() } }
}

async function migrate (db: Kysely<Schema>, dialect: Dialect): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: async () => Object.fromEntries(migrations.map(m => [m.name, { up: async (k: Kysely<unknown>) => { await m.up(k, dialect) } } satisfies Migration]))
  }
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest()
  if (error !== undefined) {
    const failed = results?.find(r => r.status === 'Error')?.migrationName
    throw new Error(`history database: migration ${failed ?? '?'} failed: ${(error as Error).message}`)
  }
}
