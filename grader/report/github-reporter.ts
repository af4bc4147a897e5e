import type { ExerciseResult, GradeReport } from './result.ts'
import { relevantLine } from './source-line.ts'

/**
 * `--format github`: a Markdown summary for $GITHUB_STEP_SUMMARY, and `::error` workflow commands that put each
 * failed check on the student's file in the pull request and the run's page.
 */
export function renderGithubSummary(report: GradeReport): string {
  const lines = [
    `## mqtt-course: ${report.points}/${report.maxPoints} points`,
    '',
    '| Exercise | Points | Result |',
    '|---|---:|---|',
  ]
  for (const exercise of report.exercises) {
    const failed = exercise.checks.filter((check) => check.status === 'failed' || check.status === 'errored')
    const result = exercise.error
      ? `⚠️ not graded: ${exercise.error.message}`
      : failed.length === 0
        ? '✅ every check passed'
        : `❌ ${failed.map((check) => check.title).join('; ')}`
    lines.push(
      `| ${cell(`${exercise.id} ${exercise.title}`)} | ${exercise.points}/${exercise.maxPoints} | ${cell(result)} |`,
    )
  }
  for (const exercise of report.exercises) {
    for (const check of exercise.checks.filter((c) => c.status === 'failed' || c.status === 'errored')) {
      lines.push('', `<details><summary>${escapeHtml(`${exercise.id}: ${check.title}`)}</summary>`, '', '```text')
      lines.push(
        ...[
          check.message,
          check.expected && `expected: ${check.expected}`,
          check.received && `received: ${check.received}`,
          ...(check.trace ?? []),
          check.hint && `hint: ${check.hint}`,
        ]
          .filter((line): line is string => Boolean(line))
          .map((line) => line.replaceAll('```', "'''")),
      )
      lines.push('```', '', '</details>')
    }
  }
  const kinds = [...new Set(report.exercises.map((exercise) => exercise.isolation).filter(Boolean))]
  lines.push('', `Seed ${report.seed}: \`npm run grade -- <exercise> --seed ${report.seed}\` repeats these inputs.`)
  // Which isolation the programs had on this runner (README: The sandbox): bwrap, uid, or none.
  if (kinds.length > 0)
    lines.push(
      '',
      `Student programs ran ${kinds.includes('none') ? 'without isolation' : `isolated: ${kinds.join(', ')}`}.`,
    )
  lines.push('')
  return lines.join('\n')
}

/** GitHub shows at most this many error annotations of one step (its documented limit: 10 per step). */
export const maxAnnotations = 10

/**
 * `::error file=…,line=…,title=…::message` lines: one per failed check, and per exercise that could not be graded,
 * on the student's file at the first statement the check is about (source-line.ts). GitHub shows 10 per step:
 * past that, 9 are annotated and a tenth says how many more are in the run's summary, which lists every one.
 */
export function renderGithubAnnotations(
  report: GradeReport,
  fileFor: (exercise: ExerciseResult) => string | undefined,
): string {
  const lines: string[] = []
  for (const exercise of report.exercises) {
    const file = fileFor(exercise)
    const where = (checkId: string) => (file ? `file=${property(file)},line=${relevantLine(file, checkId)},` : '')
    if (exercise.error)
      lines.push(
        `::error ${where('')}title=${property(`${exercise.id} could not be graded`)}::${data(exercise.error.message)}`,
      )
    for (const check of exercise.checks.filter((c) => c.status === 'failed' || c.status === 'errored')) {
      const message = [check.message, check.hint && `hint: ${check.hint}`].filter(Boolean).join('\n')
      lines.push(`::error ${where(check.id)}title=${property(`${exercise.id}: ${check.title}`)}::${data(message)}`)
    }
  }
  if (lines.length > maxAnnotations) {
    const more = lines.length - (maxAnnotations - 1)
    lines.splice(
      maxAnnotations - 1,
      lines.length,
      `::notice title=${property(`${more} more failed checks`)}::${data(`GitHub shows ${maxAnnotations} annotations per step: the other ${more} failed checks are in the run's summary.`)}`,
    )
  }
  return lines.length ? `${lines.join('\n')}\n` : ''
}

// Workflow command escaping, as GitHub's own toolkit (@actions/core) does it.
function data(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
}

function property(value: string): string {
  return data(value).replaceAll(':', '%3A').replaceAll(',', '%2C')
}

function cell(value: string): string {
  return value.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
