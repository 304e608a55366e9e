/** Values a client might send that a shell (or grep, or ffprobe) would love to interpret. */
export function HOSTILE_VALUES (canary = '/tmp/fwmaint-pwned'): string[] {
  return [
    '', ' ', "'", "''", '"', '\\', "\\'", "a'b", `'$(touch ${canary})'`, `$(touch ${canary})`, `\`touch ${canary}\``,
    `; touch ${canary}`, `&& touch ${canary}`, `| touch ${canary}`, `> ${canary}`, '< /etc/passwd',
    'a\nb', `\ntouch ${canary}\n`, '\r\n', '%s%n%x', '%2F%21%40%23', '$HOME', '${IFS}', '$((1+1))', '!!', '!$',
    '*', '?', '[a-z]', '~', '~root', '#comment', '-rf', '--help', `-e touch ${canary}`, '--', '-', '-f /etc/passwd',
    '대구 수성구 황금동', 'Reconnect 156', 'rtsp://admin:mn%2F1418%21%40%23@127.0.20.152:554/video18?profile=high',
    'x'.repeat(100_000), '\t', '\u00a0', '\u202e', 'é\u0301', '\x1b[31mred', '\x7f', '$(', ')', '{a,b}', "'\"'\"'"
  ]
}
