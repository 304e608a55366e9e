import type { HealthStatus } from '../../lib/status'
import { api } from './api'
import { statusText, t } from './i18n'

/** An incident as GET /api/incidents answers it (routes/api/incidents.ts). */
export interface Incident {
  id: string
  region: string
  cause: 'region' | 'server' | 'district' | 'camera'
  key: string | null
  state: 'open' | 'acknowledged' | 'resolved'
  opened_at: string
  acknowledged_at: string | null
  acknowledged_by: string | null
  resolved_at: string | null
  resolved_by: string | null
  cameras: number
  down: number
  by_status: Partial<Record<HealthStatus, number>>
  down_ids: string[]
}

export interface IncidentDetail extends Incident {
  camera_list: Array<{ cctv_id: string, name: string | null, status: HealthStatus, down_at: string, back_at: string | null }>
  events: Array<{ at: string, kind: 'opened' | 'grew' | 'reopened' | 'resolved' | 'escalated' | 'acknowledged' | 'note' | 'closed', by: string | null, text: string | null, cctv_ids: string[] }>
}

/** What an incident is about, in words: "분석 서버 2", "수성구/황금동 지역", "카메라 7", "권역 전체". */
export function causeText (i: Pick<Incident, 'cause' | 'key'>): string {
  return t(`incidents.cause.${i.cause}`, { key: i.key ?? '' })
}

/** "꺼짐 4, 인증 실패 1": the cameras still down, per status, in the UI's language. */
export function statusCounts (byStatus: Partial<Record<HealthStatus, number>>): string {
  return Object.entries(byStatus).filter(([, n]) => (n ?? 0) > 0).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([s, n]) => `${statusText(s as HealthStatus)} ${n ?? 0}`).join(', ')
}

export async function activeIncidents (region: string): Promise<Incident[]> {
  return (await api<{ incidents: Incident[] }>('GET', `/api/incidents?region=${encodeURIComponent(region)}&state=active&limit=1000`)).incidents
}
