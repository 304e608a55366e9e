import { sql, type Kysely } from 'kysely'
import type { Dialect } from './db.js'

/**
 * Numbered migrations, run in order by name on SQLite and PostgreSQL alike. Never edit one
 * that has shipped: add the next number.
 */
export const migrations: Array<{ name: string, up: (db: Kysely<unknown>, dialect: Dialect) => Promise<void> }> = [
  {
    name: '001-history',
    up: async (db, dialect) => {
      const id = dialect === 'postgres' ? 'bigserial' : 'integer'
      await db.schema.createTable('sweeps')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('trigger', 'text', c => c.notNull())
        .addColumn('started_by', 'text')
        .addColumn('started_at', 'bigint', c => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('state', 'text', c => c.notNull())
        .addColumn('total', 'integer', c => c.notNull())
        .addColumn('done', 'integer', c => c.notNull())
        .addColumn('online', 'integer', c => c.notNull())
        .addColumn('down', 'integer', c => c.notNull())
        .addColumn('flapping', 'integer', c => c.notNull())
        .addColumn('failure', 'text')
        .execute()
      await db.schema.createIndex('sweeps_region_started').on('sweeps').columns(['region', 'started_at']).execute()

      await db.schema.createTable('camera_state')
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('name', 'text')
        .addColumn('inference_id', 'text')
        .addColumn('server', 'integer')
        .addColumn('status', 'text', c => c.notNull())
        .addColumn('flapping', 'integer', c => c.notNull())
        .addColumn('since', 'bigint', c => c.notNull())
        .addColumn('last_seen', 'bigint', c => c.notNull())
        .addColumn('last_sweep_id', 'bigint', c => c.notNull())
        .addColumn('error', 'text')
        .addColumn('reconnects_today', 'integer', c => c.notNull())
        .addPrimaryKeyConstraint('camera_state_pk', ['region', 'cctv_id'])
        .execute()

      await db.schema.createTable('changes')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('at', 'bigint', c => c.notNull())
        .addColumn('sweep_id', 'bigint', c => c.notNull())
        .addColumn('kind', 'text', c => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text', c => c.notNull())
        .execute()
      await db.schema.createIndex('changes_region_at').on('changes').columns(['region', 'at']).execute()
      await db.schema.createIndex('changes_camera_at').on('changes').columns(['region', 'cctv_id', 'at']).execute()

      await db.schema.createTable('results')
        .addColumn('sweep_id', 'bigint', c => c.notNull())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('at', 'bigint', c => c.notNull())
        .addColumn('status', 'text', c => c.notNull())
        .addColumn('flapping', 'integer', c => c.notNull())
        .addColumn('probe_ms', 'integer', c => c.notNull())
        .addColumn('error', 'text')
        .execute()
      await db.schema.createIndex('results_camera_at').on('results').columns(['region', 'cctv_id', 'at']).execute()
      await db.schema.createIndex('results_at').on('results').columns(['at']).execute()

      await db.schema.createTable('daily')
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('day', 'text', c => c.notNull())
        .addColumn('up', 'integer', c => c.notNull())
        .addColumn('total', 'integer', c => c.notNull())
        .addPrimaryKeyConstraint('daily_pk', ['region', 'cctv_id', 'day'])
        .execute()
      await db.schema.createIndex('daily_day').on('daily').columns(['day']).execute()
    }
  },
  {
    // Aggregates read by the monitor's API instead of scanning raw rows (as Uptime Kuma does):
    // per camera per hour (24 h uptime), per region per day (the fleet's 30-day bar), and the
    // day's highest reconnect count per camera (a camera's reconnects per day).
    name: '002-aggregates',
    up: async (db) => {
      await db.schema.createTable('hourly')
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('hour', 'bigint', c => c.notNull())
        .addColumn('up', 'integer', c => c.notNull())
        .addColumn('total', 'integer', c => c.notNull())
        .addPrimaryKeyConstraint('hourly_pk', ['region', 'hour', 'cctv_id'])
        .execute()
      await db.schema.createTable('region_daily')
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('day', 'text', c => c.notNull())
        .addColumn('up', 'integer', c => c.notNull())
        .addColumn('total', 'integer', c => c.notNull())
        .addPrimaryKeyConstraint('region_daily_pk', ['region', 'day'])
        .execute()
      await db.schema.alterTable('daily').addColumn('reconnects', 'integer', c => c.notNull().defaultTo(0)).execute()
      // The uptime windows read a region's days, not one camera's.
      await db.schema.createIndex('daily_region_day').on('daily').columns(['region', 'day']).execute()
      await db.schema.createIndex('camera_state_region_status').on('camera_state').columns(['region', 'status']).execute()
      await db.schema.createIndex('sweeps_state').on('sweeps').columns(['region', 'state']).execute()
    }
  },
  {
    // Several gateways on one database (PostgreSQL): each scheduled tick is claimed once
    // (monitor_ticks), and a region's sweep holds a lease while it runs (monitor_lease), so a
    // tick that finds it running anywhere is kept as skipped. Sweeps name the gateway that ran them.
    name: '003-claims',
    up: async (db) => {
      await db.schema.createTable('monitor_ticks')
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('slot', 'bigint', c => c.notNull())
        .addColumn('gateway', 'text', c => c.notNull())
        .addColumn('claimed_at', 'bigint', c => c.notNull())
        .addPrimaryKeyConstraint('monitor_ticks_pk', ['region', 'slot'])
        .execute()
      await db.schema.createTable('monitor_lease')
        .addColumn('region', 'text', c => c.primaryKey())
        .addColumn('gateway', 'text', c => c.notNull())
        .addColumn('until', 'bigint', c => c.notNull())
        .execute()
      await db.schema.alterTable('sweeps').addColumn('gateway', 'text').execute()
    }
  },
  {
    // Alerts (issue 16): each camera's streaks and whether it has alerted, a region's failure
    // state, the outbox (alerts and one delivery per channel, each attempt kept), and the
    // maintenance windows created through the API.
    name: '004-alerts',
    up: async (db, dialect) => {
      const id = dialect === 'postgres' ? 'bigserial' : 'integer'
      await db.schema.alterTable('camera_state').addColumn('down_streak', 'integer', c => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('camera_state').addColumn('up_streak', 'integer', c => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('camera_state').addColumn('alerted_at', 'bigint').execute()
      await db.schema.createTable('region_alert')
        .addColumn('region', 'text', c => c.primaryKey())
        .addColumn('failing_since', 'bigint')
        .addColumn('alerted', 'integer', c => c.notNull().defaultTo(0))
        .execute()
      await db.schema.createTable('alerts')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('sweep_id', 'bigint')
        .addColumn('at', 'bigint', c => c.notNull())
        .addColumn('kind', 'text', c => c.notNull())
        .addColumn('body', 'text', c => c.notNull())
        .execute()
      await db.schema.createIndex('alerts_region_at').on('alerts').columns(['region', 'at']).execute()
      await db.schema.createTable('deliveries')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('alert_id', 'bigint', c => c.notNull())
        .addColumn('channel', 'text', c => c.notNull())
        .addColumn('state', 'text', c => c.notNull())
        .addColumn('attempts', 'integer', c => c.notNull().defaultTo(0))
        .addColumn('next_at', 'bigint', c => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('sent_at', 'bigint')
        .execute()
      await db.schema.createIndex('deliveries_channel_state').on('deliveries').columns(['channel', 'state', 'id']).execute()
      await db.schema.createIndex('deliveries_alert').on('deliveries').columns(['alert_id']).execute()
      await db.schema.createTable('delivery_attempts')
        .addColumn('delivery_id', 'bigint', c => c.notNull())
        .addColumn('at', 'bigint', c => c.notNull())
        .addColumn('ok', 'integer', c => c.notNull())
        .addColumn('detail', 'text')
        .execute()
      await db.schema.createIndex('delivery_attempts_delivery').on('delivery_attempts').columns(['delivery_id', 'at']).execute()
      await db.schema.createTable('maintenance')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('server', 'integer')
        .addColumn('cctv_ids', 'text')
        .addColumn('from_at', 'bigint')
        .addColumn('to_at', 'bigint')
        .addColumn('cron', 'text')
        .addColumn('duration_ms', 'bigint')
        .addColumn('reason', 'text')
        .addColumn('created_by', 'text', c => c.notNull())
        .addColumn('created_at', 'bigint', c => c.notNull())
        .addColumn('ended_at', 'bigint')
        .execute()
      await db.schema.createIndex('maintenance_region').on('maintenance').columns(['region', 'ended_at']).execute()
    }
  },
  {
    // Picture health (issue 18): the frame the monitor took when a camera changed to black or frozen.
    name: '005-thumbnails',
    up: async (db, dialect) => {
      await db.schema.createTable('thumbnails')
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('at', 'bigint', c => c.notNull())
        .addColumn('jpeg', dialect === 'postgres' ? 'bytea' : 'blob', c => c.notNull())
        .addPrimaryKeyConstraint('thumbnails_pk', ['region', 'cctv_id', 'at'])
        .execute()
    }
  },
  {
    // The record's truth (issue 22): a camera's first state is `first_seen`, not news of an
    // outage; a change says which sweep saw it (manual ones, who); a sweep says whether it
    // watched pictures; the lease carries a fencing token; the region knows when its monitor
    // started (its first sweep is one summary, not an alert per camera).
    name: '006-record',
    up: async (db) => {
      await db.schema.alterTable('sweeps').addColumn('picture', 'integer', c => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('changes').addColumn('trigger', 'text', c => c.notNull().defaultTo('scheduled')).execute()
      await db.schema.alterTable('changes').addColumn('started_by', 'text').execute()
      await db.schema.alterTable('monitor_lease').addColumn('token', 'text').execute()
      await db.schema.alterTable('region_alert').addColumn('started_at', 'bigint').execute()
      await sql`update changes set kind = 'first_seen' where from_status is null`.execute(db)
      await sql`update changes set trigger = 'manual' where sweep_id in (select id from sweeps where trigger = 'manual')`.execute(db)
      // A region the monitor already swept has started: its next sweep is no "monitoring started".
      await sql`update region_alert set started_at = (select min(finished_at) from sweeps where sweeps.region = region_alert.region and trigger = 'scheduled' and state = 'done')`.execute(db)
      await sql`insert into region_alert (region, failing_since, alerted, started_at)
        select region, null, 0, min(finished_at) from sweeps
        where trigger = 'scheduled' and state = 'done' and region not in (select region from region_alert)
        group by region`.execute(db)
    }
  },
  {
    // The views cameras must keep (issue 24): up to two reference frames per camera (day and
    // night), taken by a person or the monitor's bulk action.
    name: '007-view-references',
    up: async (db, dialect) => {
      await db.schema.createTable('view_references')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', c => c.primaryKey())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('taken_at', 'bigint', c => c.notNull())
        .addColumn('taken_by', 'text', c => c.notNull())
        .addColumn('jpeg', dialect === 'postgres' ? 'bytea' : 'blob', c => c.notNull())
        .execute()
      await db.schema.createIndex('view_references_camera').on('view_references').columns(['region', 'cctv_id']).execute()
    }
  },
  {
    // Incidents (issue 25): changes that share a cause, their cameras, their timeline (the
    // monitor's events, the people's acknowledgements and notes); notes on cameras.
    name: '008-incidents',
    up: async (db, dialect) => {
      const id = dialect === 'postgres' ? 'bigserial' : 'integer'
      await db.schema.createTable('incidents')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cause', 'text', c => c.notNull())
        .addColumn('key', 'text')
        .addColumn('state', 'text', c => c.notNull())
        .addColumn('opened_at', 'bigint', c => c.notNull())
        .addColumn('acknowledged_at', 'bigint')
        .addColumn('acknowledged_by', 'text')
        .addColumn('resolved_at', 'bigint')
        .addColumn('resolved_by', 'text')
        .execute()
      await db.schema.createIndex('incidents_region_state').on('incidents').columns(['region', 'state']).execute()
      await db.schema.createIndex('incidents_region_opened').on('incidents').columns(['region', 'opened_at']).execute()
      await db.schema.createTable('incident_cameras')
        .addColumn('incident_id', 'bigint', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('status', 'text', c => c.notNull())
        .addColumn('down_at', 'bigint', c => c.notNull())
        .addColumn('back_at', 'bigint')
        .addPrimaryKeyConstraint('incident_cameras_pk', ['incident_id', 'cctv_id'])
        .execute()
      await db.schema.createTable('incident_events')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('incident_id', 'bigint', c => c.notNull())
        .addColumn('at', 'bigint', c => c.notNull())
        .addColumn('kind', 'text', c => c.notNull())
        .addColumn('by', 'text')
        .addColumn('text', 'text')
        .addColumn('cctv_ids', 'text')
        .addColumn('sweep_id', 'bigint')
        .execute()
      await db.schema.createIndex('incident_events_incident').on('incident_events').columns(['incident_id', 'at']).execute()
      await db.schema.createTable('camera_notes')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('cctv_id', 'text', c => c.notNull())
        .addColumn('at', 'bigint', c => c.notNull())
        .addColumn('by', 'text', c => c.notNull())
        .addColumn('text', 'text', c => c.notNull())
        .execute()
      await db.schema.createIndex('camera_notes_camera').on('camera_notes').columns(['region', 'cctv_id', 'at']).execute()
    }
  },
  {
    // Escalation (issue 25): when an unacknowledged incident was told to its escalation channels.
    name: '009-incident-escalation',
    up: async (db) => {
      await db.schema.alterTable('incidents').addColumn('escalated_at', 'bigint').execute()
    }
  },
  {
    // People (issue 26): accounts with an Argon2id hash, and their roles per region ('*': all).
    name: '010-users',
    up: async (db, dialect) => {
      const id = dialect === 'postgres' ? 'bigserial' : 'integer'
      await db.schema.createTable('users')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('username', 'text', c => c.notNull().unique())
        .addColumn('display_name', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('disabled', 'integer', c => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', c => c.notNull())
        .addColumn('updated_at', 'bigint', c => c.notNull())
        .execute()
      await db.schema.createTable('user_roles')
        .addColumn('user_id', 'bigint', c => c.notNull())
        .addColumn('region', 'text', c => c.notNull())
        .addColumn('role', 'text', c => c.notNull())
        .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'region'])
        .execute()
    }
  },
  {
    // People, second part (issue 26): a person's sessions end when their epoch moves (disabled, a new
    // password, an admin's "end sessions"), on every gateway sharing the database; site logins held
    // sealed (lib/sealed.ts); read-only integration tokens scoped to regions, kept as digests.
    name: '011-sessions-credentials-tokens',
    up: async (db, dialect) => {
      const id = dialect === 'postgres' ? 'bigserial' : 'integer'
      await db.schema.alterTable('users').addColumn('session_epoch', 'integer', c => c.notNull().defaultTo(0)).execute()
      await db.schema.createTable('site_credentials')
        .addColumn('region', 'text', c => c.primaryKey())
        .addColumn('ssh_id', 'text', c => c.notNull())
        .addColumn('sealed', 'text', c => c.notNull())
        .addColumn('updated_at', 'bigint', c => c.notNull())
        .addColumn('updated_by', 'text', c => c.notNull())
        .execute()
      await db.schema.createTable('api_tokens')
        .addColumn('id', id, c => c.primaryKey())
        .addColumn('name', 'text', c => c.notNull().unique())
        .addColumn('digest', 'text', c => c.notNull().unique())
        .addColumn('regions', 'text', c => c.notNull())
        .addColumn('created_at', 'bigint', c => c.notNull())
        .addColumn('created_by', 'text', c => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute()
    }
  },
  {
    // Single sign-on (issue 26): the IdP's subject a person signs in as (null: a local account).
    name: '012-users-oidc-subject',
    up: async (db) => {
      await db.schema.alterTable('users').addColumn('oidc_subject', 'text').execute()
      await db.schema.createIndex('users_oidc_subject').unique().on('users').column('oidc_subject').execute()
    }
  }
]
