import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { removeLabelled } from '../support/debian-container.ts'
import { instructorRepository } from '../support/instructor-repository.ts'
import { courseRoot } from '../support/run-cli.ts'
import { JobMachine } from '../support/workflow-container.ts'

interface GitlabJob {
  stage: string
  image: string
  parallel?: number
  before_script?: string[]
  script: string[]
  artifacts?: { paths: string[]; when?: string }
}

/**
 * docker/ci/gitlab/.gitlab-ci.yml as GitLab's Docker executor runs it: each job in a container of its image
 * (here the `runner` Debian image, standing in for node:24-bookworm: Node.js, npm, git; jobs run as root with
 * Docker's defaults, so no namespaces), the repository cloned, before_script then script, line by line with
 * bash -eo pipefail, and the artifacts' paths handed to the next stage.
 */
describe('GitLab CI: docker/ci/gitlab/.gitlab-ci.yml on a Docker executor', () => {
  let ci: Record<string, unknown> & { stages: string[]; variables: Record<string, string> }
  let repository: string

  beforeAll(() => {
    ci = parse(readFileSync(path.join(courseRoot, 'docker/ci/gitlab/.gitlab-ci.yml'), 'utf8')) as typeof ci
    repository = instructorRepository()
  }, 120_000)

  afterAll(() => removeLabelled())

  it('is a pipeline GitLab reads: stages, jobs with an image and scripts, only keys GitLab knows', () => {
    expect(ci.stages).toEqual(['grade', 'merge'])
    const known = new Set([
      'stage',
      'image',
      'parallel',
      'before_script',
      'script',
      'artifacts',
      'variables',
      'needs',
      'timeout',
    ])
    for (const name of ['grade', 'merge']) {
      const job = ci[name] as GitlabJob
      expect(
        Object.keys(job).filter((key) => !known.has(key)),
        name,
      ).toEqual([])
      expect(job.image).toMatch(/^node:24-bookworm$/)
      expect(ci.stages).toContain(job.stage)
      expect(job.script.every((line) => typeof line === 'string')).toBe(true)
    }
  })

  it(
    'grades every parallel job as a uid of its own (no namespaces), merges their artifacts, and names the gitlink',
    () => {
      using machine = new JobMachine('gitlab-docker-executor', repository)
      const grade = ci.grade as GitlabJob
      const merge = ci.merge as GitlabJob
      const total = grade.parallel!
      const run = (job: GitlabJob, env: Record<string, string>) => {
        for (const line of [...(job.before_script ?? []), ...job.script]) {
          const result = machine.exec(line, { env: { ...ci.variables, CI: 'true', GITLAB_CI: 'true', ...env } })
          expect(result.status, `${line}\n${result.stderr.slice(-3000)}${result.stdout.slice(-2000)}`).toBe(0)
          if (line.includes('batch -- submissions'))
            expect(result.stdout).toContain('isolation: a uid of its own per grade')
        }
      }
      for (let index = 1; index <= total; index++) {
        machine.workspace = `/builds/shard-${index}`
        machine.checkout()
        run(grade, { CI_NODE_INDEX: String(index), CI_NODE_TOTAL: String(total) })
        // The artifacts (reports/) go to the next stage's jobs.
        expect(
          machine.exec(`mkdir -p /builds/merge-artifacts && cp -r reports/. /builds/merge-artifacts/`).status,
        ).toBe(0)
      }
      machine.workspace = '/builds/merge'
      machine.checkout()
      expect(machine.exec('mkdir -p reports && cp -r /builds/merge-artifacts/. reports/').status).toBe(0)
      run(merge, {})
      const gradebook = machine.read('/builds/merge/reports/cohort/gradebook.csv').trim().split('\n')
      const rows = new Map(gradebook.slice(1).map((row) => [row.split(',')[0], row.split(',')]))
      expect(['amy', 'bo', 'cai', 'dora'].map((student) => rows.get(student)![1])).toEqual(['5', '3', '5', '0'])
      expect(gradebook.find((row) => row.startsWith('nested,'))).toMatch(/no exercise found: nested\/ is a gitlink/)
    },
    40 * 60_000,
  )
})
