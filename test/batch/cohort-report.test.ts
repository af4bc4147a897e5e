import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumSkipReason, hasChromium, launchChromium } from '../support/chromium.ts'
import { runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst, writeHostileProgram } from './cohort-fixtures.ts'

describe.skipIf(!hasChromium && process.env.CI !== 'true')(
  `index.html, the cohort report, in Chromium${chromiumSkipReason}`,
  () => {
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
      // Issue 22: a clone with nothing done, and a program that crashes, are not attempts.
      copyVariant('ex1-hello-mqtt', 'starter', path.join(cohort, 'eve/exercises/ex1-hello-mqtt/starter'))
      writeHostileProgram(path.join(cohort, 'fay/ex1'), 'crash')
      const result = await runCli(
        [
          'batch',
          cohort,
          '--out',
          out,
          '--exercises',
          'ex1,ex2',
          '--broker',
          'embedded',
          '--jobs',
          '2',
          '--seed',
          '31',
        ],
        { timeoutMs: 240_000 },
      )
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
      expect(await page.title()).toBe('Cohort report: 6 students')
      await page.close()
    })

    it('shows the students × exercises grid: not submitted, the starter, a program that does not run and a score each in words and a look of its own', async () => {
      const page = await browser.newPage()
      await page.goto(report)
      const rows = await page.$$eval('#grid tbody tr', (trs) =>
        trs.map((tr) => [...tr.children].map((cell) => cell.textContent!.trim())),
      )
      expect(rows).toEqual([
        ['ana', '5/5', '— not submitted', '5/15'],
        ['ben', '3/5', '— not submitted', '3/15'],
        ['cy', '3/5', '10/10', '13/15'],
        ['dee', '5/5', '10/10', '15/15'],
        ['eve', '○ starter 0/5', '— not submitted', '0/15'],
        ['fay', "✗ doesn't run 0/5", '— not submitted', '0/15'],
      ])
      // The page's own code, in the browser (the DOM's types are not this project's lib). Each state differs in
      // more than colour: its border or background pattern and its words.
      const looks = (await page.evaluate(
        `[...document.querySelectorAll('#grid tbody td.cell:not(.total)')].map((td) => [td.dataset.state, getComputedStyle(td).borderTopStyle, getComputedStyle(td).backgroundImage !== 'none', getComputedStyle(td).backgroundColor])`,
      )) as [string, string, boolean, string][]
      const byState = new Map(looks.map(([state, ...look]) => [state, look.join(' ')]))
      expect([...byState.keys()].sort()).toEqual(['does-not-run', 'not-submitted', 'starter', 'tried'])
      expect(new Set([...byState.values()].map((look) => look.split(' ').slice(0, 2).join(' '))).size).toBe(4)
      expect(byState.get('not-submitted')!.startsWith('dashed false')).toBe(true)
      expect(byState.get('starter')!.startsWith('dotted false')).toBe(true)
      expect(byState.get('does-not-run')!.startsWith('solid true')).toBe(true)
      expect(byState.get('tried')!.startsWith('solid false')).toBe(true)
      // A score is coloured by how far it got: ana's ex1 (every point) greener than ben's (3 of 5).
      const colours = (await page.evaluate(
        `[...document.querySelectorAll('#grid tbody tr td:first-of-type')].map((td) => getComputedStyle(td).backgroundColor)`,
      )) as string[]
      const [full, part] = [colours[0], colours[1]].map((colour) => colour.match(/\d+/g)!.map(Number))
      expect(full[1] - full[0]).toBeGreaterThan(part[1] - part[0])
      await page.close()
    })

    it('sorts by a column when its name is clicked, then the other way', async () => {
      const page = await browser.newPage()
      await page.goto(report)
      const names = () => page.$$eval('#grid tbody th', (ths) => ths.map((th) => th.textContent!.trim()))
      await page.click('#grid thead button:text-is("Total")')
      expect(await names()).toEqual(['dee', 'cy', 'ana', 'ben', 'eve', 'fay'])
      expect(await page.getAttribute('#grid thead th:last-child', 'aria-sort')).toBe('descending')
      await page.click('#grid thead button:text-is("Total")')
      expect(await names()).toEqual(['eve', 'fay', 'ben', 'ana', 'cy', 'dee'])
      await page.click('#grid thead button:text-is("Student")')
      expect(await names()).toEqual(['ana', 'ben', 'cy', 'dee', 'eve', 'fay'])
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

    it('tells, per check, the share of those who attempted it that failed it, and the message most of them got: what to teach again', async () => {
      const page = await browser.newPage()
      await page.goto(report)
      const shares = await page.$$eval('#shares tbody tr', (trs) =>
        trs.map((tr) => tr.textContent!.replace(/\s+/g, ' ').trim()),
      )
      // eve (the untouched starter) and fay (crashes) did not attempt ex1: 2 of the 4 who did failed echoes.
      expect(shares[0]).toMatch(
        /^ex1 Your program sends every message .* echoes 2 of 4 students \(50%\)The grader did not receive ".*" back on .*, then no more\. .*\(2 of 2\)$/,
      )
      expect(shares).toHaveLength(1)
      await page.close()
    })
  },
)
