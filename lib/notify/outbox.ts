import type { ChannelConfig } from '../config/channels.js'
import type { AlertStore } from '../store/alerts.js'
import type { AlertBody } from '../store/history.js'
import type { Leases } from '../store/leases.js'
import { systemClock, type Clock } from '../clock.js'
import { maskSecrets } from '../mask.js'
import { SendError, send, type Pictures } from './channels.js'

export interface OutboxOptions {
  alerts: AlertStore
  /** For the per-channel lease: with several gateways, one sends a channel's messages. */
  leases: Leases
  channels: ChannelConfig[]
  gateway: string
  publicBase: string
  /** First retry after this (ms), doubling each time up to `retryMaxMs`. */
  retryBaseMs: number
  retryMaxMs: number
  /** How often pending messages are looked at (a sweep's alerts also wake the worker). */
  pollMs?: number
  clock?: Clock
  /** A database error while sending (logged, never swallowed: the next pass tries again). */
  error?: (err: Error) => void
  log: (entry: { channel: string, delivery: number, ok: boolean, detail: string, attempts: number }) => void
  /**
   * The pictures of an alert's picture changes (kept frames, reference views, their links), read
   * when it is sent. It should not throw (plugins/app/alerts.ts logs a failure and answers none):
   * a throw fails the attempt, retried as a failed send.
   */
  pictures?: (body: AlertBody) => Promise<Pictures>
}

const LEASE_MS = 60_000

/**
 * Sends what the sweeps put in the outbox. Per channel, strictly in order: the oldest pending
 * message goes first, and a failure holds the ones behind it until it is through (retried with
 * exponential backoff), so a receiver that was down for an hour gets everything, in order, when
 * it is back. Every attempt is recorded. Several gateways: a channel is sent by the one that
 * holds its lease. A restart simply resumes: the outbox is the state.
 */
export class Outbox {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = false
  private readonly byName: Map<string, ChannelConfig>

  constructor (private readonly o: OutboxOptions) {
    this.byName = new Map(o.channels.map(c => [c.name, c]))
  }

  start (): void {
    this.timer = setInterval(() => { this.kick() }, this.o.pollMs ?? 1000)
    this.timer.unref()
    this.kick()
  }

  /** Looks at the outbox now (after a sweep wrote alerts, or a test message). */
  kick (): void {
    if (this.stopped) return
    if (this.running !== undefined) { this.again = true; return }
    this.running = this.pass().catch((err: Error) => { this.o.error?.(err) }).finally(() => {
      this.running = undefined
      if (this.again) { this.again = false; this.kick() }
    })
  }

  /** Waits for the current pass (tests, shutdown). */
  async idle (): Promise<void> { while (this.running !== undefined) await this.running }

  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.idle()
  }

  private async pass (): Promise<void> {
    const pending = await this.o.alerts.pendingChannels()
    await Promise.all(pending.map(async name => {
      const channel = this.byName.get(name)
      if (channel === undefined) { await this.o.alerts.drop(name); return }
      await this.channel(channel)
    }))
  }

  private async channel (channel: ChannelConfig): Promise<void> {
    const key = `notify:${channel.name}`
    const { leases, gateway } = this.o
    const now = this.o.clock ?? systemClock
    const token = await leases.take(key, gateway, now() + LEASE_MS, now())
    if (token === null) return
    try {
      while (!this.stopped) {
        const d = await this.o.alerts.head(channel.name)
        if (d === undefined || d.next_at > now()) return
        // Taken over meanwhile (this gateway was paused past the lease): the holder sends it.
        if (!await leases.renew(key, token, now() + LEASE_MS)) return
        try {
          const pics = await this.o.pictures?.(d.alert.body)
          const detail = await send(channel, d.alert.body, this.o.publicBase, pics)
          await this.o.alerts.sent(d.id, now(), detail)
          this.o.log({ channel: channel.name, delivery: d.id, ok: true, detail, attempts: d.attempts + 1 })
        } catch (err) {
          const why = maskSecrets(err instanceof SendError ? err.message : `${channel.name}: ${(err as Error).message}`)
          // A receiver that says how long to wait (HTTP 429) is not asked again sooner.
          const asked = err instanceof SendError ? err.retryAfterMs ?? 0 : 0
          const wait = Math.min(this.o.retryMaxMs, Math.max(asked, this.o.retryBaseMs * 2 ** d.attempts))
          await this.o.alerts.failed(d.id, now(), why, now() + wait)
          this.o.log({ channel: channel.name, delivery: d.id, ok: false, detail: why, attempts: d.attempts + 1 })
          return
        }
      }
    } finally {
      await leases.release(key, token).catch(() => {})
    }
  }
}
