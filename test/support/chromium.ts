import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'

/**
 * Debian's Chromium, driven by playwright-core (never a downloaded browser). Network beyond loopback is
 * closed here, so the flags keep Chromium from trying to phone home; a page that fetches anything from the
 * internet fails its test on its own console errors.
 */
export const chromiumPath = process.env.MQTT_COURSE_CHROMIUM ?? '/usr/bin/chromium'
export const hasChromium = existsSync(chromiumPath)
export const chromiumSkipReason =
  hasChromium || process.env.CI === 'true'
    ? ''
    : ` (skipped: no Chromium at ${chromiumPath}; apt install chromium, or set MQTT_COURSE_CHROMIUM)`

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  })
}
