import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { courseRoot, runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'

// Gradescope's documented results.json fields (autograder specifications: "Output format").
const gradescopeVisibility = z.enum(['hidden', 'after_due_date', 'after_published', 'visible'])
const gradescopeSchema = z.object({
  score: z.number(),
  max_score: z.number().optional(),
  execution_time: z.number().optional(),
  output: z.string().optional(),
  visibility: gradescopeVisibility.optional(),
  stdout_visibility: gradescopeVisibility.optional(),
  tests: z.array(
    z.object({
      name: z.string().min(1),
      score: z.number(),
      max_score: z.number(),
      status: z.enum(['passed', 'failed']),
      output: z.string(),
      visibility: gradescopeVisibility,
    }),
  ),
})

// GitHub Classroom's runner result, as its autograding-grading-reporter reads it (base64 JSON in `result`).
const classroomSchema = z.object({
  version: z.literal(1),
  status: z.enum(['pass', 'fail', 'error']),
  max_score: z.number(),
  tests: z.array(z.object({ name: z.string().min(1), status: z.enum(['pass', 'fail', 'error']), message: z.string().nullable(), score: z.number() })),
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
    const result = await runCli(['grade', 'ex1', '--dir', path.join(dir, 'submission'), '--broker', 'embedded', '--seed', '11', '--format', 'gradescope'])
    expect(result.exitCode).toBe(1)
    const results = gradescopeSchema.parse(JSON.parse(result.stdout))
    expect(results).toMatchObject({ score: 3, max_score: 5 })
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
    const result = await runCli(['grade', 'ex1', '--dir', path.join(dir, 'submission'), '--broker', 'embedded', '--format', 'classroom'], { env: { GITHUB_OUTPUT: output } })
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
    const result = await runCli(['grade', 'ex1', '--dir', 'submission', '--broker', 'embedded', '--seed', '12', '--format', 'github'], { cwd: dir, env: { GITHUB_STEP_SUMMARY: summary } })
    expect(result.exitCode).toBe(1)
    const markdown = readFileSync(summary, 'utf8')
    expect(markdown).toContain('## mqtt-course: 3/5 points')
    expect(markdown).toMatch(/^\| ex1 Hello, broker \| 3\/5 \| ❌ Your program sends every message/m)
    expect(markdown).toContain('Seed 12')
    const annotations = result.stdout.split('\n').filter((line) => line.startsWith('::error '))
    expect(annotations).toHaveLength(1)
    expect(annotations[0]).toMatch(/^::error file=submission\/ex1-hello-mqtt\/main\.ts,title=ex1%3A Your program sends every message[^:]*::The grader did not receive /)
    expect(annotations[0]).not.toContain('\n')
  })

  it('an unknown format is a usage error that lists the formats', async () => {
    const result = await runCli(['grade', 'ex1', '--format', 'moodle'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('--format moodle: expected gradescope, classroom, github')
  })
})

describe('the Gradescope autograder (docker/ci/gradescope), in a folder laid out like /autograder', () => {
  const autograder = (submission: (dir: string) => void, env: NodeJS.ProcessEnv = {}) => {
    const root = tempDir('autograder')
    // source/ is the course; setup.sh would npm ci it on Gradescope, here it is this checkout.
    symlinkSync(courseRoot, path.join(root, 'source'))
    mkdirSync(path.join(root, 'submission'))
    submission(path.join(root, 'submission'))
    const script = path.join(root, 'run_autograder')
    writeFileSync(script, readFileSync(path.join(courseRoot, 'docker/ci/gradescope/run_autograder')))
    chmodSync(script, 0o755)
    execFileSync(script, { env: { ...process.env, ...env, AUTOGRADER_ROOT: root }, timeout: 120_000 })
    return gradescopeSchema.parse(JSON.parse(readFileSync(path.join(root, 'results/results.json'), 'utf8')))
  }

  it('setup.sh is valid bash', () => {
    execFileSync('bash', ['-n', path.join(courseRoot, 'docker/ci/gradescope/setup.sh')])
  })

  it('run_autograder grades the upload into results/results.json: a solution gets every point', () => {
    const results = autograder((dir) => copyVariant('ex1-hello-mqtt', 'solution', path.join(dir, 'ex1-hello-mqtt')))
    expect(results).toMatchObject({ score: 5, max_score: 5 })
    expect(results.tests.every((test) => test.status === 'passed')).toBe(true)
  })

  it('with MQTT_COURSE_EXERCISES, loose files are that exercise; a starter scores 0 and says why', () => {
    const results = autograder((dir) => copyVariant('ex1-hello-mqtt', 'starter', dir), { MQTT_COURSE_EXERCISES: 'ex1' })
    expect(results.score).toBe(0)
    expect(results.tests.filter((test) => test.status === 'failed').length).toBeGreaterThan(0)
  })

  it('an upload it cannot read still gets a results.json that says what is wrong', () => {
    const results = autograder((dir) => writeFileSync(path.join(dir, 'notes.txt'), 'no code'))
    expect(results).toMatchObject({ score: 0, tests: [] })
    expect(results.output).toMatch(/^Your submission could not be graded:\nerror: .* holds no exercise folder/)
  })
})
