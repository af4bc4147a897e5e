import { stringify } from 'csv-stringify/sync'
import type { ExerciseResult } from '../report/result.ts'
import type { ManifestExercise, StudentRecord } from './batch-manifest.ts'

/**
 * gradebook.csv: one row per student (in the batch's stable order), one column per exercise with its points,
 * then total and maximum, then what could not be graded. A cell is empty when the exercise could not be graded
 * (the errors column says why) and 0 when it was not submitted. No times or seeds: the same submissions give
 * the same gradebook, sharded or not.
 */
export function renderGradebook(exercises: readonly ManifestExercise[], students: readonly StudentRecord[]): string {
  const maximum = exercises.reduce((sum, exercise) => sum + exercise.maxPoints, 0)
  const header = ['student', ...exercises.map((exercise) => exercise.id), 'total', 'max', 'errors']
  const rows = students.map((record) => {
    const results = new Map((record.report?.exercises ?? []).map((result) => [result.id, result]))
    const cells = exercises.map((exercise) => cell(results.get(exercise.id)))
    const total = [...results.values()].reduce((sum, result) => sum + result.points, 0)
    return [record.student, ...cells, record.report ? String(total) : '', String(maximum), describeErrors(record)]
  })
  return stringify([header, ...rows].map((row) => row.map(neutralise)), { record_delimiter: 'unix' })
}

/**
 * A cell a spreadsheet would run as a formula (a student's folder named "=HYPERLINK(...)", an error message
 * starting with "-"), made text: OWASP's rule for CSV injection, a ' before a leading = + - @ tab or CR.
 */
export function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell
}

function cell(result: ExerciseResult | undefined): string {
  if (!result) return ''
  if (result.error && result.error.code !== 'NO_SUBMISSION') return ''
  return String(result.points)
}

/** The errors column: why a student or an exercise has no score. */
export function describeErrors(record: StudentRecord): string {
  if (record.problem) return record.problem
  if (!record.report) return 'not graded (the batch was interrupted first)'
  return record.report.exercises
    .filter((result) => result.error)
    .map((result) => (result.error!.code !== 'NO_SUBMISSION' ? `${result.id}: ${result.error!.message}` : result.error!.message.startsWith(`${result.id}: `) ? result.error!.message : `${result.id}: not submitted`))
    .join('; ')
}
