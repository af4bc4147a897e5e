import type { CheckResult, ExerciseResult } from '../report/result.ts'
import type { BatchManifest, StudentRecord } from './batch-manifest.ts'
import { describeCommit, describeErrors } from './gradebook-csv.ts'
import { cellState } from './cell-state.ts'
import { cohortReportScript, cohortReportStyle } from './cohort-report-assets.ts'
import { type CheckFailureShare, failureShares } from './failure-shares.ts'

/**
 * index.html: the cohort on one self-contained page (no network: styles and script inline). A students ×
 * exercises grid coloured by score and sortable by any column; each cell opens what went wrong (the failing
 * check's message, expected and received, the packets); and, per check, the share of the cohort that failed it:
 * what to teach again.
 */
export function renderCohortReport(manifest: BatchManifest, students: readonly StudentRecord[]): string {
  const graded = students.filter((record) => record.report)
  const maximum = manifest.exercises.reduce((sum, exercise) => sum + exercise.maxPoints, 0)
  const mean = graded.length ? graded.reduce((sum, record) => sum + record.report!.points, 0) / graded.length : 0
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cohort report: ${students.length} students</title>
<style>${cohortReportStyle}</style>
</head>
<body>
<header>
<h1>Cohort report</h1>
<p id="summary">${students.length} students, ${manifest.exercises.length} exercises (${manifest.exercises.map((e) => escape(e.id)).join(', ')}), mean ${mean.toFixed(1)}/${maximum}. Seed ${manifest.seed}, broker ${escape(manifest.broker)}.${manifest.isolation ? ` Isolation: ${escape(manifest.isolation)}.` : ''}</p>
</header>
<main>
<section aria-labelledby="teach-again">
<h2 id="teach-again">What to teach again</h2>
${renderShares(failureShares(manifest, students))}
</section>
<section aria-labelledby="grid-title">
<h2 id="grid-title">Students × exercises</h2>
<p class="note">Click a column's name to sort by it; click a score to see what went wrong.</p>
<table id="grid">
<thead><tr>${['Student', ...manifest.exercises.map((e) => e.id), 'Total'].map((name, column) => `<th scope="col" aria-sort="none"><button type="button" data-column="${column}" title="${column === 0 ? 'Sort by name' : `Sort by ${escape(name)}`}">${escape(name)}</button></th>`).join('')}</tr></thead>
<tbody>
${students.map((record, row) => renderRow(record, row, manifest)).join('\n')}
</tbody>
</table>
</section>
<section aria-labelledby="details-title">
<h2 id="details-title">What went wrong, per student</h2>
${students.map((record, row) => renderStudentDetails(record, row)).join('\n')}
</section>
</main>
<script>${cohortReportScript}</script>
</body>
</html>
`
}

function renderShares(shares: CheckFailureShare[]): string {
  if (shares.length === 0) return '<p>No check failed: nothing to teach again.</p>'
  return `<p class="note">Counted over the students who attempted the exercise: submitted it, changed the starter, and their program ran (not submitted, untouched starters and programs that do not run are left out).</p>
<table id="shares"><thead><tr><th scope="col">Check</th><th scope="col">Failed by, of those who attempted</th><th scope="col">The message most of them got</th></tr></thead><tbody>
${shares
  .map(
    (share) =>
      `<tr><td><strong>${escape(share.exerciseId)}</strong> ${escape(share.title)} <code>${escape(share.checkId)}</code></td><td><meter min="0" max="1" value="${share.share.toFixed(3)}"></meter> ${share.failed} of ${share.attempted} students (${Math.round(share.share * 100)}%)</td><td>${share.commonMessage ? `<q class="common-message">${escape(share.commonMessage.split('\n')[0])}</q> <span class="note">(${share.commonCount} of ${share.failed})</span>` : ''}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
}

function renderRow(record: StudentRecord, row: number, manifest: BatchManifest): string {
  const results = new Map((record.report?.exercises ?? []).map((result) => [result.id, result]))
  // Each state has its own words and pattern, not only a colour: not submitted, the untouched starter, a program
  // that does not run, not graded, and tried (the score, coloured by how far it got).
  const cells = manifest.exercises.map((exercise) => {
    const result = results.get(exercise.id)
    const state = record.rosterStatus === 'not submitted' ? 'not submitted' : cellState(result)
    const link = (text: string) => `<a href="#${anchor(row, exercise.id)}">${text}</a>`
    const override = result?.override || result?.checks.some((check) => check.override)
    const mark = override ? ' <span class="overridden" title="overridden by an instructor">✎ overridden</span>' : ''
    if (state === 'not graded' && !override)
      return `<td class="cell not-graded" data-state="not-graded" data-value="-1" title="${escape(result?.error?.message ?? describeErrors(record))}">${link('not graded')}</td>`
    if (state === 'not submitted' && !override)
      return `<td class="cell not-submitted" data-state="not-submitted" data-value="-3" title="${escape(result?.error?.message ?? 'not submitted')}">${link('— not submitted')}</td>`
    if (state === 'starter' && !override)
      return `<td class="cell starter" data-state="starter" data-value="-2" title="the starter as handed out, unchanged">${link(`○ starter ${result!.points}/${result!.maxPoints}`)}</td>`
    if (state === 'does not run' && !override) {
      const why =
        firstFailure(result!)?.message ??
        result!.programRuns
          .map((run) => `run ${run.run} ${run.exit ?? ''}: ${run.stderrTail.split('\n').filter(Boolean).at(-1) ?? ''}`)
          .join('; ')
      return `<td class="cell does-not-run" data-state="does-not-run" data-value="0" title="${escape(why)}">${link(`✗ doesn't run 0/${result!.maxPoints}`)}</td>`
    }
    const fraction = result!.maxPoints > 0 ? result!.points / result!.maxPoints : 1
    const failing = firstFailure(result!)
    const title = failing ? `${failing.id}: ${failing.message ?? failing.title}` : 'every check passed'
    return `<td class="cell tried" data-state="tried" data-value="${result!.points}" style="background:${colour(fraction)}" title="${escape(title)}">${link(`${result!.points}/${result!.maxPoints}`)}${mark}</td>`
  })
  const total = record.report ? record.report.points : -1
  const totalMax = manifest.exercises.reduce((sum, exercise) => sum + exercise.maxPoints, 0)
  const totalCell = `<td class="cell total" data-value="${total}" style="background:${total < 0 ? '#ddd' : colour(totalMax ? total / totalMax : 1)}">${total < 0 ? '–' : `${total}/${totalMax}`}</td>`
  const roster =
    record.rosterStatus === 'not in roster'
      ? ' <span class="warn" title="this folder is not in the roster">⚠ not in roster</span>'
      : record.rosterStatus === 'not submitted'
        ? ' <span class="warn">no submission</span>'
        : ''
  const problem =
    record.problem && record.rosterStatus !== 'not submitted'
      ? ` <span class="warn" title="${escape(record.problem)}">⚠</span>`
      : ''
  return `<tr><th scope="row" data-value="${escape(record.student)}"><a href="#${anchor(row)}">${escape(record.student)}</a>${roster}${problem}</th>${cells.join('')}${totalCell}</tr>`
}

function renderStudentDetails(record: StudentRecord, row: number): string {
  const parts = [
    `<article id="${anchor(row)}"><h3>${escape(record.student)}${record.report ? ` <small>${record.report.points}/${record.report.maxPoints}</small>` : ''}</h3>`,
  ]
  if (record.layout) parts.push(`<p class="note">Layout: ${escape(record.layout)}</p>`)
  const git = record.report?.git
  if (git) {
    const [commit, committed, late] = describeCommit(record)
    parts.push(
      `<p class="note">Due ${escape(git.due)}: ${commit ? `graded commit <code>${escape(commit)}</code> of ${escape(committed)} (${escape(git.counted)})` : 'no commit counted'}${late ? `; late commit ${escape(late)}` : ''}</p>`,
    )
  }
  for (const note of record.report?.notes ?? []) parts.push(`<p class="note">${escape(note)}</p>`)
  const errors = describeErrors(record)
  if (errors) parts.push(`<p class="problem">${escape(errors)}</p>`)
  for (const result of record.report?.exercises ?? []) {
    const failing = result.checks.filter((check) => check.status === 'failed' || check.status === 'errored')
    const verdict = result.error
      ? result.error.code === 'NO_SUBMISSION'
        ? 'not submitted'
        : 'not graded'
      : failing.length
        ? `failed: ${failing.map((check) => check.id).join(', ')}`
        : 'every check passed'
    parts.push(
      `<details id="${anchor(row, result.id)}"><summary>${escape(`${result.id} ${result.title}`)}: ${result.points}/${result.maxPoints}, ${escape(verdict)}</summary>`,
    )
    if (result.error) parts.push(`<p class="problem">${escape(result.error.message)}</p>`)
    if (result.program) parts.push(`<p class="note">Program: ${escape(result.program.description)}</p>`)
    if (result.override)
      parts.push(
        `<p class="overridden">✎ overridden: ${result.points} points (graded ${result.override.gradedPoints}): ${escape(result.override.reason)} (${escape(result.override.by)})</p>`,
      )
    for (const check of result.checks.filter((candidate) => candidate.override))
      parts.push(
        `<p class="overridden">✎ overridden: <code>${escape(check.id)}</code> ${check.points} points (graded ${check.override!.gradedPoints}): ${escape(check.override!.reason)} (${escape(check.override!.by)})</p>`,
      )
    for (const check of failing) parts.push(renderCheck(check))
    const skipped = result.checks.filter((check) => check.status === 'skipped')
    if (skipped.length)
      parts.push(`<p class="note">Skipped after that: ${skipped.map((check) => escape(check.id)).join(', ')}</p>`)
    parts.push('</details>')
  }
  parts.push('</article>')
  return parts.join('\n')
}

function renderCheck(check: CheckResult): string {
  const lines = [
    `<div class="check"><h4>${escape(check.title)} <code>${escape(check.id)}</code>${check.isHidden ? ' <span class="note">(instructor-only: students see it after the due date)</span>' : ''}</h4>`,
    `<p class="message">${escape(check.message ?? '')}</p>`,
  ]
  if (check.expected !== undefined || check.received !== undefined) {
    lines.push(
      `<dl>${check.expected !== undefined ? `<dt>expected</dt><dd><code>${escape(check.expected)}</code></dd>` : ''}${check.received !== undefined ? `<dt>received</dt><dd><code>${escape(check.received)}</code></dd>` : ''}</dl>`,
    )
  }
  if (check.trace?.length) {
    const excerpt = check.trace.slice(0, 12)
    lines.push(
      `<pre class="trace">${escape(excerpt.join('\n'))}${check.trace.length > excerpt.length ? `\n… ${check.trace.length - excerpt.length} more packets` : ''}</pre>`,
    )
  }
  lines.push('</div>')
  return lines.join('\n')
}

function firstFailure(result: ExerciseResult): CheckResult | undefined {
  return result.checks.find((check) => check.status === 'failed' || check.status === 'errored')
}

/** Red (0) through amber to green (every point), light enough for dark text. */
function colour(fraction: number): string {
  return `hsl(${Math.round(120 * Math.max(0, Math.min(1, fraction)))} 65% 82%)`
}

function anchor(row: number, exerciseId?: string): string {
  return exerciseId ? `s${row}-${exerciseId}` : `s${row}`
}

// biome-ignore lint/suspicious/noShadowRestrictedNames: the global escape() is deprecated and never wanted here
function escape(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}
