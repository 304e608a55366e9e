import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { patient } from './app.js'

/**
 * Debian's chromium-headless-shell: the same Blink as /usr/bin/chromium without the desktop
 * browser around it (Playwright's own default for headless). The console test spent 16 CPU-s
 * less with it than with the full browser's headless mode (146 → 130 CPU-s with its gateway,
 * cameras and probes; same 258 checks). FWMAINT_TEST_CHROMIUM names another binary.
 */
export const CHROMIUM = process.env.FWMAINT_TEST_CHROMIUM ?? '/usr/bin/chromium-headless-shell'

/** Where screenshots taken by browser tests are kept (linked from the README). */
export const ARTIFACTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))

/**
 * Debian's headless Chromium, with the flags this machine needs (no sandbox as root, no
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
  // Playwright gives up on a wait, a click or a navigation after 30 s: a limit, not a timing, so
  // stretched like the tests' own (`eventually`). A machine running two suites at once reached
  // it once in the log screen's search. Every context the tests open gets it.
  const newContext = browser.newContext.bind(browser)
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => {
    const context = await newContext(...args)
    context.setDefaultTimeout(patient(30_000))
    return context
  }
  return browser
}

export function artifactPath (name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return path.join(ARTIFACTS, name)
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/** What axe-core finds at "serious" and above on the page as it is (rough edge 11): one line per rule. */
export async function axeViolations (page: Page): Promise<string[]> {
  // page.evaluate runs outside the page's CSP (which allows no injected script): the CSP stays as shipped.
  if (await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'undefined')) await page.evaluate(axeSource)
  return await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string, impact: string | null, help: string, nodes: Array<{ target: string[] }> }> }> } }).axe.run(document, { resultTypes: ['violations'] })
    return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map(n => n.target.join(' ')).join(', ')}${v.nodes.length > 4 ? ` and ${v.nodes.length - 4} more` : ''}`)
  })
}
