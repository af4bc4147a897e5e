import type { CheckResult, ExerciseResult, GradeReport } from './result.ts'

/** When students see a test, as Gradescope's autograder specification defines it ("Controlling Test Case Visibility"). */
export const gradescopeVisibilities = ['visible', 'after_due_date', 'after_published', 'hidden'] as const
export type GradescopeVisibility = (typeof gradescopeVisibilities)[number]

/**
 * Gradescope's results.json: the fields its autograder specification names ("Output format"), and no others
 * (test/batch/gradescope-autograder.test.ts checks them field by field).
 */
export interface GradescopeResults {
  score: number
  execution_time: number
  output: string
  visibility: GradescopeVisibility
  stdout_visibility: 'hidden'
  tests: GradescopeTest[]
}

export interface GradescopeTest {
  name: string
  score: number
  max_score: number
  status: 'passed' | 'failed'
  output: string
  visibility: GradescopeVisibility
}

/**
 * `--format gradescope`: one Gradescope test per check (and one per exercise that could not be graded), with
 * the check's points, so the tests add up to the score. The output is what the console report would say.
 * `visibility` (the assignment's: --visibility) applies to the checks; a "could not be graded" test is always
 * visible, as Gradescope suggests for pre-submission checks: a student learns at once that the upload was wrong.
 */
export function renderGradescope(report: GradeReport, options: { visibility?: GradescopeVisibility } = {}): string {
  const visibility = options.visibility ?? 'visible'
  const kinds = [...new Set(report.exercises.map((exercise) => exercise.isolation).filter(Boolean))]
  const isolation =
    kinds.length > 0
      ? `; student programs ran ${kinds.includes('none') ? 'without isolation' : `isolated: ${kinds.join(', ')}`}`
      : ''
  const results: GradescopeResults = {
    score: report.points,
    execution_time: Math.round(report.durationMs / 1000),
    output: `mqtt-course ${report.tool.version}: ${report.points}/${report.maxPoints} points (seed ${report.seed}${isolation})`,
    visibility,
    stdout_visibility: 'hidden',
    tests: report.exercises.flatMap((exercise) => exerciseTests(exercise, visibility)),
  }
  return `${JSON.stringify(results, null, 2)}\n`
}

function exerciseTests(exercise: ExerciseResult, visibility: GradescopeVisibility): GradescopeTest[] {
  const tests: GradescopeTest[] = []
  if (exercise.error) {
    tests.push({
      name: `${exercise.id} ${exercise.title}: could not be graded`,
      score: 0,
      max_score: exercise.checks.length === 0 ? exercise.maxPoints : 0,
      status: 'failed',
      output: [exercise.error.message, exercise.error.hint].filter(Boolean).join('\n'),
      visibility: 'visible',
    })
  }
  for (const check of exercise.checks) {
    tests.push({
      name: `${exercise.id} › ${check.title}`,
      score: check.points,
      max_score: check.maxPoints,
      status: check.status === 'passed' ? 'passed' : 'failed',
      output: describeCheck(check),
      // An instructor-only check is shown once the due date has passed (or never, when the assignment hides all).
      visibility: check.isHidden && visibility !== 'hidden' ? 'after_due_date' : visibility,
    })
  }
  return tests
}

/** A check's verdict as plain text: the message, expected and received, the trace, the hint. Shared by reporters. */
export function describeCheck(check: CheckResult): string {
  if (check.status === 'passed') return ''
  const lines = [check.status === 'skipped' ? `skipped: ${check.message ?? ''}` : (check.message ?? '')]
  if (check.expected !== undefined) lines.push(`expected: ${check.expected}`)
  if (check.received !== undefined) lines.push(`received: ${check.received}`)
  if (check.trace?.length) lines.push('trace (what crossed the wire):', ...check.trace.map((line) => `  ${line}`))
  if (check.hint) lines.push(`hint: ${check.hint}`)
  if (check.lesson) lines.push(`read: ${check.lesson}`)
  return lines.join('\n')
}
