import { describeCheck } from './gradescope-reporter.ts'
import type { ExerciseResult, GradeReport } from './result.ts'
import { relevantLine } from './source-line.ts'

/**
 * What GitHub Classroom's autograding-grading-reporter reads from a runner's `result` output (base64 of this
 * JSON), in the shape its own runners write (classroom-resources/autograding-command-grader: version, status,
 * max_score, and per test name, status, score, message, test_code, filename, line_no, duration).
 */
export interface ClassroomResult {
  version: 1
  status: 'pass' | 'fail' | 'error'
  max_score: number
  tests: ClassroomTest[]
}

export interface ClassroomTest {
  name: string
  status: 'pass' | 'fail' | 'error'
  /** The reporter sums these into the points Classroom records (notify-classroom.js). */
  score: number
  message: string | null
  /** The command that repeats this check (the reporter prints it under a test): failed checks only. */
  test_code: string
  /** The student's file, relative to the repository's root; '' when none. */
  filename: string
  /** The line the reporter prints ("❌ name - line 12"); 0 prints none (the reporter's convention). */
  line_no: number
  /** Milliseconds, as the command grader reports it. */
  duration: number
}

/**
 * `--format classroom`: the runner result GitHub Classroom's autograding-grading-reporter reads. The reporter
 * sums the tests' scores for the total Classroom records, so every check is a test with its own points, and an
 * exercise that could not be graded is one test scoring 0.
 */
export function renderClassroom(
  report: GradeReport,
  fileFor: (exercise: ExerciseResult) => string | undefined = () => undefined,
): ClassroomResult {
  const tests: ClassroomTest[] = report.exercises.flatMap((exercise) => {
    const file = fileFor(exercise)
    const rerun = `npm run grade -- ${exercise.id} --seed ${exercise.seed}`
    return [
      ...(exercise.error
        ? [
            {
              name: `${exercise.id} ${exercise.title}: could not be graded`,
              status: 'error' as const,
              score: 0,
              message: exercise.error.message,
              test_code: rerun,
              filename: file ?? '',
              line_no: 0,
              duration: exercise.durationMs,
            },
          ]
        : []),
      ...exercise.checks.map((check) => {
        const isPassed = check.status === 'passed'
        return {
          name: `${exercise.id} › ${check.title}`,
          status: isPassed ? ('pass' as const) : check.status === 'errored' ? ('error' as const) : ('fail' as const),
          score: check.points,
          message: isPassed ? null : describeCheck(check),
          test_code: isPassed ? '' : rerun,
          filename: file ?? '',
          line_no: isPassed || !file ? 0 : relevantLine(file, check.id),
          duration: check.durationMs,
        }
      }),
    ]
  })
  const status = report.status === 'passed' ? 'pass' : report.status === 'errored' ? 'error' : 'fail'
  return { version: 1, status, max_score: report.maxPoints, tests }
}

/** The `result` output's value: base64 of the JSON, as the autograding actions write it. */
export function encodeClassroomResult(result: ClassroomResult): string {
  return Buffer.from(JSON.stringify(result)).toString('base64')
}
