import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readPageScripts } from '../../bench/site-js-size.ts'
import { startPlaygroundBroker } from '../../grader/broker/playground-broker.ts'
import { findFreePort } from '../../grader/broker/free-port.ts'
import { loadAllExercises } from '../../grader/exercises/load-exercises.ts'
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/chromium.ts'
import { type StaticServer, buildSite, listPages, serveStatic } from '../support/static-site.ts'

/**
 * The course site as a student gets it: `npm run build`, served by any static host, in a real browser.
 * One build for the whole file; the browser tests need Debian's Chromium.
 */
const dist = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-site-'))
let pages: string[] = []
beforeAll(async () => {
  await buildSite(dist)
  pages = await listPages(dist)
}, 300_000)

const html = (page: string) => readFileSync(path.join(dist, page, 'index.html'), 'utf8')
/** The markup each component renders: how a page is known to use it. */
const markers = { WildcardTester: 'data-wildcard-tester', QosSequence: 'data-qos-sequence', Playground: 'data-playground', Quiz: 'data-quiz' } as const
type Component = keyof typeof markers
const pageWith = (component: Component) => {
  const page = pages.find((p) => p.startsWith('/lessons/') && html(p).includes(`${markers[component]}`))
  if (!page) throw new Error(`no lesson uses the ${component} component`)
  return page
}

