/*
 * The gateway answers in English (its messages are part of the API contract, and other clients
 * match on them). The console shows them in the operator's language: each of the gateway's own
 * sentences has a Korean form here; what a remote tool said (ffprobe's, sshd's, MongoDB's own
 * words) is kept as it is, inside the Korean sentence that says where it came from.
 * test/server-text.test.ts checks every message the gateway's source can produce against this.
 * Type imports only: the test runs it under Node; api.ts's serverText() picks the language.
 */

import type { ErrorCode } from '../../lib/error-codes.js'

type Rule = [RegExp, (m: RegExpExecArray) => string]

const roleKo = (role: string): string => ({ viewer: '조회', operator: '운영', admin: '관리' } as Record<string, string>)[role] ?? role

/**
 * The console translates by code (lib/error-codes.ts): a code whose message is one fixed
 * sentence has its Korean here; null: the message carries details (a field, a file, a remote
 * tool's words), translated by the rules below. Every code must be listed: a new one fails the
 * console's type check until someone decides.
 */
const BY_CODE: Record<ErrorCode, string | null> = {
  NOT_CONNECTED: '연결되어 있지 않습니다. 다시 로그인하세요.',
  ALREADY_CONNECTED: '이미 연결되어 있습니다.',
  LOGIN_FAILED: '인증에 실패했습니다. 아이디와 비밀번호를 확인하세요.',
  TOO_MANY_LOGINS: null,
  RATE_LIMITED: null,
  REGION_NOT_FOUND: '등록되지 않은 지역입니다.',
  NOT_A_REGION_ENDPOINT: '등록된 지역의 서버 주소가 아닙니다.',
  CONTAINER_NOT_FOUND: 'FireWatcher 컨테이너를 찾을 수 없습니다.',
  LOG_NOT_FOUND: null,
  CAMERA_NOT_FOUND: '카메라를 찾을 수 없습니다.',
  BAD_INFERENCE_ID: 'inference_id 형식이 올바르지 않습니다 (예: svr10).',
  INVALID_INPUT: null,
  INVALID_BODY: null,
  BAD_REQUEST: null,
  SWEEP_RUNNING: '이 세션에서 이미 상태 점검이 진행 중입니다.',
  NO_SWEEP: '아직 끝난 상태 점검이 없습니다.',
  MONITOR_AUTH_REQUIRED: '지역에 로그인하세요 (또는 모니터 토큰을 보내세요).',
  BAD_MONITOR_TOKEN: null,
  OTHER_REGION: null,
  CHANNEL_NOT_FOUND: '알림 채널을 찾을 수 없습니다.',
  WINDOW_NOT_FOUND: '점검 시간을 찾을 수 없습니다.',
  THUMBNAIL_NOT_FOUND: '그 변화 때 남긴 화면이 없습니다.',
  REFERENCE_NOT_FOUND: '그 카메라에 그런 기준 화면이 없습니다.',
  REFERENCE_LIMIT: '기준 화면은 카메라당 두 장(낮·밤)까지입니다. 하나를 지운 뒤 다시 만드세요.',
  REFERENCES_RUNNING: '이 지역의 기준 화면을 이미 만들고 있습니다.',
  INCIDENT_NOT_FOUND: '장애를 찾을 수 없습니다.',
  INCIDENT_RESOLVED: '이미 해결된 장애입니다.',
  INCIDENT_ACKNOWLEDGED: null,
  FRAME_LINK_INVALID: '화면 링크가 올바르지 않습니다 (바뀌었거나 잘림). 콘솔에서 카메라를 여세요.',
  FRAME_LINK_EXPIRED: '화면 링크의 유효 기간이 지났습니다. 콘솔에서 카메라를 여세요.',
  TUNNEL_NOT_FOUND: '실시간 영상 연결(HLS 터널)이 없습니다. 다시 연결하세요.',
  NOT_IN_STREAM: null,
  HOST_KEY_MISMATCH: null,
  SITE_UNREACHABLE: null,
  SUDO_REFUSED: null,
  REMOTE_TIMEOUT: null,
  REMOTE_FAILED: null,
  NO_FRAME: null,
  AUTH_REQUIRED: '먼저 로그인하세요.',
  SIGNIN_FAILED: '사용자 이름 또는 비밀번호가 올바르지 않거나, 사용이 중지된 계정입니다.',
  TOO_MANY_SIGNINS: null,
  ROLE_REQUIRED: null,
  CROSS_SITE: '다른 사이트에서 온 요청이라 거부했습니다.',
  NO_HELD_LOGIN: null,
  USER_NOT_FOUND: '그런 사용자가 없습니다.',
  TOKEN_READ_ONLY: '이 토큰은 읽기 전용이라 아무것도 바꿀 수 없습니다.',
  TOKEN_SCOPE: null,
  ROUTE_NOT_FOUND: null,
  INTERNAL: '게이트웨이 내부 오류입니다. 관리자에게 알려 주세요.'
}

