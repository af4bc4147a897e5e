import { stringify } from 'csv-stringify/sync'
import type { ExerciseResult } from '../report/result.ts'
import type { ManifestExercise, StudentRecord } from './batch-manifest.ts'
import { type RosterEntry, rosterEntryOf } from './roster.ts'

export interface GradebookOptions {
  /** `--roster`: adds the name column; rows follow the roster (applyRoster). */
  roster?: readonly RosterEntry[]
  /** `--bom`: a UTF-8 byte order mark first, so that Excel reads "Núñez" as UTF-8, not as "NÃºÃ±ez". */
  hasBom?: boolean
}

/**
 * gradebook.csv: one row per student (in the batch's stable order, or the roster's), one column per exercise with
 * its points, then total and maximum, then what could not be graded and what an instructor overrode. A cell is
 * empty when the exercise could not be graded (the errors column says why) and 0 when it was not submitted. No
 * times or seeds: the same submissions give the same gradebook, sharded or not.
 */
export function renderGradebook(
  exercises: readonly ManifestExercise[],
  students: readonly StudentRecord[],
  options: GradebookOptions = {},
): string {
  const maximum = exercises.reduce((sum, exercise) => sum + exercise.maxPoints, 0)
  // The overridden column is there when something was overridden: a gradebook without overrides keeps its columns.
  const hasOverrides = students.some((record) => describeOverrides(record) !== '')
  // With --due: the commit graded and its time, and what a late commit was worth.
  const hasGit = students.some((record) => record.report?.git)
  const header = [
    'student',
    ...(options.roster ? ['name'] : []),
    ...exercises.map((exercise) => exercise.id),
    'total',
    'max',
    'errors',
    ...(hasOverrides ? ['overridden'] : []),
    ...(hasGit ? ['commit', 'committed', 'late'] : []),
  ]
  const rows = students.map((record) => {
    const results = new Map((record.report?.exercises ?? []).map((result) => [result.id, result]))
    const isMissing = record.rosterStatus === 'not submitted'
    const cells = exercises.map((exercise) => (isMissing ? '0' : cell(results.get(exercise.id))))
    const total = [...results.values()].reduce((sum, result) => sum + result.points, 0)
    const name = options.roster ? [rosterEntryOf(options.roster, record.student)?.name ?? ''] : []
    return [
      record.student,
      ...name,
      ...cells,
      record.report ? String(total) : isMissing ? '0' : '',
      String(maximum),
      describeErrors(record),
      ...(hasOverrides ? [describeOverrides(record)] : []),
      ...(hasGit ? describeCommit(record) : []),
    ]
  })
  return (
    (options.hasBom ? '\uFEFF' : '') +
    stringify(
      [header, ...rows].map((row) => row.map(neutralise)),
      { record_delimiter: 'unix' },
    )
  )
}

/**
 * A cell a spreadsheet would run as a formula (a student's folder named "=HYPERLINK(...)", an error message
 * starting with "-"), made text: OWASP's rule for CSV injection, a ' before a leading = + - @ tab or CR.
 */
export function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell
}

/** An exercise's points as a gradebook cell: empty when it could not be graded, 0 when not submitted. */
export function cell(result: ExerciseResult | undefined): string {
  if (!result) return ''
  if (result.error && result.error.code !== 'NO_SUBMISSION' && !result.override) return ''
  return String(result.points)
}

/** The errors column: why a student or an exercise has no score. */
export function describeErrors(record: StudentRecord): string {
  const roster =
    record.rosterStatus === 'not in roster' ? 'not in the roster (check the folder name against roster.csv)' : ''
  const errors = record.problem
    ? record.problem
    : !record.report
      ? 'not graded (the batch was interrupted first)'
      : record.report.exercises
          .filter((result) => result.error)
          .map((result) =>
            result.error!.code !== 'NO_SUBMISSION'
              ? `${result.id}: ${result.error!.message}`
              : result.error!.message.startsWith(`${result.id}: `)
                ? result.error!.message
                : `${result.id}: not submitted`,
          )
          .join('; ')
  return [roster, errors].filter(Boolean).join('; ')
}

/** The commit, committed and late columns: which commit the points are from, and the late commit's worth. */
export function describeCommit(record: StudentRecord): [string, string, string] {
  const git = record.report?.git
  if (!git) return ['', '', '']
  const counted = git.counted === 'late' ? git.late : git.onTime
  const late = git.late
    ? `${git.late.commit.slice(0, 12)} at ${git.late.committedAt}: ${git.late.isAccepted ? `${git.late.gradedPoints} − ${git.late.penaltyPercent}% = ${git.late.points}` : `not accepted (${git.late.policy})`}${git.counted === 'late' ? ' (counted)' : ''}`
    : ''
  return [counted?.commit.slice(0, 12) ?? '', counted?.committedAt ?? '', late]
}

/** The overridden column: each manual score, what the grader gave, why and who. */
export function describeOverrides(record: StudentRecord): string {
  const entries: string[] = []
  for (const result of record.report?.exercises ?? []) {
    for (const check of result.checks)
      if (check.override)
        entries.push(
          `${result.id} ${check.id}: ${check.points} (graded ${check.override.gradedPoints}): ${check.override.reason} (${check.override.by})`,
        )
    if (result.override)
      entries.push(
        `${result.id} total: ${result.points} (graded ${result.override.gradedPoints}): ${result.override.reason} (${result.override.by})`,
      )
  }
  return entries.join('; ')
}
