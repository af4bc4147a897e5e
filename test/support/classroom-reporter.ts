/**
 * GitHub Classroom's autograding-grading-reporter, reimplemented from its source (classroom-resources/
 * autograding-grading-reporter, src/main.js, src/notify-classroom.js, src/console-results.js,
 * src/helpers/test-helpers.js at 43c2d9f): what it reads of a runner's result, and what it sends Classroom.
 */
export interface RunnerTest {
  name: string
  status: string
  score?: number
  line_no?: number
  test_code?: string
  message?: string | null
}
export interface RunnerResults {
  max_score?: number
  status: string
  tests: RunnerTest[]
}

export const classroomReporter = {
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
      if (test.status === 'pass')
        lines.push(test.line_no !== 0 ? `✅ ${test.name} - line ${test.line_no}` : `✅ ${test.name}`)
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
