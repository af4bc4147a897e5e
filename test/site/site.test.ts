import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFirstUseScripts, readPageScripts } from '../../bench/site-js-size.ts'
import { loadAllExercises } from '../../grader/exercises/load-exercises.ts'
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
 * The course site as a student gets it: `npm run build`, served by any static host, in a real browser.
 * One build for the whole file; the browser tests need Debian's Chromium.
 */
const dist = makeSiteDir('site')
let pages: string[] = []
beforeAll(async () => {
  await buildSite(dist)
  pages = await listPages(dist)
}, 300_000)

const html = (page: string) => readFileSync(path.join(dist, page, 'index.html'), 'utf8')
/** The markup each component renders: how a page is known to use it. */
const markers = {
  WildcardTester: 'data-wildcard-tester',
  QosSequence: 'data-qos-sequence',
  Playground: 'data-playground',
  Quiz: 'data-quiz',
} as const
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
      for (const check of exercise.checks)
        expect(page, `${exercise.id} lists ${check.id}`).toContain(`<code>${check.id}</code>`)
      expect(page, `${exercise.id}: hints folded away`).toMatch(/<details>\s*<summary>Hint 1 \(gentle\)<\/summary>/)
      expect(page, `${exercise.id}: starter code with a file title`).toContain(
        `starter/${exercise.run.entry ?? 'mosquitto.conf'}`,
      )
    }
  })

  it('has every lesson heading the grader links to (a failed check says "read: lessons/...#anchor")', async () => {
    const missing: string[] = []
    for (const exercise of await loadAllExercises()) {
      const page = html(`/lessons/${exercise.lesson}/`)
      for (const check of exercise.checks) {
        if (check.lessonSection && !page.includes(`id="${check.lessonSection}"`))
          missing.push(`${exercise.id} ${check.id} → lessons/${exercise.lesson}#${check.lessonSection}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('walks the course in order: each lesson, then its exercises, then the next lesson', async () => {
    const next = (page: string) => /<a href="([^"]+)" rel="next"/.exec(html(page))?.[1]
    const exercises = await loadAllExercises()
    const lessons = pages.filter((p) => /^\/lessons\/\d\d-/.test(p))
    const expected: string[] = []
    for (const lesson of lessons) {
      expected.push(lesson)
      for (const exercise of exercises
        .filter((e) => `/lessons/${e.lesson}/` === lesson)
        .sort((a, b) => a.number - b.number))
        expected.push(`/exercises/${exercise.folder}/`)
    }
    const walked = ['/get-the-code/']
    while (walked.length < 60) {
      const following = next(walked.at(-1)!)
      if (!following) break
      walked.push(following)
    }
    // After the course, the Guides group of the sidebar: troubleshooting first, then the instructors' guide.
    expect(walked).toEqual(['/get-the-code/', ...expected, '/guides/troubleshooting/', '/guides/for-instructors/'])
  })

  it('links every "(lesson N)" in the lessons\' text to that lesson, and has a Get the code page linked from home', () => {
    const unlinked: string[] = []
    for (const page of pages.filter((p) => p.startsWith('/lessons/'))) {
      const text = html(page)
        .replace(/<pre[\s\S]*?<\/pre>/g, '')
        .replace(/<script[\s\S]*?<\/script>/g, '')
        .replace(/\sdata-[\w-]+="[^"]*"/g, '')
      for (const match of text.matchAll(/\(lesson \d+[^<]{0,20}/g)) unlinked.push(`${page}: ${match[0]}`)
    }
    expect(unlinked).toEqual([])
    expect(html('/lessons/05-last-will/')).toContain('(<a href="../03-qos/">lesson 3</a>')
    expect(html('/')).toContain('href="get-the-code/"')
    const getTheCode = html('/get-the-code/')
    for (const text of [
      'git clone',
      'npm ci',
      'npm run grade -- ex1',
      'npm run broker',
      'exercises/exN-slug/',
      'https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html',
      'https://mosquitto.org/man/mosquitto-conf-5.html',
    ]) {
      expect(getTheCode, text).toContain(text)
    }
  })

  it('balances the quizzes: the right answer in each position about as often, and seldom the longest choice', () => {
    const decode = (text: string) =>
      text
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
    const questions = pages
      .filter((page) => page.startsWith('/lessons/'))
      .flatMap((page) =>
        [...html(page).matchAll(/data-questions="([^"]*)"/g)].flatMap(
          (match) => JSON.parse(decode(match[1])) as Array<{ choices: string[]; answer: number }>,
        ),
      )
    expect(questions.length).toBeGreaterThanOrEqual(40)
    const positions = [0, 1, 2, 3].map((position) => questions.filter((q) => q.answer === position).length)
    for (const count of positions)
      expect(count / questions.length, `right answers by position: ${positions.join(', ')}`).toBeGreaterThan(0.18)
    // A student who always picks the longest choice should not pass: strictly longest in under 40 % of questions.
    const longest = questions.filter((q) =>
      q.choices.every((choice, index) => index === q.answer || choice.length < q.choices[q.answer].length),
    ).length
    expect(
      longest / questions.length,
      `${longest} of ${questions.length} right answers are the longest choice`,
    ).toBeLessThan(0.4)
  })

  it('loads the in-page broker and MQTT.js only when a Playground is first used, never with a page', async () => {
    // aedes and MQTT.js, recognised by strings of their own.
    const isBrokerOrClient = (text: string) => text.includes('keep alive timeout') || text.includes('mqttjs')
    let onFirstUse = 0
    for (const page of pages) {
      const graph = await readPageScripts(dist, page)
      expect(
        [...graph.text].filter(([, text]) => isBrokerOrClient(text)).map(([id]) => id),
        page,
      ).toEqual([])
      const lab = await readFirstUseScripts(dist, graph, markers.Playground)
      if (html(page).includes(markers.Playground)) {
        expect([...lab.values()].some(isBrokerOrClient), `${page}: the lab loads on first use`).toBe(true)
        onFirstUse++
      } else expect([...lab.keys()], page).toEqual([])
    }
    expect(onFirstUse).toBeGreaterThanOrEqual(4)
  })

  it('ships no more JavaScript on a lesson than Starlight itself plus the components on that page', async () => {
    // Starlight's own scripts: what exercise pages (Starlight, Expressive Code, none of our components) load.
    const baseline = new Set<string>()
    for (const page of pages.filter((p) => p.startsWith('/exercises/')))
      for (const id of (await readPageScripts(dist, page)).text.keys()) baseline.add(id)
    const problems: string[] = []
    for (const page of pages.filter((p) => p.startsWith('/lessons/'))) {
      const graph = await readPageScripts(dist, page)
      const used = (Object.keys(markers) as Component[]).filter((component) =>
        html(page)
          .replace(/<script[\s\S]*?<\/script>/g, '')
          .includes(markers[component]),
      )
      // A script belongs to a component when its code looks for that component's markup; chunks belong to
      // whoever imports them.
      const owners = new Map<string, Set<Component>>()
      const claim = (id: string, component: Component) => {
        if (owners.get(id)?.has(component)) return
        owners.set(id, new Set([...(owners.get(id) ?? []), component]))
        for (const imported of graph.imports.get(id) ?? []) claim(imported, component)
      }
      for (const root of graph.roots) {
        for (const component of Object.keys(markers) as Component[])
          if (graph.text.get(root)?.includes(markers[component])) claim(root, component)
      }
      for (const id of graph.text.keys()) {
        // Starlight's own components (Tabs, ...) are Starlight too: they define starlight-* elements.
        if (baseline.has(id) || /starlight-[a-z]/.test(graph.text.get(id) ?? '')) continue
        const components = [...(owners.get(id) ?? [])]
        if (components.length === 0)
          problems.push(`${page} loads ${id}, which is neither Starlight's nor a component's`)
        for (const component of components)
          if (!used.includes(component))
            problems.push(`${page} loads the ${component} script without showing a ${component}`)
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
    removeSiteDir(dist)
  })

  /** A fresh page that records every console error, page error and failed request. */
  async function open(
    pathname: string,
    waitUntil: 'load' | 'networkidle' = 'load',
  ): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('request', (request) => {
      const url = request.url()
      if (!url.startsWith(server.url) && !url.startsWith('data:') && !url.startsWith('blob:'))
        errors.push(`off-site request: ${url}`)
    })
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`)
    })
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`))
    page.on('requestfailed', (request) =>
      errors.push(`request failed: ${request.url()} (${request.failure()?.errorText})`),
    )
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`)
    })
    await page.goto(`${server.url}${pathname}`, { waitUntil })
    return { page, errors }
  }

  it('loads every page without a console error, a failed request or a request off this machine', {
    timeout: 240_000,
  }, async () => {
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

  it('the WildcardTester answers with the MQTT rules, says why, and keeps its styles after an edit', async () => {
    const { page, errors } = await open(pageWith('WildcardTester'))
    const tester = page.locator('[data-wildcard-tester]').first()
    const markColor = () =>
      tester
        .locator('[data-verdicts] li.match .mark')
        .first()
        .evaluate((mark) => getComputedStyle(mark).color)
    const colorBefore = await markColor()
    await tester.locator('input[name="filter"]').fill('home/#')
    await tester.locator('textarea[name="topics"]').fill('home\nhome/kitchen/temp\nhomes/x\n$SYS/home')
    const verdicts = () =>
      tester
        .locator('[data-verdicts] li')
        .evaluateAll((items) =>
          items.map(
            (item) => `${item.querySelector('code')?.textContent}: ${item.querySelector('.verdict')?.textContent}`,
          ),
        )
    await expect
      .poll(verdicts)
      .toEqual([
        'home: matches',
        'home/kitchen/temp: matches',
        'homes/x: does not match: level 1 is "homes", the filter wants "home"',
        '$SYS/home: does not match: level 1 is "$SYS", the filter wants "home"',
      ])
    // Re-made by script, still styled: the mark keeps its colour, the items their flex layout.
    expect(await markColor()).toBe(colorBefore)
    expect(
      await tester
        .locator('[data-verdicts] li')
        .first()
        .evaluate((item) => getComputedStyle(item).display),
    ).toBe('flex')
    await tester.locator('input[name="filter"]').fill('home/#/temp')
    await expect
      .poll(() => tester.locator('[data-problem]').textContent())
      .toContain("'#' must be a whole level and the last one")
    await expect.poll(() => tester.locator('[data-verdicts] li').count()).toBe(0)
    expect(errors).toEqual([])
    await page.close()
  })

  it('the QosSequence steps through QoS 2 and its failure path, with no button that does nothing', async () => {
    const { page, errors } = await open(pageWith('QosSequence'))
    const sequence = page.locator('[data-qos-sequence]').first()
    const disabled = async () =>
      Object.fromEntries(
        await Promise.all(
          ['back', 'next', 'reset'].map(async (action) => [
            action,
            await sequence.locator(`[data-action="${action}"]`).isDisabled(),
          ]),
        ),
      )
    await sequence.locator('[data-exchange-tab="2"]').click()
    expect(await disabled()).toEqual({ back: true, next: false, reset: true })
    for (const packet of ['PUBREC', 'PUBREL', 'PUBCOMP']) {
      await sequence.locator('[data-action="next"]').click()
      await expect.poll(() => sequence.locator('[data-position]').textContent()).toContain(packet)
    }
    expect(await disabled()).toEqual({ back: false, next: true, reset: false })
    await sequence.locator('[data-exchange-tab="2-resent-publish"]').click()
    await sequence.locator('[data-action="next"]').click()
    await expect
      .poll(() => sequence.locator('[data-position]').textContent())
      .toBe('Packet 2 of 6: receiver → sender PUBREC (id 9) ✗ lost')
    await sequence.locator('[data-action="next"]').click()
    await expect.poll(() => sequence.locator('[data-position]').textContent()).toContain('PUBLISH (QoS 2, id 9, DUP=1)')
    expect(errors).toEqual([])
    await page.close()
  })

  it('the QosSequence shows every exchange and step without JavaScript, and no button', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${server.url}${pageWith('QosSequence')}`)
    const sequence = page.locator('[data-qos-sequence]').first()
    const steps = sequence.locator('[data-step]')
    expect(await steps.count()).toBeGreaterThan(15)
    for (const step of await steps.all()) expect(await step.isVisible()).toBe(true)
    expect(await sequence.locator('button:visible').count()).toBe(0)
    await context.close()
  })

  it('the Quiz records the first try, keeps it after a reload, and a second try does not raise the score', async () => {
    const { page, errors } = await open(pageWith('Quiz'))
    const quiz = page.locator('[data-quiz]').first()
    const question = quiz.locator('[data-question="0"]')
    const answer = Number(
      await question.evaluate(
        (form) => JSON.parse((form.closest('[data-quiz]') as HTMLElement).dataset.questions!)[0].answer,
      ),
    )
    const wrong = answer === 0 ? 1 : 0
    await question.locator('input[name="choice"]').nth(wrong).check()
    await question.locator('button[type="submit"]').click()
    await expect.poll(() => question.locator('[data-feedback]').getAttribute('data-correct')).toBe('false')
    const quizId = await quiz.getAttribute('data-quiz')
    expect(await page.evaluate((key) => localStorage.getItem(key), `mqtt-course:quiz:${quizId}`)).toBe(`{"0":${wrong}}`)
    // Having seen the answer, the student checks the right one: right feedback, same score.
    await question.locator('input[name="choice"]').nth(answer).check()
    await question.locator('button[type="submit"]').click()
    await expect.poll(() => question.locator('[data-feedback]').getAttribute('data-correct')).toBe('true')
    await expect
      .poll(() => quiz.locator('[data-score]').textContent())
      .toMatch(/^1 of \d+ answered, 0 right on the first try\.$/)
    await page.reload({ waitUntil: 'load' })
    await expect
      .poll(() => page.locator('[data-quiz] [data-score]').first().textContent())
      .toMatch(/^1 of \d+ answered, 0 right on the first try\.$/)
    await expect
      .poll(() => page.locator('[data-quiz] [data-question="0"] [data-feedback]').first().isVisible())
      .toBe(true)
    expect(errors).toEqual([])
    await page.close()
  })
})
