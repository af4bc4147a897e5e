import { stringify } from 'csv-stringify/sync'
import type { ManifestExercise, StudentRecord } from './batch-manifest.ts'
import { cell, neutralise } from './gradebook-csv.ts'
import { type RosterEntry, rosterEntryOf } from './roster.ts'

/** `--format`: the gradebooks an LMS imports, beside the plain gradebook.csv. */
export const lmsFormats = ['canvas', 'moodle'] as const
export type LmsFormat = (typeof lmsFormats)[number]

export const lmsFileNames: Record<LmsFormat, string> = {
  canvas: 'gradebook-canvas.csv',
  moodle: 'gradebook-moodle.csv',
}

/** An exercise's column: its id and title, the assignment (Canvas) or grade item (Moodle) it maps to. */
function columnName(exercise: ManifestExercise): string {
  return `${exercise.id} ${exercise.title}`
}

/**
 * Canvas's Gradebook import (Grades → Import): the columns of its own export, `Student, ID, SIS User ID,
 * SIS Login ID, Section`, then one column per assignment, and a second row `Points Possible` with each
 * assignment's maximum. Canvas matches a row by ID, SIS User ID or SIS Login ID (from the roster's canvas_id,
 * sis_user_id, sis_login_id), so only students with one of them are written; a new column name becomes a new
 * assignment. An exercise that was not submitted is 0, one that could not be graded is blank (Canvas leaves a
 * blank cell's grade unchanged).
 */
export function renderCanvasGradebook(
  exercises: readonly ManifestExercise[],
  students: readonly StudentRecord[],
  roster: readonly RosterEntry[] | undefined,
): { csv: string; left: string[] } {
  const header = ['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', ...exercises.map(columnName)]
  const possible = ['Points Possible', '', '', '', '', ...exercises.map((exercise) => String(exercise.maxPoints))]
  const left: string[] = []
  const rows: string[][] = []
  for (const record of students) {
    const entry = rosterEntryOf(roster, record.student)
    if (!entry?.canvas_id && !entry?.sis_user_id && !entry?.sis_login_id) {
      left.push(record.student)
      continue
    }
    rows.push([
      entry.name ?? record.student,
      entry.canvas_id ?? '',
      entry.sis_user_id ?? '',
      entry.sis_login_id ?? '',
      entry.section ?? '',
      ...scores(exercises, record),
    ])
  }
  return {
    csv: stringify(
      [header, possible, ...rows].map((row) => row.map(neutralise)),
      { record_delimiter: 'unix' },
    ),
    left,
  }
}

/**
 * Moodle's CSV grade import (Grades → Import → CSV file): a header row, then one row per student; on the
 * import's mapping page "Identify user by" maps one column to a user field: `ID number` → useridnumber,
 * `Email address` → useremail or `Username` → username (the column names of Moodle's own export), and each
 * exercise column is mapped to a grade item. Only students with one of them (the roster's id_number, email,
 * username) are written.
 */
export function renderMoodleGradebook(
  exercises: readonly ManifestExercise[],
  students: readonly StudentRecord[],
  roster: readonly RosterEntry[] | undefined,
): { csv: string; left: string[] } {
  const header = ['ID number', 'Email address', 'Username', 'Full name', ...exercises.map(columnName)]
  const left: string[] = []
  const rows: string[][] = []
  for (const record of students) {
    const entry = rosterEntryOf(roster, record.student)
    if (!entry?.id_number && !entry?.email && !entry?.username) {
      left.push(record.student)
      continue
    }
    rows.push([
      entry.id_number ?? '',
      entry.email ?? '',
      entry.username ?? '',
      entry.name ?? record.student,
      ...scores(exercises, record),
    ])
  }
  return {
    csv: stringify(
      [header, ...rows].map((row) => row.map(neutralise)),
      { record_delimiter: 'unix' },
    ),
    left,
  }
}

function scores(exercises: readonly ManifestExercise[], record: StudentRecord): string[] {
  const results = new Map((record.report?.exercises ?? []).map((result) => [result.id, result]))
  return exercises.map((exercise) => (record.rosterStatus === 'not submitted' ? '0' : cell(results.get(exercise.id))))
}
