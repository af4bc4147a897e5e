import { cpSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../batch/cohort-fixtures.ts'
import { expectLinted } from '../support/actionlint.ts'
import { classroomReporter } from '../support/classroom-reporter.ts'
import { removeLabelled } from '../support/debian-container.ts'
import { git } from '../support/instructor-repository.ts'
import { courseRoot, runCli } from '../support/run-cli.ts'
import { JobMachine, type Workflow, substitute } from '../support/workflow-container.ts'

/**
 * The student edition's workflow as GitHub Classroom expects it and as GitHub runs it: named and triggered as
 * Classroom generates its own, linted by actionlint, its `run:` steps in order on a machine like an Ubuntu 24.04
 * runner (as `runner`, sudo, no unprivileged user namespaces), and the grade step's `result` read by Classroom's
 * own reporter logic (test/support/classroom-reporter.ts), whose sum is what Classroom records.
 */
describe('GitHub Classroom: the student edition, pushed and graded', () => {
  let edition: string
  let workflow: Workflow

  beforeAll(async () => {
    edition = path.join(tempDir('classroom-edition'), 'course')
    const exported = await runCli(['export', 'student', edition])
    expect(exported.exitCode, exported.stderr).toBe(0)
    workflow = await expectLinted(path.join(edition, '.github/workflows/grade.yml'))
    // A student who solved ex1 and pushed.
    cpSync(
      path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'),
      path.join(edition, 'exercises/ex1-hello-mqtt/starter/main.ts'),
    )
    git(edition, 'init', '-q')
    git(edition, 'add', '-A')
    git(edition, 'commit', '-qm', 'ex1 done')
  }, 180_000)

  afterAll(() => removeLabelled())

  it("is named and triggered as Classroom's generated workflow", () => {
    expect(workflow.name).toBe('Autograding Tests')
    expect(workflow.on).toEqual({ push: null, repository_dispatch: null })
    expect(Object.keys(workflow.jobs)).toEqual(['run-autograding-tests'])
    expect(workflow.jobs['run-autograding-tests'].if).toBe("github.actor != 'github-classroom[bot]'")
    expect(workflow.permissions).toEqual({ checks: 'write', actions: 'read', contents: 'read' })
    const reporter = workflow.jobs['run-autograding-tests'].steps.find((step) =>
      step.uses?.startsWith('classroom-resources/autograding-grading-reporter@'),
    )!
    // The reporter reads <RUNNER>_RESULTS for each runner it is given: the grade step's id.
    expect(reporter.with).toEqual({ runners: 'grade' })
    expect(reporter.env).toEqual({ GRADE_RESULTS: '${{ steps.grade.outputs.result }}' })
  })

  it(
    "grades in bubblewrap as root; Classroom's reporter receives the points the summary shows",
    () => {
      using machine = new JobMachine('github-ubuntu-24.04', edition)
      const env = {
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: '/home/runner/work/_temp/output',
        GITHUB_STEP_SUMMARY: '/home/runner/work/_temp/summary.md',
      }
      expect(
        machine.exec('mkdir -p /home/runner/work/_temp && touch /home/runner/work/_temp/output', { cwd: '/' }).status,
      ).toBe(0)
      const outputs: Record<string, string> = {}
      let failed = false
      let gradeRun = { status: null as number | null, stdout: '', stderr: '' }
      for (const step of workflow.jobs['run-autograding-tests'].steps) {
        // `if:` as GitHub evaluates these two: always() runs after a failure; the output must be there.
        if (failed && !step.if?.includes('always()')) continue
        if (step.uses?.startsWith('actions/checkout@')) machine.checkout()
        else if (step.uses?.startsWith('actions/setup-node@')) expect(machine.exec('node --version').status).toBe(0)
        else if (step.uses?.startsWith('classroom-resources/autograding-grading-reporter@')) {
          expect(outputs['steps.grade.outputs.result']).toBeTruthy()
          const stepEnv = Object.fromEntries(
            Object.entries(step.env!).map(([key, value]) => [key, substitute(value, outputs)]),
          )
          const runnerResults = classroomReporter.read(String(step.with!.runners), stepEnv)
          const { totalPoints, maxPoints } = classroomReporter.notify(runnerResults)
          const summary = machine.read('/home/runner/work/_temp/summary.md')
          expect(summary).toContain(`## mqtt-course: ${totalPoints}/${maxPoints} points`)
          expect(summary).toContain('| ex1 Hello, broker | 5/5 | ✅ every check passed |')
          expect(summary).toContain('Student programs ran isolated: bwrap.')
          expect(totalPoints).toBeGreaterThanOrEqual(5)
          const lines = classroomReporter.consoleLines(runnerResults[0].results)
          expect(lines.join('\n')).not.toContain('undefined')
        } else if (step.run) {
          const run = machine.exec(step.run, { env })
          if (step.id === 'grade') gradeRun = run
          else expect(run.status, `${step.name}: ${run.stderr.slice(-2000)}`).toBe(0)
          if (run.status !== 0) failed = true
          for (const line of machine.read(env.GITHUB_OUTPUT).split('\n').filter(Boolean))
            outputs[`steps.${step.id}.outputs.${line.slice(0, line.indexOf('='))}`] = line.slice(line.indexOf('=') + 1)
        }
      }
      // The other starters fail their checks: the grade step fails, as a push with failing checks should.
      expect(gradeRun.status, gradeRun.stderr.slice(-2000)).toBe(1)
      const annotations = gradeRun.stdout
        .split('\n')
        .filter((line) => line.startsWith('::error ') || line.startsWith('::notice '))
      // One failed check per starter (the rest wait on it, skipped): 10, as many as GitHub shows in a step (the cap
      // itself: test/grader/reporters.test.ts).
      expect(annotations.length).toBeLessThanOrEqual(10)
      expect(
        annotations.every((line) =>
          /^::error file=exercises\/ex\d+-[a-z-]+\/starter\/[^,]+,line=\d+,title=ex\d+/.test(line),
        ),
      ).toBe(true)
    },
    40 * 60_000,
  )
})
