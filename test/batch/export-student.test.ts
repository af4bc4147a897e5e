import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { listFiles } from '../../grader/batch/content-hash.ts'
import { courseRoot, runCli } from '../support/run-cli.ts'
import { tempDir } from './cohort-fixtures.ts'

/** A command as the student types it, in the student edition (npm from the PATH, as on their machine). */
function shell(command: string, cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync('bash', ['-e', '-c', command], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 600_000,
  })
  return { exitCode: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('npm run export -- student <dir>: the student edition', () => {
  let edition: string
  let files: string[]

  beforeAll(async () => {
    edition = path.join(tempDir('student-edition'), 'course')
    const result = await runCli(['export', 'student', edition])
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    files = listFiles(edition)
  }, 120_000)

  it('holds the lessons, site, grader, READMEs and starters, and no solution, mutant or instructor file', () => {
    expect(files).toContain('exercises/ex1-hello-mqtt/starter/main.ts')
    expect(files).toContain('exercises/ex1-hello-mqtt/README.md')
    expect(files).toContain('exercises/ex8-acl-challenge/starter/acl')
    expect(files).toContain('lessons/01-mqtt-in-a-nutshell.mdx')
    expect(files).toContain('grader/cli/main.js')
    expect(files).toContain('site/content.config.ts')
    expect(files).toContain('.github/workflows/grade.yml')
    expect(
      files.filter((file) => /(^|\/)(solution|mutants|variants)(-[a-z]+)?\//.test(file) || file.endsWith('.patch')),
    ).toEqual([])
    expect(files.filter((file) => /^(test|bench|\.ci|docker\/ci)\/|AUTHORING\.md$|for-instructors/.test(file))).toEqual(
      [],
    )
    // Issue 22: the instructor-only checks (hidden tests) stay in the instructor's copy; exercise.ts goes.
    expect(existsSync(path.join(courseRoot, 'exercises/ex10-request-response/instructor.ts'))).toBe(true)
    expect(files).toContain('exercises/ex10-request-response/exercise.ts')
    expect(files.filter((file) => /^exercises\/[^/]+\/instructor(\.ts$|\/)/.test(file))).toEqual([])
    for (const file of files.filter((candidate) => candidate.startsWith('exercises/')))
      expect(readFileSync(path.join(edition, file), 'utf8'), file).not.toContain('answers-a-burst')
    // No link to the guide the edition leaves out.
    expect(readFileSync(path.join(edition, 'site/content/index.mdx'), 'utf8')).not.toContain('for-instructors')
    const manifest = JSON.parse(readFileSync(path.join(edition, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(Object.keys(manifest.scripts).sort()).toEqual([
      'broker',
      'build',
      'check',
      'dev',
      'grade',
      'hint',
      'list',
      'node',
      'preview',
      'reset',
      'watch',
    ])
    expect(readFileSync(path.join(edition, 'README.md'), 'utf8')).toContain(
      'Your instructor grades with their own copy of the grader',
    )
  })

  it('refuses to write over a folder that is not empty, and says what to do', async () => {
    const result = await runCli(['export', 'student', edition])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('already exists and is not an empty folder')
    expect(result.stderr).toContain('npm run export -- student ../mqtt-course-student')
  })

  it("its README's commands work there: npm ci; grade ex1 fails on the starter and passes with the solution", () => {
    const readme = readFileSync(path.join(edition, 'README.md'), 'utf8')
    const start = /## Start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1].trim().split('\n')
    expect(start).toEqual(['npm ci', 'npm run grade -- ex1'])
    const install = shell(start[0], edition)
    expect(install.exitCode, install.stderr).toBe(0)
    const onStarter = shell(`${start[1]} --broker embedded`, edition)
    expect(onStarter.exitCode, onStarter.stdout + onStarter.stderr).toBe(1)
    cpSync(
      path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'),
      path.join(edition, 'exercises/ex1-hello-mqtt/starter/main.ts'),
    )
    const withSolution = shell(`${start[1]} --broker embedded`, edition)
    expect(withSolution.exitCode, withSolution.stdout + withSolution.stderr).toBe(0)
    expect(withSolution.stdout).toContain('ex1')
    // The course site builds there too, without the instructors' guide and docker/ci/.
    const site = shell('npm run build', edition)
    expect(site.exitCode, site.stdout.slice(-2000) + site.stderr).toBe(0)
    expect(existsSync(path.join(edition, 'dist/lessons/01-mqtt-in-a-nutshell/index.html'))).toBe(true)
    expect(existsSync(path.join(edition, 'dist/guides/for-instructors'))).toBe(false)
  }, 600_000)
  // Its workflow, run as GitHub runs it for GitHub Classroom: test/platforms/github-classroom.test.ts.
})