/** A gateway error in Korean: by its code when that says it all, else by its message's words. */
export function errorKo (code: ErrorCode | undefined, message: string): string {
  const fixed = code === undefined ? null : BY_CODE[code]
  return fixed ?? serverLinesKo(message)
}

const units = (n: string, unit: string): string => `${n}${unit === 'second' || unit === 's' ? '초' : '분'}`

/** Where a remote failure happened, in the words an operator uses. */
const WHAT: Record<string, string> = {
  ffprobe: 'ffprobe',
  'log search': '로그 검색',
  'docker ps': '컨테이너 조회(docker ps)',
  'probe runner': '점검 실행기',
  'HLS server': 'HLS 서버',
  MongoDB: 'MongoDB'
}

const ajv: Rule[] = [
  [/^must NOT have more than (\d+) characters$/, m => `${m[1]}자를 넘을 수 없습니다`],
  [/^must NOT have fewer than (\d+) characters$/, m => `${m[1]}자 이상이어야 합니다`],
  [/^must NOT have more than (\d+) items$/, m => `${m[1]}개를 넘을 수 없습니다`],
  [/^must NOT have fewer than (\d+) items$/, m => `${m[1]}개 이상이어야 합니다`],
  [/^must be (<=|>=|<|>) (\S+)$/, m => `${m[2]} ${({ '<=': '이하', '>=': '이상', '<': '미만', '>': '초과' } as Record<string, string>)[m[1]]}여야 합니다`],
  [/^must be (integer|number|string|boolean|array|object|null)$/, m => `${({ integer: '정수', number: '숫자', string: '문자열', boolean: '참/거짓', array: '목록', object: '객체', null: 'null' } as Record<string, string>)[m[1]]}여야 합니다`],
  [/^must be equal to one of the allowed values$/, () => '허용된 값 중 하나여야 합니다'],
  [/^must be equal to constant$/, () => '정해진 값이어야 합니다'],
  [/^must match pattern "(.*)"$/, m => `형식이 맞지 않습니다 (${m[1]})`],
  [/^must match format "(.*)"$/, m => `${m[1]} 형식이어야 합니다`],
  [/^must NOT have additional properties$/, () => '알 수 없는 항목이 있습니다'],
  [/^must match a schema in anyOf$/, () => '허용된 형식이 아닙니다'],
  [/^must NOT have duplicate items.*$/, () => '같은 항목이 중복되었습니다'],
  [/^is invalid$/, () => '올바르지 않습니다']
]

