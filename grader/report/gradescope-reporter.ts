import type { CheckResult, ExerciseResult, GradeReport } from './result.ts'

/** Gradescope's results.json, the fields its autograder documentation names. */
export interface GradescopeResults {
  score: number
  max_score: number
  execution_time: number
  output: string
  visibility: 'visible'
  stdout_visibility: 'hidden'
  tests: GradescopeTest[]
}

export interface GradescopeTest {
  name: string
  score: number
  max_score: number
  status: 'passed' | 'failed'
  output: string
  visibility: 'visible'
}

/**
 * `--format gradescope`: one Gradescope test per check (and one per exercise that could not be graded), with
 * the check's points, so the tests add up to the score. The output is what the console report would say.
 */
export function renderGradescope(report: GradeReport): string {
  const results: GradescopeResults = {
    score: report.points,
    max_score: report.maxPoints,
    execution_time: Math.round(report.durationMs / 1000),
    output: `mqtt-course ${report.tool.version}: ${report.points}/${report.maxPoints} points (seed ${report.seed})`,
    visibility: 'visible',
    stdout_visibility: 'hidden',
    tests: report.exercises.flatMap(exerciseTests),
  }
  return `${JSON.stringify(results, null, 2)}\n`
}

function exerciseTests(exercise: ExerciseResult): GradescopeTest[] {
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
      visibility: 'visible',
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
