/**
 * Failed logins per client and region. Only failures count: the existing client answers
 * "already connected" with disconnect + connect, so an operator who reconnects all day must
 * never be locked out, while someone guessing passwords is stopped after `max` wrong ones
 * within `windowMs` (then every attempt waits until the window of the first failure ends).
 * A successful login clears the count. In memory, bounded: the oldest entries go first.
 */
export class LoginAttempts {
  private readonly failures = new Map<string, { count: number, since: number }>()

  constructor (private readonly max: number, private readonly windowMs: number, private readonly maxKeys = 10_000) {}

  /** Milliseconds until `key` may try again, or 0 when it may now. */
  retryAfter (key: string, now = Date.now()): number {
    const f = this.failures.get(key)
    if (f === undefined) return 0
    if (now - f.since >= this.windowMs) { this.failures.delete(key); return 0 }
    return f.count >= this.max ? f.since + this.windowMs - now : 0
  }

  failed (key: string, now = Date.now()): void {
    const f = this.failures.get(key)
    if (f === undefined || now - f.since >= this.windowMs) {
      this.failures.delete(key)
      if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value!)
      this.failures.set(key, { count: 1, since: now })
    } else {
      f.count++
    }
  }

  succeeded (key: string): void {
    this.failures.delete(key)
  }
}

/** "45 seconds", "1 minute", "10 minutes": how long a limited client waits, in words. */
export function waitInWords (ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000))
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`
  const m = Math.ceil(s / 60)
  return `${m} minute${m === 1 ? '' : 's'}`
}
