import type { Generated } from 'kysely'

/*
 * The history database's tables as Kysely sees them. Times are milliseconds since the epoch
 * (BIGINT); days are KST calendar days 'YYYY-MM-DD' (the sites' clock); booleans are 0/1.
 */

export interface SweepsTable {
  id: Generated<number>
  region: string
  /** 'scheduled' (the monitor) or 'manual' (an operator, from the console). */
  trigger: string
  /** The SSH user who started a manual sweep; null for scheduled ones. */
  started_by: string | null
  started_at: number
  finished_at: number | null
  /** done | cancelled | failed | skipped */
  state: string
  total: number
  done: number
  online: number
  down: number
  flapping: number
  failure: string | null
  /** The gateway (GATEWAY_ID) that ran it; null before migration 003. */
  gateway: string | null
  /** 1: it watched pictures as well (migration 006). */
  picture: Generated<number>
}

export interface CameraStateTable {
  region: string
  cctv_id: string
  name: string | null
  inference_id: string | null
  server: number | null
  status: string
  flapping: number
  /** When the status (up/down class or the exact status) last changed. */
  since: number
  last_seen: number
  last_sweep_id: number
  error: string | null
  reconnects_today: number
  /** Consecutive scheduled sweeps down / up (the alert rules count these). */
  down_streak: Generated<number>
  up_streak: Generated<number>
  /** When its down alert was sent (null: no alert outstanding). */
  alerted_at: number | null
}

export interface ChangesTable {
  id: Generated<number>
  region: string
  cctv_id: string
  at: number
  sweep_id: number
  /** lib/status.ts ChangeKind: first_seen | down | up | status (another down status) | flapping | steady */
  kind: string
  from_status: string | null
  to_status: string
  /** The sweep that saw it: scheduled (the monitor) or manual (an operator: started_by). Migration 006. */
  trigger: Generated<string>
  started_by: string | null
}

export interface ResultsTable {
  sweep_id: number
  region: string
  cctv_id: string
  at: number
  status: string
  flapping: number
  probe_ms: number
  error: string | null
}

export interface DailyTable {
  region: string
  cctv_id: string
  day: string
  up: number
  total: number
  /** The day's highest `reconnects_today` (the controller log counts from midnight). */
  reconnects: Generated<number>
}

/** Per camera per hour (`hour`: ms at the hour's start): the 24 h uptime. */
export interface HourlyTable {
  region: string
  cctv_id: string
  hour: number
  up: number
  total: number
}

/** Per region per KST day: every camera's results summed (the fleet's uptime bar). */
export interface RegionDailyTable {
  region: string
  day: string
  up: number
  total: number
}

/** A scheduled tick, claimed by the one gateway that acts on it. */
export interface MonitorTicksTable {
  region: string
  /** The tick's time slot (ms): the same number on every gateway for the same tick. */
  slot: number
  gateway: string
  claimed_at: number
}

/** Who runs the region's sweep (or sends a channel, `notify:<name>`) now, until when (renewed while it runs). */
export interface MonitorLeaseTable {
  region: string
  gateway: string
  until: number
  /** The fencing token of whoever took it last (migration 006). */
  token: string | null
}

export interface RegionAlertTable {
  region: string
  /** Since when its scheduled sweeps fail (null: they do not). */
  failing_since: number | null
  /** 1 when the region alert was sent. */
  alerted: number
  /** The monitor's first counted sweep (null: none yet). Migration 006. */
  started_at: number | null
}

/** The outbox: one alert per region per sweep (or a test), its body JSON. */
export interface AlertsTable {
  id: Generated<number>
  region: string
  sweep_id: number | null
  at: number
  /** sweep | test */
  kind: string
  body: string
}

/** One alert to one channel: pending until sent; retried with backoff. */
export interface DeliveriesTable {
  id: Generated<number>
  alert_id: number
  channel: string
  /** pending | sent | dropped (the channel is no longer configured) */
  state: string
  attempts: Generated<number>
  next_at: number
  last_error: string | null
  sent_at: number | null
}

export interface DeliveryAttemptsTable {
  delivery_id: number
  at: number
  ok: number
  detail: string | null
}

export interface MaintenanceTable {
  id: Generated<number>
  region: string
  server: number | null
  /** JSON array of cctv IDs, or null (the region or the server). */
  cctv_ids: string | null
  from_at: number | null
  to_at: number | null
  cron: string | null
  duration_ms: number | null
  reason: string | null
  created_by: string
  created_at: number
  /** Ended early through the API. */
  ended_at: number | null
}

