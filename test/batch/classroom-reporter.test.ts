import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../support/run-cli.ts'
import { tempDir, writeEchoesOnlyFirst } from './cohort-fixtures.ts'

/**
 * GitHub Classroom's autograding-grading-reporter, reimplemented from its source (classroom-resources/
 * autograding-grading-reporter, src/main.js, src/notify-classroom.js, src/console-results.js,
 * src/helpers/test-helpers.js at 43c2d9f): what it reads of a runner's result, and what it sends Classroom.
 */
interface RunnerTest {
  name: string
  status: string
  score?: number
  line_no?: number
  test_code?: string
  message?: string | null
}
interface RunnerResults {
  max_score?: number
  status: string
  tests: RunnerTest[]
}

const reporter = {
  /** main.js: each runner's result from the environment variable <RUNNER>_RESULTS, base64 JSON. */
  read(runners: string, env: Record<string, string | undefined>): { runner: string; results: RunnerResults }[] {
    return runners.split(',').map((runner) => {
      const encoded = env[`${runner.trim().toUpperCase()}_RESULTS`]
      return { runner, results: JSON.parse(Buffer.from(encoded!, 'base64').toString('utf-8')) as RunnerResults }
    })
  },
  /** notify-classroom.js: the "Autograding report" notice Classroom reads, {totalPoints, maxPoints}. */
  notify(runnerResults: { results: RunnerResults }[]): { totalPoints: number; maxPoints: number } {
    return runnerResults.reduce(
      (acc, { results }) => {
        if (!results.max_score) return acc
        acc.maxPoints += results.max_score
        results.tests.forEach(({ score }) => {
          acc.totalPoints += score as number
        })
        return acc
      },
      { totalPoints: 0, maxPoints: 0 },
    )
  },
  /** console-results.js: the lines it prints per test (colours left out). */
  consoleLines(results: RunnerResults): string[] {
    const lines: string[] = []
    for (const test of results.tests) {
      if (test.status === 'pass') lines.push(test.line_no !== 0 ? `✅ ${test.name} - line ${test.line_no}` : `✅ ${test.name}`)
      else if (test.status === 'error') lines.push(`Error: ${test.message || `Failed to run test '${test.name}'`}`)
      else lines.push(test.line_no !== 0 ? `❌ ${test.name} - line ${test.line_no}` : `❌ ${test.name}`)
      if (test.test_code) lines.push(`Test code:\n${test.test_code}`)
    }
    return lines
  },
  /** main.js: the step fails when a runner's status is fail or error. */
  isFailed(runnerResults: { results: RunnerResults }[]): boolean {
    return runnerResults.some((r) => r.results.status === 'fail' || r.results.status === 'error')
  },
}

describe("--format classroom, read by GitHub Classroom's own reporter logic", () => {
  it('sends Classroom the points the grader gave, prints a line for each failed check, and no "line undefined"', async () => {
    const dir = tempDir('classroom')
    writeEchoesOnlyFirst(path.join(dir, 'exercises/ex1-hello-mqtt/starter'))
    const output = path.join(dir, 'github-output')
    writeFileSync(output, '')
    // ex1 with one mistake (3 of 5), ex2 not there: an exercise that could not be graded.
    const grade = await runCli(['grade', 'ex1', 'ex2', '--dir', '.', '--broker', 'embedded', '--seed', '21', '--format', 'classroom'], { cwd: dir, env: { GITHUB_OUTPUT: output } })
    expect(grade.exitCode).toBe(2)
    const value = /^result=(.+)$/m.exec(readFileSync(output, 'utf8'))![1]
    // The workflow passes the grade step's output as GRADE_RESULTS, with runners: grade.
    const runnerResults = reporter.read('grade', { GRADE_RESULTS: value })
    const results = runnerResults[0].results
    expect(reporter.notify(runnerResults)).toEqual({ totalPoints: 3, maxPoints: 5 + 10 })
    expect(reporter.isFailed(runnerResults)).toBe(true)
    // Every field the reporter and the command grader's shape name, on every test.
    for (const test of results.tests) expect(Object.keys(test).sort()).toEqual(['duration', 'filename', 'line_no', 'message', 'name', 'score', 'status', 'test_code'])
    const lines = reporter.consoleLines(results)
    expect(lines.join('\n')).not.toContain('undefined')
    const source = readFileSync(path.join(dir, 'exercises/ex1-hello-mqtt/starter/main.ts'), 'utf8').split('\n')
    const failed = lines.find((line) => line.startsWith('❌ ex1 › '))!
    const lineNo = Number(/ - line (\d+)$/.exec(failed)![1])
    expect(source[lineNo - 1]).toMatch(/\.publish(Async)?\(/)
    expect(lines).toContain('Test code:\nnpm run grade -- ex1 --seed 21')
    expect(lines.filter((line) => line.startsWith('✅ ex1 › ')).every((line) => !line.includes(' - line '))).toBe(true)
    expect(lines.some((line) => line.startsWith('Error: no submission for ex2'))).toBe(true)
    expect(results.tests.find((test) => test.status === 'fail')).toMatchObject({ filename: 'exercises/ex1-hello-mqtt/starter/main.ts', line_no: lineNo })
  })
})
