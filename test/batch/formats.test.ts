import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { gradescopeResultsSchema } from '../support/gradescope-spec.ts'
import { runCli } from '../support/run-cli.ts'
import { tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'

// GitHub Classroom's runner result, as its autograding-grading-reporter reads it (base64 JSON in `result`).
const classroomSchema = z.object({
  version: z.literal(1),
  status: z.enum(['pass', 'fail', 'error']),
  max_score: z.number(),
  tests: z.array(
    z
      .object({
        name: z.string().min(1),
        status: z.enum(['pass', 'fail', 'error']),
        score: z.number(),
        message: z.string().nullable(),
        test_code: z.string(),
        filename: z.string(),
        line_no: z.number().int().nonnegative(),
        duration: z.number(),
      })
      .strict(),
  ),
})

/** ex1 with one mistake: `echoes` fails, 3 of 5 points. */
function brokenSubmission(): string {
  const dir = tempDir('format')
  writeEchoesOnlyFirst(path.join(dir, 'submission/ex1-hello-mqtt'))
  return dir
}

describe('--format: reports for the platforms instructors use, from the one result model', () => {
  it('gradescope prints results.json with its documented fields; the tests add up to the score', async () => {
    const dir = brokenSubmission()
    const result = await runCli([
      'grade',
      'ex1',
      '--dir',
      path.join(dir, 'submission'),
      '--broker',
      'embedded',
      '--seed',
      '11',
      '--format',
      'gradescope',
    ])
    expect(result.exitCode).toBe(1)
    const results = gradescopeResultsSchema.parse(JSON.parse(result.stdout))
    expect(results).toMatchObject({ score: 3, visibility: 'visible', stdout_visibility: 'hidden' })
    expect(results.tests.reduce((sum, test) => sum + test.score, 0)).toBe(3)
    expect(results.tests.reduce((sum, test) => sum + test.max_score, 0)).toBe(5)
    const echoes = results.tests.find((test) => test.status === 'failed')!
    expect(echoes.name).toMatch(/^ex1 › Your program sends every message/)
    expect(echoes.output).toMatch(/^The grader did not receive /)
    expect(echoes.output).toContain('hint: ')
  })

  it('classroom writes result=<base64 JSON> to $GITHUB_OUTPUT; the per-test scores add up to the points', async () => {
    const dir = brokenSubmission()
    const output = path.join(dir, 'github-output')
    writeFileSync(output, 'earlier=kept\n')
    const result = await runCli(
      ['grade', 'ex1', '--dir', path.join(dir, 'submission'), '--broker', 'embedded', '--format', 'classroom'],
      { env: { GITHUB_OUTPUT: output } },
    )
    expect(result.exitCode).toBe(1)
    const lines = readFileSync(output, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('earlier=kept')
    const [name, value] = [lines[1].slice(0, lines[1].indexOf('=')), lines[1].slice(lines[1].indexOf('=') + 1)]
    expect(name).toBe('result')
    const decoded = classroomSchema.parse(JSON.parse(Buffer.from(value, 'base64').toString('utf8')))
    expect(decoded).toMatchObject({ status: 'fail', max_score: 5 })
    expect(decoded.tests.reduce((sum, test) => sum + test.score, 0)).toBe(3)
    // echoes failed; settles, skipped after it (it runs only once the others pass), is not a pass either.
    expect(decoded.tests.filter((test) => test.status === 'fail')).toHaveLength(2)
    // The console report is still there for the student reading the log.
    expect(result.stdout).toContain('echoes')
  })

  it('github appends a Markdown summary to $GITHUB_STEP_SUMMARY and prints ::error annotations on the student file', async () => {
    const dir = brokenSubmission()
    const summary = path.join(dir, 'summary.md')
    const result = await runCli(
      ['grade', 'ex1', '--dir', 'submission', '--broker', 'embedded', '--seed', '12', '--format', 'github'],
      { cwd: dir, env: { GITHUB_STEP_SUMMARY: summary } },
    )
    expect(result.exitCode).toBe(1)
    const markdown = readFileSync(summary, 'utf8')
    expect(markdown).toContain('## mqtt-course: 3/5 points')
    expect(markdown).toMatch(/^\| ex1 Hello, broker \| 3\/5 \| ❌ Your program sends every message/m)
    expect(markdown).toContain('Seed 12')
    const annotations = result.stdout.split('\n').filter((line) => line.startsWith('::error '))
    expect(annotations).toHaveLength(1)
    expect(annotations[0]).toMatch(
      /^::error file=submission\/ex1-hello-mqtt\/main\.ts,line=\d+,title=ex1%3A Your program sends every message[^:]*::The grader did not receive /,
    )
    // The line: the publish call the check is about.
    const line = Number(/,line=(\d+),/.exec(annotations[0])![1])
    expect(readFileSync(path.join(dir, 'submission/ex1-hello-mqtt/main.ts'), 'utf8').split('\n')[line - 1]).toMatch(
      /\.publish(Async)?\(/,
    )
    expect(annotations[0]).not.toContain('\n')
  })

  it('an unknown format is a usage error that lists the formats', async () => {
    const result = await runCli(['grade', 'ex1', '--format', 'moodle'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('--format moodle: expected gradescope, classroom, github')
    const visibility = await runCli(['grade', 'ex1', '--format', 'gradescope', '--visibility', 'soon'])
    expect(visibility.exitCode).toBe(2)
    expect(visibility.stderr).toContain(
      '--visibility soon: expected one of visible, after_due_date, after_published, hidden',
    )
    const withoutGradescope = await runCli(['grade', 'ex1', '--visibility', 'hidden'])
    expect(withoutGradescope.exitCode).toBe(2)
    expect(withoutGradescope.stderr).toContain('--visibility is for --format gradescope')
  })
})

// The Gradescope autograder itself, built and run as Gradescope does: test/platforms/gradescope.test.ts.
