import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/chromium.ts'
import { runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'

describe.skipIf(!hasChromium && process.env.CI !== 'true')(`index.html, the cohort report, in Chromium${chromiumSkipReason}`, () => {
  let browser: Browser
  let report: string

  beforeAll(async () => {
    const cohort = tempDir('cohort-report')
    const out = path.join(tempDir('report-out'), 'reports')
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'ana/ex1'))
    writeEchoesOnlyFirst(path.join(cohort, 'ben/ex1'))
    writeEchoesOnlyFirst(path.join(cohort, 'cy/ex1-hello-mqtt'))
    copyVariant('ex2-topic-wildcards', 'solution', path.join(cohort, 'cy/ex2'))
    copyVariant('ex1-hello-mqtt', 'solution', path.join(cohort, 'dee/exercises/ex1-hello-mqtt/starter'))
    copyVariant('ex2-topic-wildcards', 'solution', path.join(cohort, 'dee/exercises/ex2-topic-wildcards/starter'))
    const result = await runCli(['batch', cohort, '--out', out, '--exercises', 'ex1,ex2', '--broker', 'embedded', '--jobs', '2', '--seed', '31'], { timeoutMs: 240_000 })
    expect(result.exitCode).toBe(0)
    report = pathToFileURL(path.join(out, 'index.html')).href
    browser = await launchChromium()
  }, 300_000)

  afterAll(async () => {
    await browser?.close()
  })

  it('loads with no network request and no console error', async () => {
    const page = await browser.newPage()
    const requests: string[] = []
    const errors: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()))
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(report)
    expect(requests).toEqual([report])
    expect(errors).toEqual([])
    expect(await page.title()).toBe('Cohort report: 4 students')
    await page.close()
  })

  it('shows the students × exercises grid, coloured by score', async () => {
    const page = await browser.newPage()
    await page.goto(report)
    const rows = await page.$$eval('#grid tbody tr', (trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent!.trim())))
    expect(rows).toEqual([
      ['ana', '5/5', '0/10', '5/15'],
      ['ben', '3/5', '0/10', '3/15'],
      ['cy', '3/5', '10/10', '13/15'],
      ['dee', '5/5', '10/10', '15/15'],
    ])
    // The page's own code, in the browser (the DOM's types are not this project's lib).
    const colours = await page.evaluate(`[...document.querySelectorAll('#grid tbody tr:first-child td')].map((td) => getComputedStyle(td).backgroundColor)`) as string[]
    // ana: every point of ex1 (green), none of ex2 (red).
    const [red, green] = [colours[1], colours[0]].map((colour) => colour.match(/\d+/g)!.map(Number))
    expect(green[1]).toBeGreaterThan(green[0])
    expect(red[0]).toBeGreaterThan(red[1])
    await page.close()
  })

  it('sorts by a column when its name is clicked, then the other way', async () => {
    const page = await browser.newPage()
    await page.goto(report)
    const names = () => page.$$eval('#grid tbody th', (ths) => ths.map((th) => th.textContent!.trim()))
    await page.click('#grid thead button:text-is("Total")')
    expect(await names()).toEqual(['dee', 'cy', 'ana', 'ben'])
    expect(await page.getAttribute('#grid thead th:last-child', 'aria-sort')).toBe('descending')
    await page.click('#grid thead button:text-is("Total")')
    expect(await names()).toEqual(['ben', 'ana', 'cy', 'dee'])
    await page.click('#grid thead button:text-is("Student")')
    expect(await names()).toEqual(['ana', 'ben', 'cy', 'dee'])
    await page.close()
  })

  it("opens a cell's failing check: message, expected/received, trace excerpt", async () => {
    const page = await browser.newPage()
    await page.goto(report)
    await page.click('#grid tbody tr:nth-child(2) td:nth-of-type(1) a')
    const details = page.locator('details[open]')
    await expect.poll(() => details.count()).toBe(1)
    expect(await details.locator('summary').textContent()).toBe('ex1 Hello, broker: 3/5, failed: echoes')
    expect(await details.locator('.message').textContent()).toMatch(/^The grader did not receive /)
    expect(await details.locator('dt').allTextContents()).toEqual(['expected', 'received'])
    expect(await details.locator('pre.trace').textContent()).toMatch(/^\+\d+\.\d{3}s\s+#1 /)
    expect(await details.isVisible()).toBe(true)
    await page.close()
  })

  it('tells, per check, the share of the cohort that failed it: what to teach again', async () => {
    const page = await browser.newPage()
    await page.goto(report)
    const shares = await page.$$eval('#shares tbody tr', (trs) => trs.map((tr) => tr.textContent!.replace(/\s+/g, ' ').trim()))
    expect(shares[0]).toMatch(/^ex1 Your program sends every message .* echoes 2 of 4 students \(50%\)$/)
    expect(shares).toHaveLength(1)
    await page.close()
  })
})
