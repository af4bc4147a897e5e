import { cpSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { findMosquittoBinary } from '../../grader/broker/find-mosquitto.ts'
import { listExerciseFolders } from '../../grader/exercises/load-exercises.ts'
import { courseRoot } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'
import { isSystemInstall, readGitlabCi, readWorkflow, runStep, type WorkflowStep } from './workflow-steps.ts'

/**
 * The CI files the instructors' guide shows (docker/ci/), run here: parsed with a YAML parser, and their steps
 * executed in order, in a folder laid out like the instructor's checkout (this course, plus submissions/).
 * Three kinds of step are the CI system's, not ours, and are not executed: `uses:` actions (checkout is the
 * folder itself; the artifact actions are done by copying, as they would), system package installs (this
 * machine must already have what they install: checked), and `npm ci` (this checkout is installed; the student
 * edition's test runs `npm ci` for real in a fresh copy).
 */
const exerciseIds = listExerciseFolders().map((folder) => folder.id)
// amy submitted ex1 only: 5 points, 0 for every other exercise.
const expectedCohort = [['student', ...exerciseIds, 'total', 'max', 'errors'].join(','), ['amy', '5', ...exerciseIds.slice(1).map(() => '0'), '5', ''].join(',')]

function makeCheckout(): string {
  const checkout = tempDir('instructor-checkout')
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'node_modules', 'grader', 'exercises']) symlinkSync(path.join(courseRoot, entry), path.join(checkout, entry))
  const students = path.join(checkout, 'submissions')
  copyVariant('ex1-hello-mqtt', 'solution', path.join(students, 'amy/exercises/ex1-hello-mqtt/starter'))
  writeEchoesOnlyFirst(path.join(students, 'bo/ex1-hello-mqtt'))
  copyVariant('ex1-hello-mqtt', 'starter', path.join(students, 'cai/ex1'))
  writeEchoesOnlyFirst(path.join(students, 'dora/ex1'))
  copyVariant('ex1-hello-mqtt', 'solution', path.join(students, 'emil/ex1'))
  return checkout
}

function runnable(step: WorkflowStep): boolean {
  if (!step.run) return false
  if (isSystemInstall(step)) {
    expect(step.run).toContain('mosquitto')
    expect(findMosquittoBinary(), 'this machine has what the step installs').toBeTruthy()
    return false
  }
  return !/^\s*npm ci\s*$/.test(step.run)
}

function expectMergedCohort(dir: string): void {
  const gradebook = readFileSync(path.join(dir, 'gradebook.csv'), 'utf8').split('\n')
  expect(gradebook[0]).toBe(expectedCohort[0])
  expect(gradebook[1].startsWith(expectedCohort[1])).toBe(true)
  expect(gradebook.slice(1, -1).map((row) => row.split(',')[0])).toEqual(['amy', 'bo', 'cai', 'dora', 'emil'])
  expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toContain('<title>Cohort report: 5 students</title>')
}

describe('docker/ci/github/grade-cohort.yml: a shard matrix and a merge job', () => {
  let checkout: string
  beforeEach(() => {
    checkout = makeCheckout()
  })

  it('parses, and its run: steps grade every shard and merge them into one gradebook', () => {
    const workflow = readWorkflow(path.join(courseRoot, 'docker/ci/github/grade-cohort.yml'))
    expect(Object.keys(workflow.jobs)).toEqual(['grade', 'merge'])
    expect(workflow.jobs.merge.needs).toBe('grade')
    const shards = workflow.jobs.grade.strategy!.matrix!.shard as number[]
    expect(shards).toEqual([1, 2, 3, 4])
    expect(workflow.env?.SHARDS).toBe(String(shards.length))
    const env = { ...process.env, ...workflow.env, CI: 'true' }
    for (const shard of shards) {
      for (const step of workflow.jobs.grade.steps) {
        if (step.uses?.startsWith('actions/upload-artifact')) {
          // What upload + download-artifact do: the shard's folder lands in shards/<name>.
          expect(step.with?.name).toBe('shard-${{ matrix.shard }}')
          cpSync(path.join(checkout, `reports/shard-${shard}`), path.join(checkout, `shards/shard-${shard}`), { recursive: true })
        }
        if (!runnable(step)) continue
        const run = runStep(step, { cwd: checkout, env, expressions: { 'matrix.shard': String(shard) } })
        expect(run.exitCode, `${run.step} (shard ${shard}): ${run.stderr}`).toBe(0)
        expect(run.stdout).toContain(`shard ${shard}/4`)
      }
    }
    expect(readdirSync(path.join(checkout, 'shards')).sort()).toEqual(['shard-1', 'shard-2', 'shard-3', 'shard-4'])
    const summary = path.join(checkout, 'summary.md')
    const merged = workflow.jobs.merge.steps.filter(runnable).map((step) => runStep(step, { cwd: checkout, env: { ...env, GITHUB_STEP_SUMMARY: summary } }))
    expect(merged.map((run) => [run.step, run.exitCode])).toEqual([
      ['Merge the shards', 0],
      ["Gradebook in the run's summary", 0],
    ])
    expectMergedCohort(path.join(checkout, 'reports/cohort'))
    expect(readFileSync(summary, 'utf8')).toContain(`## Gradebook\n\`\`\`csv\n${expectedCohort[0]}\n`)
  }, 600_000)
})

describe('docker/ci/gitlab/.gitlab-ci.yml: parallel grade jobs and a merge job', () => {
  it('parses, and its scripts grade every parallel job and merge their artifacts', () => {
    const checkout = makeCheckout()
    const ci = readGitlabCi(path.join(courseRoot, 'docker/ci/gitlab/.gitlab-ci.yml'))
    expect(ci.stages).toEqual(['grade', 'merge'])
    const total = ci.grade.parallel!
    expect(total).toBe(4)
    const env = { ...process.env, ...ci.variables, CI: 'true' }
    for (let index = 1; index <= total; index++) {
      for (const line of [...ci.grade.before_script!, ...ci.grade.script!]) {
        const step = { run: line }
        if (!runnable(step)) continue
        const run = runStep(step, { cwd: checkout, env: { ...env, CI_NODE_INDEX: String(index), CI_NODE_TOTAL: String(total) } })
        expect(run.exitCode, run.stderr).toBe(0)
      }
    }
    for (const line of [...ci.merge.before_script!, ...ci.merge.script!]) {
      if (!runnable({ run: line })) continue
      const run = runStep({ run: line }, { cwd: checkout, env })
      expect(run.exitCode, run.stderr).toBe(0)
    }
    expectMergedCohort(path.join(checkout, 'reports/cohort'))
  }, 600_000)
})
