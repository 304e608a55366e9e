import { pick, rng } from './random.js'

export interface SimCamera {
  cctv_ID: number
  cctv_address: { L1: string, L2: string, L3: string }
  cctv_name: string
  inference_id: string
  url: string
}

/** Where the simulated cameras with a known behaviour live (filled in by sim/cameras.ts). */
export interface CameraEndpoints {
  /** A real RTSP camera without credentials. */
  open?: { host: string, port: number }
  /** A real RTSP camera that needs `authUser`/`authPassword`. */
  auth?: { host: string, port: number }
  /** A loopback port where nothing listens (connection refused). */
  refused?: { host: string, port: number }
  /** A loopback port that accepts and never answers (hangs). */
  silent?: { host: string, port: number }
}

export const CAMERA_USER = 'admin'
/** The password of the contract's example URL, decoded: `mn/1418!@#`. */
export const CAMERA_PASSWORD = 'mn/1418!@#'
const ENCODED_PASSWORD = encodeURIComponent(CAMERA_PASSWORD).replace(/!/g, '%21')

const DISTRICTS: Record<string, readonly string[]> = {
  수성구: ['황금동', '범어동', '만촌동', '지산동', '시지동'],
  달서구: ['월성동', '상인동', '두류동', '본리동'],
  중구: ['동인동', '삼덕동', '대봉동'],
  북구: ['침산동', '산격동', '칠곡동', '태전동'],
  동구: ['신암동', '효목동', '방촌동', '안심동'],
  달성군: ['화원읍', '가창면', '유가읍', '현풍읍']
}
const PLACES = ['우경', '앞산 전망대', '신천 둔치', '팔공산 입구', '수성못', '범어네거리', '비슬산 정상', '가창댐', '동촌유원지', '금호강변', '두류공원', '와룡산', '용지봉', '초례봉', '환성산', '도동서원']

/** The known behaviours, in the order of cameras 1-6. */
export type Behaviour = 'live' | 'auth' | 'wrong_password' | 'wrong_path' | 'refused' | 'silent'
const BEHAVIOURS: Behaviour[] = ['live', 'auth', 'wrong_password', 'wrong_path', 'refused', 'silent']

/** Picture behaviours (issue 18): they stream, but see nothing. */
export type PictureBehaviour = 'black' | 'frozen' | 'frozen_noisy'
const PICTURES: PictureBehaviour[] = ['black', 'frozen', 'frozen_noisy']

/** In an inventory made with `picture: true`, cameras 7, 8 and 9 stream a black, a frozen and a frozen picture with encoder noise. */
export function pictureBehaviourOf (id: number): PictureBehaviour | undefined {
  return id >= 7 && id <= 9 ? PICTURES[id - 7] : undefined
}

/**
 * In an inventory made with `views: n` (n ≤ 15), the first n cameras from 11 on without a known
 * behaviour (11, 12, 13, 14, 16, …) watch view cameras 1…n (sim/rtsp-camera.py: the hillside,
 * a ball moving in it; turned, covered or blurred on demand). Their view index, or undefined.
 */
export function viewOf (id: number, views: number): number | undefined {
  if (views <= 0 || id < 11 || behaviourOf(id) !== undefined) return undefined
  let k = 0
  for (let i = 11; i <= id; i++) if (behaviourOf(i) === undefined) k++
  return k <= views ? k : undefined
}

/**
 * Camera `id`'s known behaviour: cameras 1-6 have one each, then every 5th camera (10, 15, …)
 * goes round them, so a region of n cameras has about n/30 of each, spread over its servers and
 * GPUs (a health sweep shows every status more than once); the others are refused addresses.
 */
export function behaviourOf (id: number): Behaviour | undefined {
  if (id >= 1 && id <= 6) return BEHAVIOURS[id - 1]
  if (id % 5 !== 0) return undefined
  // The shift every 6 keeps a behaviour off a single pipeline (pipelines go round by ID too).
  const k = id / 5
  return BEHAVIOURS[(k + Math.floor(k / 6)) % 6]
}

