import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

/** Where screenshots taken by browser tests are kept (linked from the README). */
export const ARTIFACTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))

/**
 * Debian's Chromium, headless, with the flags this machine needs (no sandbox as root, no
 * background networking: the network is closed). Installed by the test pre-step.
 */
export async function launchChromium (t: Test): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the test pre-step (scripts/test-deps.sh) installs it`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required']
  })
  t.teardown(async () => { await browser.close() })
  return browser
}

export function artifactPath (name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return path.join(ARTIFACTS, name)
}
