/**
 * Credentials inside URLs (rtsp://admin:secret@cam/…) never reach a log, an audit record
 * or an error message: the password part becomes ***. The user name stays (it helps the
 * operator see which account a camera uses).
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:'"]*):([^\s/'"]*)@/gi

export function maskSecrets (text: string): string {
  return text.replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
}

/** Also hides a known secret wherever it appears verbatim (e.g. a password echoed back). */
export function maskKnown (text: string, secrets: Array<string | undefined>): string {
  let out = maskSecrets(text)
  for (const s of secrets) if (s !== undefined && s.length >= 3) out = out.split(s).join('***')
  return out
}
