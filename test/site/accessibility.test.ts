import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Browser, BrowserContext, Page } from 'playwright-core'
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
 * Every page, read as a student reads it: axe-core's contrast and heading rules in light and dark mode (with
 * the components in the states that show feedback), no sideways scrolling on a 390 px phone, no code line cut
 * off on a 1280 px laptop. One build for the whole file.
 */
const dist = makeSiteDir('a11y')
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const rules = ['color-contrast', 'heading-order', 'empty-heading', 'page-has-heading-one']
/** The markup of our components: pages with one are checked again once it is in use. */
const components = '[data-quiz], [data-wildcard-tester], [data-qos-sequence], [data-playground]'

describe.skipIf(!hasChromium && process.env.CI !== 'true')(`every page in Chromium${chromiumSkipReason}`, () => {
  let browser: Browser
  let server: StaticServer
  let pages: string[] = []
  beforeAll(async () => {
    await buildSite(dist)
    pages = await listPages(dist)
    browser = await launchChromium()
    server = await serveStatic(dist)
  }, 300_000)
  afterAll(async () => {
    await browser?.close()
    await server?.[Symbol.asyncDispose]()
    removeSiteDir(dist)
  })

  /** Puts each component of the page in the states a student sees after using it: feedback, results, a lab. */
  async function useComponents(page: Page): Promise<void> {
    for (const question of await page.locator('[data-quiz] [data-question]').all()) {
      const index = Number(await question.getAttribute('data-question'))
      if (index > 1) break
      // The first question answered wrong (error feedback), the second right (success feedback)... or the
      // other way round when the first choice happens to be right: both kinds are shown either way.
      await question.locator('input[name="choice"]').nth(index).check()
      await question.locator('button[type="submit"]').click()
    }
    const tester = page.locator('[data-wildcard-tester]').first()
    if (await tester.count()) await tester.locator('input[name="filter"]').fill('home/#/x')
    const sequence = page.locator('[data-qos-sequence]').first()
    if (await sequence.count()) {
      await sequence.locator('[data-exchange-tab="2-resent-publish"]').click()
      await sequence.locator('[data-action="next"]').click()
    }
    const start = page.locator('[data-playground] [data-start]').first()
    if (await start.count()) {
      await start.click()
      await page.locator('[data-playground] [data-state="online"]').first().waitFor({ timeout: 15_000 })
      const card = page.locator('[data-playground] [data-client]').first()
      await card.locator('[data-publish] input[name="topic"]').fill('not/+/valid')
      await card.locator('[data-publish] button[type="submit"]').click()
      await card.locator('.status[data-kind="error"]').waitFor()
    }
  }

  async function axe(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: axeSource })
    return page.evaluate(async (ruleIds) => {
      const { violations } = await (
        window as unknown as {
          axe: {
            run(
              context: Document,
              options: object,
            ): Promise<{
              violations: Array<{ id: string; nodes: Array<{ target: string[]; failureSummary?: string }> }>
            }>
          }
        }
      ).axe.run(document, {
        runOnly: { type: 'rule', values: ruleIds },
      })
      return violations.flatMap((violation) =>
        violation.nodes.map(
          (node) =>
            `${violation.id} at ${node.target.join(' ')}: ${node.failureSummary?.split('\n').slice(1).join(' ').trim()}`,
        ),
      )
    }, rules)
  }

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`meets WCAG AA contrast and has headings in order, in ${colorScheme} mode, before and after using the components`, {
      timeout: 300_000,
    }, async () => {
      const context: BrowserContext = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 900 } })
      const problems: string[] = []
      for (const pathname of pages) {
        const page = await context.newPage()
        await page.goto(`${server.url}${pathname}`, { waitUntil: 'load' })
        problems.push(...(await axe(page)).map((problem) => `${pathname}: ${problem}`))
        if (await page.locator(components).count()) {
          await useComponents(page)
          problems.push(...(await axe(page)).map((problem) => `${pathname} (after use): ${problem}`))
        }
        await page.close()
      }
      await context.close()
      expect(problems).toEqual([])
    })
  }

  it('no page scrolls sideways at 390 px, even with its components in use', { timeout: 300_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    const problems: string[] = []
    const overflow = (page: Page) =>
      page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
    for (const pathname of pages) {
      const page = await context.newPage()
      await page.goto(`${server.url}${pathname}`, { waitUntil: 'load' })
      const before = await overflow(page)
      if (before > 0) problems.push(`${pathname}: ${before} px too wide`)
      await useComponents(page)
      const after = await overflow(page)
      if (after > 0) problems.push(`${pathname} (after use): ${after} px too wide`)
      await page.close()
    }
    await context.close()
    expect(problems).toEqual([])
  })

  it('cuts off no code line at 1280 px', { timeout: 300_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const problems: string[] = []
    for (const pathname of pages) {
      const page = await context.newPage()
      await page.goto(`${server.url}${pathname}`, { waitUntil: 'load' })
      const cut = await page
        .locator('pre')
        .evaluateAll((blocks) =>
          blocks
            .filter((block) => block.scrollWidth > block.clientWidth + 1)
            .map(
              (block) =>
                `${block.textContent?.trim().split('\n')[0].slice(0, 60)}... (${block.scrollWidth - block.clientWidth} px hidden)`,
            ),
        )
      problems.push(...cut.map((block) => `${pathname}: ${block}`))
      await page.close()
    }
    await context.close()
    expect(problems).toEqual([])
  })
})