const rules: Rule[] = [
  // Sessions and regions
  [/^not connected$/, () => '연결되어 있지 않습니다. 다시 로그인하세요.'],
  [/^already connected$/, () => '이미 연결되어 있습니다.'],
  [/^Authentication failed$/, () => '인증에 실패했습니다. 아이디와 비밀번호를 확인하세요.'],
  [/^region not found$/, () => '등록되지 않은 지역입니다.'],
  [/^not a registered region endpoint$/, () => '등록된 지역의 서버 주소가 아닙니다.'],
  [/^Too many login attempts for this region; try again in (\d+) (second|minute)s?$/, m => `이 지역에 로그인 시도가 너무 많습니다. ${units(m[1], m[2])} 후에 다시 시도하세요.`],
  [/^Too many requests; try again in (.+)$/, m => `요청이 너무 많습니다. ${m[1].replace(/(\d+) seconds?/, '$1초').replace(/(\d+) minutes?/, '$1분')} 후에 다시 시도하세요.`],
  [/^log in to a region, or send Authorization: Bearer <MONITOR_TOKEN>$/, () => '지역에 로그인하세요 (또는 모니터 토큰을 보내세요).'],
  [/^invalid monitor token$/, () => '모니터 토큰이 올바르지 않습니다.'],
  [/^Authorization must be "Bearer <MONITOR_TOKEN>"$/, () => 'Authorization 헤더는 "Bearer <MONITOR_TOKEN>" 형식이어야 합니다.'],
  [/^this gateway has no MONITOR_TOKEN: (token access|\/metrics) is off$/, m => `이 게이트웨이에는 MONITOR_TOKEN이 없어 ${m[1] === '/metrics' ? '/metrics를 쓸 수 없습니다' : '토큰으로 접근할 수 없습니다'}.`],
  [/^send Authorization: Bearer <MONITOR_TOKEN>$/, () => 'Authorization: Bearer <MONITOR_TOKEN> 헤더를 보내세요.'],
  [/^Too many failed sign-ins; try again in (\d+) (second|minute)s?$/, m => `로그인 실패가 너무 많습니다. ${units(m[1], m[2])} 후에 다시 시도하세요.`],
  [/^this needs the (viewer|operator|admin) role in region (.+); you have (?:no role there|the (viewer|operator|admin) role)$/,
    m => `${m[2]} 지역에서 ${roleKo(m[1])} 권한이 필요합니다. 현재 ${m[3] === undefined ? '권한이 없습니다' : `${roleKo(m[3])} 권한입니다`}.`],
  [/^this needs the (viewer|operator|admin) role in a region; you have it in none$/, m => `${roleKo(m[1])} 권한이 있는 지역이 없습니다.`],
  [/^give the SSH id, or leave id and password both empty for the region's held login$/, () => 'SSH 아이디를 입력하세요. 보관된 로그인을 쓰려면 아이디와 비밀번호를 모두 비워 두세요.'],
  [/^the login held for region (.+) does not open: an admin must hold it again$/, m => `${m[1]} 지역에 보관된 로그인을 열 수 없습니다. 관리자가 다시 보관해야 합니다.`],
  [/^region (.+) has no held site login: type the SSH id and password$/, m => `${m[1]} 지역에는 보관된 사이트 로그인이 없습니다. SSH 아이디와 비밀번호를 입력하세요.`],
  [/^sign in first \(POST \/api\/auth\/login\)$/, () => '먼저 로그인하세요.'],
  [/^wrong user name or password$/, () => '사용자 이름 또는 비밀번호가 올바르지 않거나, 사용이 중지된 계정입니다.'],
  [/^cross-site request refused: use the gateway's own pages$/, () => '다른 사이트에서 온 요청이라 거부했습니다.'],
  [/^no such person$/, () => '그런 사용자가 없습니다.'],
  [/^a password needs at least (\d+) characters$/, m => `비밀번호는 ${m[1]}자 이상이어야 합니다.`],
  [/^a password has at most (\d+) characters$/, m => `비밀번호는 ${m[1]}자를 넘을 수 없습니다.`],
  [/^a password cannot hold control characters$/, () => '비밀번호에 제어 문자를 넣을 수 없습니다.'],
  [/^a user name is 2-64 letters, digits or \. _ @ -$/, () => '사용자 이름은 글자, 숫자, . _ @ - 로 2~64자입니다.'],
  [/^there is a user (.+) already$/, m => `${m[1]} 사용자가 이미 있습니다.`],
  [/^this token does not read region (.+)$/, m => `이 토큰으로는 ${m[1]} 지역을 볼 수 없습니다.`],
  [/^this token reads only: it changes nothing$/, () => '이 토큰은 읽기 전용이라 아무것도 바꿀 수 없습니다.'],
  [/^roles: there is no region (.+)$/, m => `권한: ${m[1]} 지역은 없습니다.`],
  [/^you cannot disable yourself \(another admin can\)$/, () => '자신의 계정은 사용 중지할 수 없습니다 (다른 관리자가 할 수 있습니다).'],
  [/^this session is logged in to region (.+); it sees no other region's cameras$/, m => `이 세션은 ${m[1]} 지역에 로그인되어 있어 다른 지역의 카메라는 볼 수 없습니다.`],
  // Things not found
  [/^container not found$/, () => 'FireWatcher 컨테이너를 찾을 수 없습니다.'],
  [/^(\/\S*): No such file or directory$/, m => `로그 파일이 없습니다: ${m[1]}`],
  [/^camera not found$/, () => '카메라를 찾을 수 없습니다.'],
  [/^no frame was kept with that change$/, () => '그 변화 때 남긴 화면이 없습니다.'],
  [/^no such reference view for that camera$/, () => '그 카메라에 그런 기준 화면이 없습니다.'],
  [/^incident not found$/, () => '장애를 찾을 수 없습니다.'],
  [/^the incident is resolved$/, () => '이미 해결된 장애입니다.'],
  [/^the incident was acknowledged already, by (.+)$/, m => `${m[1]} 님이 이미 이 장애를 확인했습니다.`],
  [/^the camera has two reference views already \(day and night\): delete one first$/, () => '기준 화면은 카메라당 두 장(낮·밤)까지입니다. 하나를 지운 뒤 다시 만드세요.'],
  [/^reference views are being made for this region already$/, () => '이 지역의 기준 화면을 이미 만들고 있습니다.'],
  [/^this link to a frame is not valid \(changed or cut short\): open the camera in the console$/, () => '화면 링크가 올바르지 않습니다 (바뀌었거나 잘림). 콘솔에서 카메라를 여세요.'],
  [/^this link to a frame has expired: open the camera in the console$/, () => '화면 링크의 유효 기간이 지났습니다. 콘솔에서 카메라를 여세요.'],
  [/^the cameras' reference views could not be read: (.*)$/, m => `카메라들의 기준 화면을 읽지 못해 화면 검사를 하지 않았습니다: ${m[1]}`],
  [/^region (.+) has no monitor identity: take references from a session logged in to it$/, m => `${m[1]} 지역에는 모니터 계정이 없습니다. 그 지역에 로그인한 세션에서 기준 화면을 만드세요.`],
  [/^the picture is (black|frozen) for (\d+)% of ([\d.]+) s: not a view to keep$/, m => `${m[1] === 'black' ? '검은' : '멈춘'} 화면(${m[3]}초 중 ${m[2]}%)이라 기준 화면으로 삼을 수 없습니다.`],
  [/^ffmpeg gave no frame in ([\d.]+) s of picture$/, m => `${m[1]}초 동안 지켜봤지만 ffmpeg가 프레임을 주지 않았습니다.`],
  [/^the picture has no structure to compare with \(one colour\)$/, () => '화면에 비교할 구조가 없습니다 (한 가지 색).'],
  [/^ffmpeg ended after ([\d.]+) s of picture \(exit (\S+)\)$/, m => `ffmpeg가 ${m[1]}초 동안만 지켜보고 끝났습니다 (종료 코드 ${m[2]}).`],
  [/^the camera's frame could not be read: (.*)$/, m => `카메라 화면을 읽지 못했습니다: ${m[1]}`],
  [/^channel not found$/, () => '알림 채널을 찾을 수 없습니다.'],
  [/^maintenance window not found$/, () => '점검 시간을 찾을 수 없습니다.'],
  [/^HLS tunnel not found$/, () => '실시간 영상 연결(HLS 터널)이 없습니다. 다시 연결하세요.'],
  [/^no completed health sweep yet$/, () => '아직 끝난 상태 점검이 없습니다.'],
  [/^Route (\S+) (\S+) not found$/, m => `없는 API 경로입니다: ${m[1]} ${m[2]}`],
  [/^Internal server error$/, () => '게이트웨이 내부 오류입니다. 관리자에게 알려 주세요.'],
  // Health sweeps
  [/^a health sweep is already running for this session$/, () => '이 세션에서 이미 상태 점검이 진행 중입니다.'],
  [/^no camera matches the filter \(servers, l2, l3, ids\)$/, () => '조건(서버, 구/군, 동, ID)에 맞는 카메라가 없습니다.'],
  [/^the previous sweep was still running( on another gateway)?$/, m => `앞선 점검이 ${m[1] === undefined ? '' : '다른 게이트웨이에서 '}아직 진행 중이었습니다.`],
  // A sweep kept as lost_lease (issue 22): why it moved nothing.
  [/^the lease was taken over by another gateway$/, () => '다른 게이트웨이가 이 지역의 점검을 넘겨받아, 이 점검은 기록에 반영되지 않았습니다.'],
  [/^the lease could not be renewed: ([\s\S]*)$/, m => `점검 권한(lease)을 갱신하지 못해 점검을 멈췄습니다: ${m[1]}`],
  [/^another gateway held the region's lease when the sweep was recorded$/, () => '기록할 때 다른 게이트웨이가 이 지역의 점검 권한을 갖고 있어, 이 점검은 기록에 반영되지 않았습니다.'],
  [/^health probe failed$/, () => '카메라 점검에 실패했습니다.'],
  [/^the probe runner on server (\d+) stopped answering$/, m => `서버 ${m[1]}의 점검 실행기가 응답을 멈췄습니다.`],
  [/^the probe runner on server (\d+) ended early \(exit (\S+)\): ([\s\S]*)$/, m => `서버 ${m[1]}의 점검 실행기가 중간에 끝났습니다 (종료 코드 ${m[2]}): ${m[3] === 'no message' ? '메시지 없음' : m[3]}`],
  [/^the container cannot run the probe runner: ([\s\S]*)$/, m => `컨테이너에서 점검 실행기를 돌릴 수 없습니다: ${m[1]}`],
  // Input the gateway refused
  [/^inference_id is not in the expected format\.$/, () => 'inference_id 형식이 올바르지 않습니다 (예: svr10).'],
  [/^date must be a real date in YYYY-MM-DD format$/, () => '날짜는 실제 있는 날짜여야 합니다 (YYYY-MM-DD).'],
  [/^find_word must be a single line$/, () => '검색어는 한 줄이어야 합니다.'],
  [/^url must be a stream URL, not an option$/, () => 'URL은 스트림 주소여야 합니다 (옵션이 아님).'],
  [/^url must not contain spaces or control characters$/, () => 'URL에 공백이나 제어 문자가 있으면 안 됩니다.'],
  [/^url must start with one of (.+)$/, m => `URL은 다음 중 하나로 시작해야 합니다: ${m[1]}`],
  [/^url is not a valid URL$/, () => '올바른 URL이 아닙니다.'],
  [/^url has no host$/, () => 'URL에 호스트가 없습니다.'],
  [/^cctv_id must be a number$/, () => 'cctv_id는 숫자여야 합니다.'],
  [/^querystring\.month (\S+) is not a month: use YYYY-MM, e\.g\. (\S+)$/, m => `${m[1]}은(는) 월이 아닙니다. YYYY-MM으로 쓰세요 (예: ${m[2]}).`],
  [/^querystring\.(\w+) is not a time: .*$/, m => `${m[1]}은(는) 시각이 아닙니다. ISO 8601로 쓰세요 (예: 2026-11-29T18:00, 시차 없으면 한국 시각).`],
  [/^body\.(\w+) is not a time: .*$/, m => `${m[1]}은(는) 시각이 아닙니다. ISO 8601로 쓰세요 (예: 2026-12-01T09:00, 시차 없으면 한국 시각).`],
  [/^querystring\.from is after querystring\.to$/, () => '시작(from)이 끝(to)보다 늦습니다.'],
  [/^querystring\.from and querystring\.to are more than 400 days apart$/, () => '기간은 400일을 넘을 수 없습니다.'],
  [/^give from and to \(one-off\), or cron and duration \(recurring\)$/, () => '한 번만: 시작과 끝을, 반복: cron과 길이를 주세요.'],
  [/^body\.server: the region has no server (\S+)$/, m => `이 지역에는 서버 ${m[1]}이(가) 없습니다.`],
  [/^give server or cctv_ids, not both$/, () => '서버와 카메라 ID 중 하나만 주세요.'],
  [/^a one-off window needs both from and to$/, () => '한 번만 하는 점검 시간에는 시작과 끝이 모두 필요합니다.'],
  [/^body\.to ends before it starts$/, () => '끝(to)이 시작(from)보다 늦어야 합니다.'],
  [/^body\.to is in the past$/, () => '끝(to)이 이미 지났습니다.'],
  [/^a recurring window needs both cron and duration$/, () => '반복하는 점검 시간에는 cron과 길이가 모두 필요합니다.'],
  [/^body\.duration must be like 30m, 2h or 1d$/, () => '길이는 30m, 2h, 1d처럼 쓰세요.'],
  [/^body\.cron: ([\s\S]*)$/, m => `cron 표현식이 올바르지 않습니다: ${m[1]}`],
  [/^this window is defined in the regions file: edit the file to end it$/, () => '지역 설정 파일에 정의된 점검 시간입니다. 끝내려면 파일을 고치세요.'],
  [/^request body is not valid UTF-8$/, () => '요청 본문이 올바른 UTF-8이 아닙니다.'],
  [/^request body is not valid JSON$/, () => '요청 본문이 올바른 JSON이 아닙니다.'],
  [/^not part of this camera's stream$/, () => '이 카메라의 영상 스트림이 아닙니다.'],
  [/^(body|querystring|params)\.(\S+) is required$/, m => `${m[2]} 값이 필요합니다.`],
  // The gateway's own notes inside a probe's report
  [/^ffprobe: no answer from the camera within (\d+) s \(timed out\)$/, m => `카메라가 ${m[1]}초 안에 응답하지 않았습니다 (시간 초과).`],
  [/^\(fwmaint: the camera did not answer within (\d+) s\)$/, m => `(카메라가 ${m[1]}초 안에 응답하지 않았습니다)`],
  [/^ffprobe exited with status (\S+)$/, m => `ffprobe가 종료 코드 ${m[1]}로 끝났습니다.`],
  [/^no URL in the inventory$/, () => '카메라 목록에 URL이 없습니다.'],
  [/^(black|frozen) for (\d+)% of ([\d.]+) s$/, m => `${m[1] === 'black' ? '검은' : '멈춘'} 화면: ${m[3]}초 동안 지켜본 시간의 ${m[2]}%`],
  [/^view moved: (\d+)% of the reference's structure matches$/, m => `화면 틀어짐·가림: 기준 화면의 구조가 ${m[1]}%만 일치`],
  [/^view blurred: (\d+)% of the reference's detail$/, m => `흐린 화면: 기준 화면 세부의 ${m[1]}%`],
  [/^no frame to compare with the reference after ([\d.]+) s of picture$/, m => `${m[1]}초 동안 지켜봤지만 기준 화면과 비교할 프레임이 없음`],
  [/^the camera's frame is larger than (\d+) bytes$/, m => `카메라 화면이 ${m[1]}바이트보다 큽니다.`],
  [/^ffmpeg gave no frame \(exit (\S+)\)$/, m => `ffmpeg가 화면을 주지 않았습니다 (종료 코드 ${m[1]}).`],
  // Remote failures: the gateway's frame in Korean, the remote's own words kept
  [/^server (\d+): ([\s\S]*)$/, m => `서버 ${m[1]}: ${serverTextKo(m[2])}`],
  [/^HLS server \(server (\d+), ([^)]*)\): ([\s\S]*)$/, m => `HLS 서버 (서버 ${m[1]}, ${m[2]}): ${serverTextKo(m[3])}`],
  [/^HLS port mode: ([\s\S]*)$/, m => `HLS 포트 방식: ${serverTextKo(m[1])}`],
  [/^the Mongo container publishes no port for (\d+)$/, m => `MongoDB 컨테이너가 ${m[1]} 포트를 열어 두지 않았습니다.`],
  [/^docker ps: unexpected output$/, () => '컨테이너 조회(docker ps)의 출력이 예상과 다릅니다.'],
  [/^(.+): sudo refused the session password$/, m => `${WHAT[m[1]] ?? m[1]} 실패: sudo가 세션 비밀번호를 받아들이지 않았습니다.`],
  [/^Timeout$/, () => '시간 초과: 응답이 없습니다.'],
  [/^Connection refused$/, () => '연결이 거부되었습니다.'],
  [/^Connection failed$/, () => '연결하지 못했습니다.'],
  [/^Connection lost$/, () => '연결이 끊겼습니다.'],
  [/^Connection closed$/, () => '연결이 닫혔습니다.'],
  [/^Connection reset by peer$/, () => '상대가 연결을 끊었습니다.'],
  [/^Host unreachable$/, () => '서버에 닿을 수 없습니다 (호스트).'],
  [/^Network unreachable$/, () => '서버에 닿을 수 없습니다 (네트워크).'],
  [/^Host not found$/, () => '서버 이름을 찾을 수 없습니다.'],
  [/^Request aborted$/, () => '요청이 취소되었습니다.'],
  [/^forwarding refused by the site server \(AllowTcpForwarding\?\)$/, () => '현장 서버가 포트 전달을 거부했습니다 (AllowTcpForwarding 설정 확인).'],
  [/^the site server has no channel to spare$/, () => '현장 서버에 남은 SSH 채널이 없습니다.'],
  [/^(ffprobe|log search|docker ps|probe runner|HLS server|MongoDB): ([\s\S]*)$/, m => `${WHAT[m[1]]} 실패: ${serverTextKo(m[2])}`],
  // Schema validation: "<where>.<field> <what is wrong>"
  [/^(body|querystring|params|headers)(?:\.(\S+))? (must .*|is invalid)$/, m => `${m[2] ?? '입력값'}: ${ajvKo(m[3])}`]
]

function ajvKo (what: string): string {
  for (const [re, to] of ajv) {
    const m = re.exec(what)
    if (m !== null) return to(m)
  }
  return `올바르지 않습니다 (${what})`
}

/** A gateway message in Korean; a remote tool's own words (anything no rule knows) as they are. */
export function serverTextKo (message: string): string {
  for (const [re, to] of rules) {
    const m = re.exec(message)
    if (m !== null) return to(m)
  }
  return message
}

/** Each line of a gateway message (a probe's reason may hold a note under ffprobe's line) in Korean. */
export function serverLinesKo (message: string): string {
  return message.split('\n').map(serverTextKo).join('\n')
}