/** What a camera saw when it changed to black, frozen, moved or blurred (issues 18, 24): a small JPEG. */
export interface ThumbnailsTable {
  region: string
  cctv_id: string
  /** The change's time (ms), as in `changes.at`. */
  at: number
  jpeg: Buffer
}

/** A camera's reference view (issue 24): the frame its later frames are compared with. */
export interface ViewReferencesTable {
  id: Generated<number>
  region: string
  cctv_id: string
  taken_at: number
  /** Who took it: the SSH user of an operator's session, or `monitor` for the token's bulk action. */
  taken_by: string
  jpeg: Buffer
}

/** Changes that share a cause (issue 25, lib/store/incident-rules.ts): one per region, server, district or camera. */
export interface IncidentsTable {
  id: Generated<number>
  region: string
  /** region | server | district | camera */
  cause: string
  /** The server's number, the district ("L2/L3"), the camera's id; null for the region. */
  key: string | null
  /** open | acknowledged | resolved */
  state: string
  opened_at: number
  /** Who said they are on it, and when (cleared when it reopens: the timeline keeps it). */
  acknowledged_at: number | null
  acknowledged_by: string | null
  resolved_at: number | null
  /** Who closed it by hand; null when its cameras came back (or while open). */
  resolved_by: string | null
  /** When it was told to the escalation channels (cleared when it reopens). */
  escalated_at: Generated<number | null>
}

/** An incident's cameras: the status each went down to, when, and when it came back. */
export interface IncidentCamerasTable {
  incident_id: number
  cctv_id: string
  status: string
  down_at: number
  back_at: number | null
}

/** What happened to an incident, in order: the monitor's events and the people's actions and notes. */
export interface IncidentEventsTable {
  id: Generated<number>
  incident_id: number
  at: number
  /** opened | grew | reopened | resolved (the monitor) · acknowledged | note | closed (a person) */
  kind: string
  /** The person (SSH user); null for the monitor. */
  by: string | null
  text: string | null
  /** JSON array of the cctv IDs the event is about (the monitor's), or null. */
  cctv_ids: string | null
  sweep_id: number | null
}

/** A note on a camera ("렌즈 청소 12-05 예정"), shown in its story. */
export interface CameraNotesTable {
  id: Generated<number>
  region: string
  cctv_id: string
  at: number
  by: string
  text: string
}

/** A person (issue 26): a name to sign in with, an Argon2id hash (null: signs in by single sign-on only). */
export interface UsersTable {
  id: Generated<number>
  username: string
  display_name: string | null
  password_hash: string | null
  /** 1: cannot sign in, and their sessions end. */
  disabled: Generated<number>
  /** Sessions signed in under another epoch are over (disabled, new password, ended by an admin). */
  session_epoch: Generated<number>
  /** The OpenID Connect subject this person signs in as; null for a local account. */
  oidc_subject: Generated<string | null>
  created_at: number
  updated_at: number
}

/** A person's role in a region ('*': every region): viewer, operator or admin. */
export interface UserRolesTable {
  user_id: number
  region: string
  role: string
}

/** A region's operator SSH login, held by the gateway: the password sealed with AES-256-GCM (lib/sealed.ts). */
export interface SiteCredentialsTable {
  region: string
  ssh_id: string
  sealed: string
  updated_at: number
  updated_by: string
}

/** A read-only integration token (Prometheus, Grafana): its SHA-256 only, the regions it reads as a JSON array ('*': all). */
export interface ApiTokensTable {
  id: Generated<number>
  name: string
  digest: string
  regions: string
  created_at: number
  created_by: string
  revoked_at: number | null
}

export interface Schema {
  sweeps: SweepsTable
  camera_state: CameraStateTable
  changes: ChangesTable
  results: ResultsTable
  daily: DailyTable
  hourly: HourlyTable
  region_daily: RegionDailyTable
  monitor_ticks: MonitorTicksTable
  monitor_lease: MonitorLeaseTable
  region_alert: RegionAlertTable
  alerts: AlertsTable
  deliveries: DeliveriesTable
  delivery_attempts: DeliveryAttemptsTable
  maintenance: MaintenanceTable
  thumbnails: ThumbnailsTable
  view_references: ViewReferencesTable
  incidents: IncidentsTable
  incident_cameras: IncidentCamerasTable
  incident_events: IncidentEventsTable
  camera_notes: CameraNotesTable
  users: UsersTable
  user_roles: UserRolesTable
  site_credentials: SiteCredentialsTable
  api_tokens: ApiTokensTable
}