/**
 * Cameras with known behaviour (see behaviourOf) for tests and the demo: live, live behind
 * credentials, wrong credentials (401), wrong path (404), refused, hangs. Cameras 1-6 carry
 * the names of their behaviour. The rest are an inventory of realistic shape whose addresses
 * are on loopback (nothing a demo click can send off the machine).
 */
export function makeInventory (opts: { region: string, count: number, pipelines: string[], endpoints: CameraEndpoints, seed?: number, liveShare?: number,
  picture?: boolean, views?: number }): SimCamera[] {
  const r = rng(opts.seed ?? 7)
  const e = opts.endpoints
  const hp = (x: { host: string, port: number } | undefined, fallbackPort: number): string => x === undefined ? `127.0.0.1:${fallbackPort}` : `${x.host}:${x.port}`
  const known: Record<Behaviour, [string, string]> = {
    live: ['실시간 테스트 카메라', `rtsp://${hp(e.open, 1)}/live`],
    auth: ['인증 카메라', `rtsp://${CAMERA_USER}:${ENCODED_PASSWORD}@${hp(e.auth, 1)}/live`],
    wrong_password: ['비밀번호 틀린 카메라', `rtsp://${CAMERA_USER}:wrong%21pw@${hp(e.auth, 1)}/live`],
    wrong_path: ['경로 틀린 카메라', `rtsp://${hp(e.open, 1)}/video18?profile=high`],
    refused: ['꺼진 카메라', `rtsp://${hp(e.refused, 1)}/live`],
    silent: ['응답없는 카메라', `rtsp://${hp(e.silent, 1)}/live`]
  }
  const cams: SimCamera[] = []
  for (let i = 1; i <= opts.count; i++) {
    const L2 = pick(r, Object.keys(DISTRICTS))
    const L3 = pick(r, DISTRICTS[L2])
    const inference = opts.pipelines[(i - 1) % opts.pipelines.length]
    const behaviour = behaviourOf(i)
    let name: string
    let url: string
    const picture = opts.picture === true ? pictureBehaviourOf(i) : undefined
    if (i <= BEHAVIOURS.length) {
      [name, url] = known[behaviour!]
    } else if (picture !== undefined) {
      name = { black: '검은 화면 카메라', frozen: '멈춘 화면 카메라', frozen_noisy: '멈춘 화면 카메라 (잡음)' }[picture]
      url = `rtsp://${hp(e.open, 1)}/${picture.replace('_', '-')}`
    } else if (viewOf(i, opts.views ?? 0) !== undefined) {
      name = `${pick(r, PLACES)} 전망 ${i}`
      url = `rtsp://${hp(e.open, 1)}/view/${viewOf(i, opts.views ?? 0)!}`
    } else {
      name = `${pick(r, PLACES)} ${i}`
      const a = 20 + Math.floor(r() * 10)
      const b = 1 + Math.floor(r() * 250)
      // The shapes operators really have: encoded credentials, query strings, UUID paths.
      switch (i % 4) {
        case 0: url = `rtsp://${CAMERA_USER}:${ENCODED_PASSWORD}@127.0.${a}.${b}:554/video${i}?profile=high`; break
        case 1: url = `rtsp://127.0.${a}.${b}:8554/${uuid(r)}`; break
        case 2: url = `rtsp://viewer:Fire%23Watch%40${i}@127.0.${a}.${b}:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1`; break
        default: url = `rtsp://127.0.${a}.${b}:554/cam/realmonitor?channel=1&subtype=0`
      }
      if (behaviour !== undefined) url = known[behaviour][1]
      // A healthy region: this share of the other cameras streams (the live test camera).
      else if (opts.liveShare !== undefined && r() < opts.liveShare) url = known[i % 2 === 0 ? 'live' : 'auth'][1]
    }
    cams.push({ cctv_ID: i, cctv_address: { L1: opts.region, L2, L3 }, cctv_name: name, inference_id: inference, url })
  }
  return cams
}

function uuid (r: () => number): string {
  const h = (n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('')
  return `${h(8)}-${h(4)}-4${h(3)}-${pick(r, ['8', '9', 'a', 'b'])}${h(3)}-${h(12)}`
}