describe('the built site', () => {
  it('has the home page, every lesson and a page per exercise, generated from its README', async () => {
    const exercises = await loadAllExercises()
    expect(pages).toContain('/')
    expect(pages.filter((p) => /^\/lessons\/\d\d-[\w-]+\/$/.test(p))).toHaveLength(9)
    for (const exercise of exercises) {
      const page = html(`/exercises/${exercise.folder}/`)
      expect(page, exercise.id).toContain(`npm run grade -- ${exercise.id}`)
      for (const check of exercise.checks) expect(page, `${exercise.id} lists ${check.id}`).toContain(`<code>${check.id}</code>`)
      expect(page, `${exercise.id}: hints folded away`).toMatch(/<details>\s*<summary>Hint 1 \(gentle\)<\/summary>/)
      expect(page, `${exercise.id}: starter code with a file title`).toContain(`starter/${exercise.run.entry ?? 'mosquitto.conf'}`)
    }
  })

  it('has every lesson heading the grader links to (a failed check says "read: lessons/...#anchor")', async () => {
    const missing: string[] = []
    for (const exercise of await loadAllExercises()) {
      const page = html(`/lessons/${exercise.lesson}/`)
      for (const check of exercise.checks) {
        if (check.lessonSection && !page.includes(`id="${check.lessonSection}"`)) missing.push(`${exercise.id} ${check.id} → lessons/${exercise.lesson}#${check.lessonSection}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('ships no more JavaScript on a lesson than Starlight itself plus the components on that page', async () => {
    // Starlight's own scripts: what exercise pages (Starlight, Expressive Code, none of our components) load.
    const baseline = new Set<string>()
    for (const page of pages.filter((p) => p.startsWith('/exercises/'))) for (const id of (await readPageScripts(dist, page)).text.keys()) baseline.add(id)
    const problems: string[] = []
    for (const page of pages.filter((p) => p.startsWith('/lessons/'))) {
      const graph = await readPageScripts(dist, page)
      const used = (Object.keys(markers) as Component[]).filter((component) => html(page).replace(/<script[\s\S]*?<\/script>/g, '').includes(markers[component]))
      // A script belongs to a component when its code looks for that component's markup; chunks belong to
      // whoever imports them.
      const owners = new Map<string, Set<Component>>()
      const claim = (id: string, component: Component) => {
        if (owners.get(id)?.has(component)) return
        owners.set(id, new Set([...(owners.get(id) ?? []), component]))
        for (const imported of graph.imports.get(id) ?? []) claim(imported, component)
      }
      for (const root of graph.roots) {
        for (const component of Object.keys(markers) as Component[]) if (graph.text.get(root)?.includes(markers[component])) claim(root, component)
      }
      for (const id of graph.text.keys()) {
        // Starlight's own components (Tabs, ...) are Starlight too: they define starlight-* elements.
        if (baseline.has(id) || /starlight-[a-z]/.test(graph.text.get(id) ?? '')) continue
        const components = [...(owners.get(id) ?? [])]
        if (components.length === 0) problems.push(`${page} loads ${id}, which is neither Starlight's nor a component's`)
        for (const component of components) if (!used.includes(component)) problems.push(`${page} loads the ${component} script without showing a ${component}`)
      }
    }
    expect(problems).toEqual([])
  })
})

describe.skipIf(!hasChromium && process.env.CI !== 'true')(`the site in Chromium${chromiumSkipReason}`, () => {
  let browser: Browser
  let server: StaticServer
  beforeAll(async () => {
    browser = await launchChromium()
    server = await serveStatic(dist)
  })
  afterAll(async () => {
    await browser?.close()
    await server?.[Symbol.asyncDispose]()
  })

  /** A fresh page that records every console error, page error and failed request. */
  async function open(pathname: string, waitUntil: 'load' | 'networkidle' = 'load'): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith(server.url) && !url.startsWith('data:') && !url.startsWith('blob:')) errors.push(`off-site request: ${url}`)
    })
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`)
    })
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`))
    page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()} (${request.failure()?.errorText})`))
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`)
    })
    await page.goto(`${server.url}${pathname}`, { waitUntil })
    return { page, errors }
  }

  it('loads every page without a console error, a failed request or a request off this machine', { timeout: 240_000 }, async () => {
    const problems: string[] = []
    for (const pathname of pages) {
      // Network idle, not just load: scripts that start on DOMContentLoaded (search) report errors later.
      const { page, errors } = await open(pathname, 'networkidle')
      await page.close()
      problems.push(...errors.map((error) => `${pathname}: ${error}`))
    }
    expect(problems).toEqual([])
  })

  it('search finds a lesson', async () => {
    const { page, errors } = await open('/')
    // The button works once Starlight's <site-search> element is defined; Pagefind's UI loads on first open.
    await page.waitForFunction("customElements.get('site-search') !== undefined")
    await page.locator('site-search button[data-open-modal]:visible').first().click()
    const input = page.locator('.pagefind-ui__search-input')
    await input.waitFor({ timeout: 15_000 }).catch(() => {
      throw new Error(`the search box did not appear; page errors: ${errors.join('; ') || 'none'}`)
    })
    await input.fill('retained')
    const result = page.locator('.pagefind-ui__result-link', { hasText: 'Retained messages' }).first()
    await result.waitFor({ timeout: 15_000 })
    expect(await result.getAttribute('href')).toContain('/lessons/04-retained-messages/')
    expect(errors).toEqual([])
    await page.close()
  })

  it('the WildcardTester answers with the MQTT rules', async () => {
    const { page, errors } = await open(pageWith('WildcardTester'))
    const tester = page.locator('[data-wildcard-tester]').first()
    await tester.locator('input[name="filter"]').fill('home/#')
    await tester.locator('textarea[name="topics"]').fill('home\nhome/kitchen/temp\nhomes/x\n$SYS/home')
    const verdicts = () => tester.locator('[data-verdicts] li').evaluateAll((items) => items.map((item) => `${item.querySelector('code')?.textContent}: ${item.querySelector('.verdict')?.textContent}`))
    await expect.poll(verdicts).toEqual(['home: matches', 'home/kitchen/temp: matches', 'homes/x: does not match', '$SYS/home: does not match'])
    await tester.locator('input[name="filter"]').fill('home/#/temp')
    await expect.poll(() => tester.locator('[data-problem]').textContent()).toContain("'#' must be a whole level and the last one")
    expect(errors).toEqual([])
    await page.close()
  })

  it('the QosSequence steps through the QoS 2 exchange', async () => {
    const { page, errors } = await open(pageWith('QosSequence'))
    const sequence = page.locator('[data-qos-sequence]').first()
    await sequence.locator('[data-level="2"]').click()
    for (const packet of ['PUBREC', 'PUBREL', 'PUBCOMP']) {
      await sequence.locator('[data-action="next"]').click()
      await expect.poll(() => sequence.locator('[data-position]').textContent()).toContain(packet)
    }
    expect(errors).toEqual([])
    await page.close()
  })

  it('the Playground connects to npm run broker and receives its own message', async () => {
    await using broker = await startPlaygroundBroker({ port: 0, wsPort: 0 })
    const { page, errors } = await open(`${pageWith('Playground')}?broker=ws://127.0.0.1:${broker.wsPort}`)
    const playground = page.locator('[data-playground]').first()
    const status = playground.locator('[data-status]')
    await playground.locator('[data-connect-button]').click()
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('Connected to ws://127.0.0.1')
    await playground.locator('[data-subscribe] button[type="submit"]').click()
    await expect.poll(() => status.textContent()).toContain('Subscribed to playground/#')
    await playground.locator('[data-publish] input[name="payload"]').fill('hello from Chromium')
    await playground.locator('[data-publish] button[type="submit"]').click()
    await expect.poll(() => playground.locator('[data-messages] li').first().textContent(), { timeout: 10_000 }).toContain('playground/hello  hello from Chromium')
    await expect.poll(() => playground.locator('[data-tree]').textContent()).toContain('hello = hello from Chromium')
    expect(errors).toEqual([])
    await page.close()
  })

  it('the Playground says how to start a broker when none answers', async () => {
    const closedPort = await findFreePort()
    const { page } = await open(`${pageWith('Playground')}?broker=ws://127.0.0.1:${closedPort}`)
    const playground = page.locator('[data-playground]').first()
    await playground.locator('[data-connect-button]').click()
    await expect.poll(() => playground.locator('[data-status]').textContent(), { timeout: 10_000 }).toContain('npm run broker')
    await page.close()
  })

  it('the Quiz records an answer, and remembers it after a reload', async () => {
    const { page, errors } = await open(pageWith('Quiz'))
    const question = page.locator('[data-quiz] [data-question="0"]').first()
    await question.locator('input[name="choice"]').first().check()
    await question.locator('button[type="submit"]').click()
    await expect.poll(() => question.locator('[data-feedback]').isVisible()).toBe(true)
    const quizId = await page.locator('[data-quiz]').first().getAttribute('data-quiz')
    expect(await page.evaluate((key) => localStorage.getItem(key), `mqtt-course:quiz:${quizId}`)).toBe('{"0":0}')
    await page.reload({ waitUntil: 'load' })
    await expect.poll(() => page.locator('[data-quiz] [data-score]').first().textContent()).toMatch(/^1 of \d+ answered/)
    await expect.poll(() => page.locator('[data-quiz] [data-question="0"] [data-feedback]').first().isVisible()).toBe(true)
    expect(errors).toEqual([])
    await page.close()
  })
})
