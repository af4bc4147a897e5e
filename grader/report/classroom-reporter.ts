import { describeCheck } from './gradescope-reporter.ts'
import type { GradeReport } from './result.ts'

/** What GitHub Classroom's autograding reporter reads from a runner's `result` output (base64 of this JSON). */
export interface ClassroomResult {
  version: 1
  status: 'pass' | 'fail' | 'error'
  max_score: number
  tests: ClassroomTest[]
}

export interface ClassroomTest {
  name: string
  status: 'pass' | 'fail' | 'error'
  message: string | null
  score: number
  execution_time: string
}

/**
 * `--format classroom`: the runner result GitHub Classroom's autograding-grading-reporter reads. The reporter
 * sums the tests' scores for the total, so every check is a test with its own points, and an exercise that
 * could not be graded is one test scoring 0.
 */
export function renderClassroom(report: GradeReport): ClassroomResult {
  const tests: ClassroomTest[] = report.exercises.flatMap((exercise) => [
    ...(exercise.error ? [{ name: `${exercise.id} ${exercise.title}: could not be graded`, status: 'error' as const, message: exercise.error.message, score: 0, execution_time: seconds(exercise.durationMs) }] : []),
    ...exercise.checks.map((check) => ({
      name: `${exercise.id} › ${check.title}`,
      status: check.status === 'passed' ? ('pass' as const) : check.status === 'errored' ? ('error' as const) : ('fail' as const),
      message: check.status === 'passed' ? null : describeCheck(check),
      score: check.points,
      execution_time: seconds(check.durationMs),
    })),
  ])
  const status = report.status === 'passed' ? 'pass' : report.status === 'errored' ? 'error' : 'fail'
  return { version: 1, status, max_score: report.maxPoints, tests }
}

/** The `result` output's value: base64 of the JSON, as the autograding actions write it. */
export function encodeClassroomResult(result: ClassroomResult): string {
  return Buffer.from(JSON.stringify(result)).toString('base64')
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}
