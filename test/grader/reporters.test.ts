import { describe, expect, it } from 'vitest'
import { ConsoleReporter } from '../../grader/report/console-reporter.ts'
import { renderJunit } from '../../grader/report/junit-reporter.ts'
import { renderGradescope } from '../../grader/report/gradescope-reporter.ts'
import { type GradeReport, exitCodeFor, gradeReportSchema } from '../../grader/report/result.ts'

const report: GradeReport = {
  schemaVersion: 2,
  tool: { name: 'mqtt-course', version: '0.1.0' },
  status: 'failed',
  points: 1,
  maxPoints: 3,
  seed: 99,
  durationMs: 1234,
  exercises: [
    {
      id: 'ex9',
      slug: 'demo',
      title: 'Demo <&> "quotes"',
      status: 'failed',
      points: 1,
      maxPoints: 3,
      durationMs: 1200,
      seed: 99,
      broker: 'embedded (aedes 1.2.0)',
      source: 'starter',
      checks: [
        { id: 'first', title: 'First check passes', status: 'passed', points: 1, maxPoints: 1, durationMs: 10 },
        {
          id: 'second',
          title: 'Second check fails',
          status: 'failed',
          points: 0,
          maxPoints: 2,
          durationMs: 20,
          message: 'Bad payload "\u0001" <here>',
          expected: 'a',
          received: 'b',
          trace: ['+0.001s  #1 you → broker  CONNECT'],
          hint: 'Try again.',
          lesson: 'lessons/01-x.mdx#y',
        },
        {
          id: 'third',
          title: 'Third check',
          status: 'skipped',
          points: 0,
          maxPoints: 0,
          durationMs: 0,
          message: 'skipped until "second" passes',
        },
      ],
      programRuns: [{ run: 1, command: 'node main.ts', stdoutTail: 'hello\u0007', stderrTail: '' }],
    },
  ],
}

describe('reporters', () => {
  it('gradescope: an instructor-only check is shown after the due date, the others as the assignment says', () => {
    const withHidden: GradeReport = {
      ...report,
      exercises: [
        {
          ...report.exercises[0],
          checks: [
            ...report.exercises[0].checks,
            {
              id: 'hidden-one',
              title: 'A hidden test of the instructor',
              status: 'failed',
              points: 0,
              maxPoints: 1,
              durationMs: 5,
              isHidden: true,
              message: 'no',
            },
          ],
        },
      ],
    }
    const tests = (
      JSON.parse(renderGradescope(withHidden, { visibility: 'visible' })) as {
        tests: { name: string; visibility: string }[]
      }
    ).tests
    expect(tests.map((test) => [test.name.split(' › ')[1], test.visibility])).toEqual([
      ['First check passes', 'visible'],
      ['Second check fails', 'visible'],
      ['Third check', 'visible'],
      ['A hidden test of the instructor', 'after_due_date'],
    ])
    const allHidden = (
      JSON.parse(renderGradescope(withHidden, { visibility: 'hidden' })) as { tests: { visibility: string }[] }
    ).tests
    expect(new Set(allHidden.map((test) => test.visibility))).toEqual(new Set(['hidden']))
  })

  it('the report model is what the JSON schema says', () => {
    expect(gradeReportSchema.parse(report)).toEqual(report)
  })

  it('exit code: 0 all passed, 1 a check failed, 2 the grader could not grade', () => {
    expect(exitCodeFor(report)).toBe(1)
    expect(exitCodeFor({ exercises: [{ ...report.exercises[0], status: 'passed' }] })).toBe(0)
    expect(
      exitCodeFor({
        exercises: [{ ...report.exercises[0], status: 'errored', error: { code: 'DOCKER_UNAVAILABLE', message: 'x' } }],
      }),
    ).toBe(2)
  })

  it('JUnit: escaped, control characters stripped, one testcase per check', () => {
    const xml = renderJunit(report)
    expect(xml).toContain(
      '<testsuite name="ex9 Demo &lt;&amp;&gt; &quot;quotes&quot;" tests="3" failures="1" errors="0" skipped="1"',
    )
    expect(xml).toContain(
      '<failure message="Bad payload &quot;&quot; &lt;here&gt;">Bad payload "" &lt;here&gt;\nexpected: a\nreceived: b\ntrace:\n  +0.001s  #1 you → broker  CONNECT\nhint: Try again.\nread: lessons/01-x.mdx#y</failure>',
    )
    expect(xml).toContain('<skipped message="skipped until &quot;second&quot; passes"/>')
    expect(xml).toContain('<system-out>$ node main.ts\nhello</system-out>')
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/)
  })

  it('console: who speaks on each line, details under the failure, and no colour codes unless asked', () => {
    let output = ''
    const reporter = new ConsoleReporter({
      write: (text) => (output += text),
      isColor: false,
      rerunCommand: (e, seed) => `npm run grade -- ${e.id} --seed ${seed}`,
    })
    for (const check of report.exercises[0].checks) reporter.check('ex9', check)
    reporter.finished(report.exercises[0], 99)
    expect(output).toMatchInlineSnapshot(`
      "[grader ex9] ✓ first: First check passes (1/1)
      [grader ex9] ✗ second: Second check fails (0/2)
          Bad payload "\\x01" <here>
          expected: a
          received: b
          trace (what crossed the wire):
            +0.001s  #1 you → broker  CONNECT
          hint: Try again.
          read: lessons/01-x.mdx#y
      [grader ex9] - third: Third check
      [your program] $ node main.ts  (was still running when the grader stopped it)
      [your program] hello\\x07
      [grader ex9] 1/3 points, 1 of 3 checks passed. Same inputs again: npm run grade -- ex9 --seed 99
      "
    `)
    expect(output).not.toContain('\u001b[')
  })
})

describe('--format github annotations', () => {
  it('point at the file and the line of the call a check is about, and stop at 10: the tenth says how many more', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs')
    const os = await import('node:os')
    const path = await import('node:path')
    const { renderGithubAnnotations } = await import('../../grader/report/github-reporter.ts')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-annotations-'))
    const file = path.join(dir, 'main.ts')
    writeFileSync(
      file,
      "import mqtt from 'mqtt'\n// connect\nconst client = mqtt.connect(process.env.MQTT_URL!)\nclient.subscribe('a')\nclient.publish('b', 'c')\n",
    )
    const failed = (id: string) => ({
      id,
      title: `Check ${id}`,
      status: 'failed' as const,
      points: 0,
      maxPoints: 1,
      durationMs: 1,
      message: `${id} failed`,
    })
    const many: GradeReport = {
      ...report,
      exercises: [
        {
          ...report.exercises[0],
          checks: [
            'connects',
            'subscribes',
            'echoes',
            ...Array.from({ length: 9 }, (_, index) => `other-${index}`),
          ].map(failed),
        },
      ],
    }
    const lines = renderGithubAnnotations(many, () => file)
      .trim()
      .split('\n')
    expect(lines).toHaveLength(10)
    expect(lines.slice(0, 3).map((line) => /,line=(\d+),/.exec(line)![1])).toEqual(['3', '4', '5'])
    expect(lines[3]).toMatch(/,line=3,/) // no call named by the id: the first statement
    expect(lines[9]).toBe(
      "::notice title=3 more failed checks::GitHub shows 10 annotations per step: the other 3 failed checks are in the run's summary.",
    )
  })
})
