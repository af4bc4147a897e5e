import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/chromium.ts'
import {
  type StaticServer,
  buildSite,
  makeSiteDir,
  removeSiteDir,
  listPages,
  serveStatic,
} from '../support/static-site.ts'

/**
 * The site published under a sub-path, as a project page on a static host is (https://example.org/mqtt-course/):
 * built with MQTT_COURSE_BASE, served only under that path, crawled from the home page. Every link, script,
 * style and image must resolve, and the Playground must still load its broker.
 */
const base = '/mqtt-course/'
const dist = makeSiteDir('base')
let server: StaticServer
beforeAll(async () => {
  await buildSite(dist, 240_000, { site: 'https://example.org', base })
  server = await serveStatic(dist, base)
}, 300_000)
afterAll(async () => {
  await server?.[Symbol.asyncDispose]()
  removeSiteDir(dist)
})

describe(`the site built under ${base}`, () => {
  it('crawls clean: every page reached from the home page, no broken link or asset', { timeout: 120_000 }, async () => {
    const seen = new Set<string>()
    const queue = [`${server.url}${base}`]
    const broken: string[] = []
    const pages = new Set<string>()
    while (queue.length > 0) {
      const url = queue.shift()!
      if (seen.has(url)) continue
      seen.add(url)
      const response = await fetch(url)
      if (response.status !== 200) {
        broken.push(`${url} → ${response.status}`)
        continue
      }
      if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) continue
      pages.add(new URL(url).pathname)
      const html = await response.text()
      for (const match of html.matchAll(/\s(?:href|src)="([^"#]+)/g)) {
        const target = new URL(match[1].replaceAll('&amp;', '&'), url)
        if (target.origin !== server.url) continue // external references (MQTT specs, man pages) are not crawled
        target.hash = ''
        if (!seen.has(target.href)) queue.push(target.href)
      }
    }
    expect(broken).toEqual([])
    // Every built page was reached by following links.
    expect([...pages].sort()).toEqual((await listPages(dist)).map((page) => `${base.slice(0, -1)}${page}`).sort())
  })

  it('has no root-relative link that escapes the base path', async () => {
    const escaping: string[] = []
    for (const page of await listPages(dist)) {
      const html = readFileSync(path.join(dist, page, 'index.html'), 'utf8')
      for (const match of html.matchAll(/\s(?:href|src)="(\/[^/"][^"]*)"/g))
        if (!match[1].startsWith(base)) escaping.push(`${page}: ${match[1]}`)
    }
    expect(escaping).toEqual([])
  })

  it.skipIf(!hasChromium && process.env.CI !== 'true')(
    `loads the Playground's broker under the base path${chromiumSkipReason}`,
    async () => {
      const browser = await launchChromium()
      try {
        const page = await browser.newPage()
        const errors: string[] = []
        page.on('pageerror', (error) => errors.push(error.message))
        page.on(
          'response',
          (response) => response.status() >= 400 && errors.push(`HTTP ${response.status()} ${response.url()}`),
        )
        await page.goto(`${server.url}${base}lessons/01-mqtt-in-a-nutshell/`)
        await page.locator('[data-playground] [data-start]').click()
        await page
          .locator('[data-playground] [data-client="sensor"] [data-state="online"]')
          .waitFor({ timeout: 15_000 })
        expect(errors).toEqual([])
      } finally {
        await browser.close()
      }
    },
  )
})
