import type { CheckResult, ExerciseResult, GradeReport } from './result.ts'

/**
 * `--junit <file>`: one testsuite per exercise, one testcase per check, for CI systems that show JUnit
 * (GitHub Actions test reporters, GitLab, Jenkins). Text is cleaned of characters XML 1.0 forbids.
 */
export function renderJunit(report: GradeReport): string {
  const count = (status: CheckResult['status']) =>
    report.exercises.reduce((sum, e) => sum + e.checks.filter((c) => c.status === status).length, 0)
  const tests = report.exercises.reduce((sum, e) => sum + Math.max(e.checks.length, 1), 0)
  const errors = count('errored') + report.exercises.filter((e) => e.error).length
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mqtt-course" tests="${tests}" failures="${count('failed')}" errors="${errors}" skipped="${count('skipped')}" time="${seconds(report.durationMs)}">`,
  ]
  for (const exercise of report.exercises) lines.push(...renderSuite(exercise))
  lines.push('</testsuites>', '')
  return lines.join('\n')
}

function renderSuite(exercise: ExerciseResult): string[] {
  const count = (status: CheckResult['status']) => exercise.checks.filter((c) => c.status === status).length
  const name = `${exercise.id} ${exercise.title}`
  const attributes = `name="${attr(name)}" tests="${Math.max(exercise.checks.length, 1)}" failures="${count('failed')}" errors="${count('errored') + (exercise.error ? 1 : 0)}" skipped="${count('skipped')}" time="${seconds(exercise.durationMs)}"`
  const lines = [`  <testsuite ${attributes}>`]
  lines.push(
    `    <properties><property name="seed" value="${exercise.seed}"/><property name="broker" value="${attr(exercise.broker ?? '')}"/><property name="source" value="${attr(exercise.source)}"/><property name="points" value="${exercise.points}/${exercise.maxPoints}"/></properties>`,
  )
  if (exercise.error) {
    lines.push(`    <testcase classname="${attr(exercise.id)}" name="grading" time="0">`)
    lines.push(
      `      <error message="${attr(exercise.error.message)}" type="${attr(exercise.error.code)}">${text([exercise.error.message, exercise.error.hint].filter(Boolean).join('\n'))}</error>`,
    )
    lines.push('    </testcase>')
  }
  for (const check of exercise.checks) {
    const open = `    <testcase classname="${attr(exercise.id)}" name="${attr(`${check.id}: ${check.title}`)}" time="${seconds(check.durationMs)}"`
    if (check.status === 'passed') {
      lines.push(`${open}/>`)
      continue
    }
    lines.push(`${open}>`)
    if (check.status === 'skipped') lines.push(`      <skipped message="${attr(check.message ?? '')}"/>`)
    else {
      const element = check.status === 'failed' ? 'failure' : 'error'
      lines.push(`      <${element} message="${attr(check.message ?? '')}">${text(describe(check))}</${element}>`)
    }
    lines.push('    </testcase>')
  }
  const output = exercise.programRuns.map((run) => `$ ${run.command}\n${run.stdoutTail}`).join('\n')
  const errorOutput = exercise.programRuns
    .map((run) => run.stderrTail)
    .filter(Boolean)
    .join('\n')
  if (output) lines.push(`    <system-out>${text(output)}</system-out>`)
  if (errorOutput) lines.push(`    <system-err>${text(errorOutput)}</system-err>`)
  lines.push('  </testsuite>')
  return lines
}

function describe(check: CheckResult): string {
  const parts = [check.message ?? '']
  if (check.expected !== undefined) parts.push(`expected: ${check.expected}`)
  if (check.received !== undefined) parts.push(`received: ${check.received}`)
  if (check.trace?.length) parts.push('trace:', ...check.trace.map((line) => `  ${line}`))
  if (check.hint) parts.push(`hint: ${check.hint}`)
  if (check.lesson) parts.push(`read: ${check.lesson}`)
  return parts.join('\n')
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

/** Removes what XML 1.0 cannot carry (control characters, lone surrogates), then escapes. */
function clean(value: string): string {
  return value.replace(
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '',
  )
}

function text(value: string): string {
  return clean(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;')
}
