import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeLabelled } from '../support/debian-container.ts'
import { instructorRepository } from '../support/instructor-repository.ts'
import { courseRoot } from '../support/run-cli.ts'
import { expectLinted } from '../support/actionlint.ts'
import { JobMachine, type Workflow, type WorkflowStep, substitute } from '../support/workflow-container.ts'

/**
 * docker/ci/github/grade-cohort.yml as GitHub runs it: linted by actionlint, then each job on a machine of its own
 * that has only what the runner image has (docker/build-debian-image.sh runner: git, sudo, Node.js, npm; the user
 * `runner`; root may make namespaces, `runner` may not, as on Ubuntu 24.04), the repository cloned as
 * actions/checkout does (a gitlink stays an empty folder), every `run:` step in order with bash -eo pipefail, and
 * the artifact actions done as they would be (copying the folder they name).
 */
describe('GitHub Actions: docker/ci/github/grade-cohort.yml on a machine like an Ubuntu 24.04 runner', () => {
  const file = path.join(courseRoot, 'docker/ci/github/grade-cohort.yml')
  let workflow: Workflow
  let repository: string

  beforeAll(async () => {
    workflow = await expectLinted(file)
    repository = instructorRepository()
  }, 120_000)

  afterAll(() => removeLabelled())

  /** One job's steps in order, on its machine; `artifacts` is where upload-artifact puts and download-artifact takes. */
  function runJob(
    machine: JobMachine,
    steps: WorkflowStep[],
    expressions: Record<string, string>,
  ): { step: string; status: number | null; stdout: string; stderr: string }[] {
    const runs = []
    const env = {
      ...workflow.env,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: '/home/runner/work/_temp/summary.md',
      GITHUB_OUTPUT: '/home/runner/work/_temp/output',
    }
    for (const step of steps) {
      if (step.uses?.startsWith('actions/checkout@')) machine.checkout()
      else if (step.uses?.startsWith('actions/setup-node@'))
        expect(machine.exec('node --version && npm --version').status).toBe(0)
      else if (step.uses?.startsWith('actions/upload-artifact@'))
        machine.exec(
          `mkdir -p /home/runner/artifacts/${substitute(String(step.with!.name), expressions)} && cp -r ${substitute(String(step.with!.path), expressions)}/. /home/runner/artifacts/${substitute(String(step.with!.name), expressions)}/`,
        )
      else if (step.uses?.startsWith('actions/download-artifact@'))
        machine.exec(
          `mkdir -p ${step.with!.path} && cp -r /home/runner/artifacts/${step.with!.pattern} ${step.with!.path}/`,
        )
      else if (step.run) {
        const stepEnv = Object.fromEntries(
          Object.entries(step.env ?? {}).map(([key, value]) => [key, substitute(String(value), expressions)]),
        )
        const run = machine.exec(substitute(step.run, expressions), { env: { ...env, ...stepEnv } })
        runs.push({ step: step.name ?? step.run, ...run })
        if (run.status !== 0) break
      } else throw new Error(`a step this test cannot run: ${JSON.stringify(step)}`)
    }
    return runs
  }

  it('is linted clean, at current action majors, and a plain user cannot use bubblewrap on its machine (as on Ubuntu 24.04)', () => {
    using machine = new JobMachine('github-ubuntu-24.04', repository)
    expect(
      machine.exec(
        'sudo apt-get update -q >/dev/null 2>&1; sudo apt-get install -y -q bubblewrap >/dev/null 2>&1; bwrap --ro-bind / / true',
        { cwd: '/' },
      ).stderr,
    ).toMatch(/bwrap: .*(Operation not permitted|Permission denied|No permissions to create new namespace)/)
    expect(machine.exec('sudo bwrap --ro-bind / / --unshare-pid --unshare-net true', { cwd: '/' }).status).toBe(0)
  }, 300_000)

  it(
    'grades every shard as root in bubblewrap, merges them into one gradebook, and names the gitlink',
    () => {
      using machine = new JobMachine('github-ubuntu-24.04', repository)
      const shards = workflow.jobs.grade.strategy!.matrix!.shard as number[]
      expect(shards).toEqual([1, 2, 3, 4])
      expect(workflow.jobs.merge.needs).toBe('grade')
      for (const shard of shards) {
        // Each job of the matrix on a fresh machine: here a fresh clone in a folder of its own.
        machine.workspace = `/home/runner/work/shard-${shard}`
        const runs = runJob(machine, workflow.jobs.grade.steps, { 'matrix.shard': String(shard) })
        expect(
          runs.map((run) => [
            run.step,
            run.status,
            run.status === 0 ? '' : run.stderr.slice(-2000) + run.stdout.slice(-2000),
          ]),
        ).toEqual(workflow.jobs.grade.steps.filter((step) => step.run).map((step) => [step.name, 0, '']))
        const grading = runs.at(-1)!
        expect(grading.stdout).toContain(`shard ${shard}/4`)
        expect(grading.stdout).toContain('isolation: bubblewrap: a uid of its own per grade')
      }
      machine.workspace = '/home/runner/work/merge'
      const runs = runJob(machine, workflow.jobs.merge.steps, {})
      expect(runs.map((run) => [run.step, run.status])).toEqual([
        ['Install the course', 0],
        ['Merge the shards', 0],
        ["Gradebook in the run's summary", 0],
      ])
      const gradebook = machine.read('/home/runner/work/merge/reports/cohort/gradebook.csv').trim().split('\n')
      const rows = new Map(gradebook.slice(1).map((row) => [row.split(',')[0], row.split(',')]))
      expect([...rows.keys()]).toEqual(['amy', 'bo', 'cai', 'dora', 'nested'])
      expect(['amy', 'bo', 'cai', 'dora'].map((student) => rows.get(student)![1])).toEqual(['5', '3', '5', '0'])
      expect(gradebook.find((row) => row.startsWith('nested,'))).toMatch(/no exercise found: nested\/ is a gitlink/)
      expect(machine.read('/home/runner/work/_temp/summary.md')).toContain('## Gradebook\n```csv\nstudent,ex1,')
      const manifest = JSON.parse(machine.read('/home/runner/work/merge/reports/cohort/batch.json')) as {
        isolation: string
      }
      expect(manifest.isolation).toMatch(/^bubblewrap: a uid of its own per grade/)
    },
    40 * 60_000,
  )
})
