import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCourseRepository } from '../../site/course/course-repository.ts'
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/chromium.ts'
import { courseRoot } from '../support/run-cli.ts'
import {
  type StaticServer,
  buildSite,
  listPages,
  makeSiteDir,
  removeSiteDir,
  serveStatic,
} from '../support/static-site.ts'

/**
 * The site as a student starts from it, and as a keyboard and a screen reader use it: axe-core with every WCAG 2.x
 * A/AA rule and its best practices on every page, on a phone and a laptop, before and after using the
 * components; every scroll region reachable by Tab; the focus kept after "Start the lab" and the last "Next
 * packet"; "Start over" unable to make a first-try score; the repository named; the guides in the sidebar; the
 * sequence diagrams drawn, whole, on a phone. One build for the whole file.
 */
const dist = makeSiteDir('keyboard')
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']
const repository = readCourseRepository(courseRoot)

describe.skipIf(!hasChromium && process.env.CI !== 'true')(
  `the site, by keyboard and axe, in Chromium${chromiumSkipReason}`,
  () => {
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

    async function axe(page: Page): Promise<string[]> {
      await page.addScriptTag({ content: axeSource })
      return page.evaluate(async (values) => {
        const axeApi = (
          window as unknown as {
            axe: {
              run(
                context: Document,
                options: object,
              ): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: string[] }> }> }>
            }
          }
        ).axe
        const { violations } = await axeApi.run(document, { runOnly: { type: 'tag', values } })
        return violations.flatMap((violation) =>
          violation.nodes.map((node) => `${violation.id} at ${node.target.join(' ')}`),
        )
      }, tags)
    }

    async function open(pathname: string, width: number): Promise<Page> {
      const page = await browser.newPage({ viewport: { width, height: 900 } })
      await page.goto(`${server.url}${pathname}`, { waitUntil: 'load' })
      return page
    }

    for (const width of [390, 1280]) {
      it(`passes axe (WCAG 2.x A/AA and best practices) on every page at ${width} px, and again with its components in use`, {
        timeout: 300_000,
      }, async () => {
        const problems: string[] = []
        for (const pathname of pages) {
          const page = await open(pathname, width)
          problems.push(...(await axe(page)).map((problem) => `${pathname}: ${problem}`))
          const start = page.locator('[data-playground] [data-start]').first()
          const next = page.locator('[data-qos-sequence] [data-action="next"]').first()
          const quiz = page.locator('[data-quiz] [data-question="0"]').first()
          if ((await start.count()) + (await next.count()) + (await quiz.count()) > 0) {
            if (await quiz.count()) {
              await quiz.locator('input[name="choice"]').first().check()
              await quiz.locator('button[type="submit"]').click()
            }
            if ((await next.count()) && !(await next.isDisabled())) await next.click()
            if (await start.count()) {
              await start.click()
              await page.locator('[data-playground] [data-state="online"]').first().waitFor({ timeout: 15_000 })
            }
            problems.push(...(await axe(page)).map((problem) => `${pathname} (in use): ${problem}`))
          }
          await page.close()
        }
        expect(problems).toEqual([])
      })
    }

    it('reaches every scroll region (wide tables) with Tab on a phone, each with a name', {
      timeout: 120_000,
    }, async () => {
      const page = await open('/lessons/05-last-will/', 390)
      const regions = page.locator('.table-scroll[role="region"]')
      expect(await regions.count()).toBeGreaterThan(2)
      for (const region of await regions.all()) {
        expect(await region.getAttribute('tabindex')).toBe('0')
        expect(await region.getAttribute('aria-label')).toMatch(/^Table: .+/)
      }
      // Tab from the top until the first region has the focus: it is in the tab order, not only focusable.
      const label = await regions.first().getAttribute('aria-label')
      let reached = false
      for (let press = 0; press < 200 && !reached; press++) {
        await page.keyboard.press('Tab')
        reached = await page.evaluate((name) => document.activeElement?.getAttribute('aria-label') === name, label)
      }
      expect(reached, `Tab never reached the region "${label}"`).toBe(true)
      // A focused region scrolls with the arrow keys.
      const scrolled = await page.evaluate(() => {
        const wide = [...document.querySelectorAll<HTMLElement>('.table-scroll')].find(
          (region) => region.scrollWidth > region.clientWidth,
        )
        return wide ? wide.scrollWidth - wide.clientWidth : 0
      })
      expect(scrolled, 'no table on lesson 5 is wider than a phone: the region test proves nothing').toBeGreaterThan(0)
      await page.close()
    })

    it('keeps the focus on a control after the last "Next packet" and after "Start the lab"', {
      timeout: 120_000,
    }, async () => {
      const page = await open('/lessons/03-qos/', 1280)
      const sequence = page.locator('[data-qos-sequence]').first()
      const next = sequence.locator('[data-action="next"]')
      await sequence.locator('[data-exchange-tab="2"]').click()
      let clicks = 0
      while (!(await next.isDisabled())) {
        await next.click()
        clicks++
      }
      expect(clicks, 'QoS 2 has four packets: Next packet is pressed three times').toBe(3)
      expect(
        await page.evaluate(
          () =>
            document.activeElement?.closest('[data-qos-sequence]') !== null &&
            document.activeElement?.tagName === 'BUTTON',
        ),
      ).toBe(true)
      await page.close()

      const lab = await open('/lessons/01-mqtt-in-a-nutshell/', 1280)
      await lab.locator('[data-playground] [data-start]').first().click()
      await lab.locator('[data-playground] [data-state="online"]').first().waitFor({ timeout: 15_000 })
      await expect.poll(() => lab.evaluate(() => document.activeElement?.closest('[data-client]') !== null)).toBe(true)
      await lab.close()
    })

    it('"Start over" clears the answers but a revealed answer never counts as a first try', {
      timeout: 60_000,
    }, async () => {
      const page = await open('/lessons/03-qos/', 1280)
      const quiz = page.locator('[data-quiz]').first()
      const question = quiz.locator('[data-question="0"]')
      const answer = Number(
        await question.evaluate(
          (form) => JSON.parse((form.closest('[data-quiz]') as HTMLElement).dataset.questions!)[0].answer,
        ),
      )
      await question
        .locator('input[name="choice"]')
        .nth(answer === 0 ? 1 : 0)
        .check()
      await question.locator('button[type="submit"]').click()
      await quiz.locator('[data-reset]').click()
      expect(await question.locator('[data-feedback]').isHidden()).toBe(true)
      await question.locator('input[name="choice"]').nth(answer).check()
      await question.locator('button[type="submit"]').click()
      await expect
        .poll(() => quiz.locator('[data-score]').textContent())
        .toMatch(/^1 of \d+ answered, 0 right on the first try\. Since you started over: 1 of 1 right\.$/)
      await page.reload({ waitUntil: 'load' })
      await expect
        .poll(() => page.locator('[data-quiz] [data-score]').first().textContent())
        .toMatch(/0 right on the first try/)
      await page.close()
    })

    it("names the course's repository (package.json) on Get the code and on every exercise page, and lists the guides", async () => {
      const getTheCode = await open('/get-the-code/', 1280)
      expect(await getTheCode.locator('pre').first().textContent()).toContain(`git clone ${repository.cloneUrl}`)
      const sidebar = getTheCode.locator('nav[aria-label="Main"]')
      expect(await sidebar.locator('a[href$="/guides/troubleshooting/"]').count()).toBe(1)
      expect(await sidebar.locator('a[href$="/guides/for-instructors/"]').count()).toBe(1)
      await getTheCode.close()
      for (const pathname of pages.filter((candidate) => candidate.startsWith('/exercises/'))) {
        const page = await open(pathname, 1280)
        expect(await page.locator(`a[href="${repository.webUrl}"]`).count(), pathname).toBeGreaterThan(0)
        expect(await page.locator('main').textContent(), pathname).not.toMatch(/(^|\s)node exercises\//)
        await page.close()
      }
    })

    it('draws the sequence diagrams whole on a phone, with text at least 7 px high, and says them in words', {
      timeout: 60_000,
    }, async () => {
      for (const pathname of [
        '/lessons/01-mqtt-in-a-nutshell/',
        '/lessons/03-qos/',
        '/lessons/04-retained-messages/',
        '/lessons/09-mqtt-5-in-practice/',
      ]) {
        const page = await open(pathname, 390)
        const diagrams = page.locator('[data-sequence-diagram]')
        expect(await diagrams.count(), pathname).toBeGreaterThan(0)
        expect(
          await page.locator('.sl-markdown-content pre:has-text("──▶")').count(),
          `${pathname}: ASCII arrows left`,
        ).toBe(0)
        for (const diagram of await diagrams.all()) {
          const sizes = await diagram.evaluate((figure) => {
            const svg = figure.querySelector('svg')!
            const box = svg.getBoundingClientRect()
            const texts = [...svg.querySelectorAll('text')].map((text) => text.getBoundingClientRect())
            return {
              svgRight: box.right,
              viewport: window.innerWidth,
              smallest: Math.min(...texts.map((text) => text.height)),
              outside: texts.filter((text) => text.left < box.left - 1 || text.right > box.right + 1).length,
            }
          })
          expect(sizes.svgRight, pathname).toBeLessThanOrEqual(sizes.viewport)
          expect(sizes.outside, `${pathname}: text outside the drawing`).toBe(0)
          expect(sizes.smallest, pathname).toBeGreaterThanOrEqual(7)
          expect(await diagram.locator('ol li').count()).toBeGreaterThan(1)
          expect(await diagram.locator('svg').getAttribute('role')).toBe('img')
        }
        await page.close()
      }
    })
  },
)
