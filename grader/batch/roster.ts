import { GraderError } from '../errors/grader-error.ts'
import type { StudentRecord } from './batch-manifest.ts'
import { safeFolderName } from './check-batch-paths.ts'
import { readCsvFile } from './read-csv-file.ts'

/**
 * `--roster roster.csv`: who is in the class. `folder` is the submission folder's name (a GitHub login, a
 * Gradescope name); the other columns are what the LMSs identify a student by: Canvas's ID / SIS User ID /
 * SIS Login ID / Section, Moodle's ID number / email address / username. The gradebook follows the roster's
 * order, lists a student with no folder as not submitted, and flags a folder no roster row names.
 */
export const rosterColumns = {
  required: ['folder'],
  optional: ['name', 'email', 'id_number', 'username', 'canvas_id', 'sis_user_id', 'sis_login_id', 'section'],
} as const

export type RosterColumn = (typeof rosterColumns.required)[number] | (typeof rosterColumns.optional)[number]

export type RosterEntry = { folder: string } & Partial<Record<Exclude<RosterColumn, 'folder'>, string>>

const hint = `a roster's header names its columns: folder (the submission folder's name, required), and any of ${rosterColumns.optional.join(', ')}; e.g.\nfolder,name,email,sis_user_id\nalice-gh,Alice Núñez,alice@example.edu,S001`

/** The roster, checked: every row has a folder, no folder twice. Exit 2 with the line otherwise. */
export function readRoster(file: string): RosterEntry[] {
  const rows = readCsvFile(file, 'the roster', rosterColumns, hint)
  const seen = new Map<string, number>()
  const entries: RosterEntry[] = []
  for (const { line, cells } of rows) {
    if (!cells.folder)
      throw new GraderError('USAGE', `the roster ${file}, line ${line}: the folder cell is empty`, {
        hint: 'each row names the student\'s submission folder in the "folder" column',
      })
    const earlier = seen.get(cells.folder)
    if (earlier !== undefined)
      throw new GraderError(
        'USAGE',
        `the roster ${file}, line ${line}: folder "${cells.folder}" is already on line ${earlier}`,
        { hint: 'one row per student: remove the duplicate' },
      )
    seen.set(cells.folder, line)
    entries.push(Object.fromEntries(Object.entries(cells).filter(([, value]) => value !== '')) as RosterEntry)
  }
  return entries
}

/**
 * The gradebook's rows: the roster's students in its order (one with no submission gets a record saying so), then
 * the folders no roster row names, flagged. Without a roster, the records as they are.
 */
export function applyRoster(
  roster: readonly RosterEntry[] | undefined,
  records: readonly StudentRecord[],
): StudentRecord[] {
  if (!roster) return [...records]
  const byFolder = new Map(records.map((record) => [record.student, record]))
  const ordered: StudentRecord[] = roster.map((entry) => {
    const record = byFolder.get(entry.folder)
    byFolder.delete(entry.folder)
    return record
      ? { ...record, rosterStatus: 'listed' as const }
      : {
          student: entry.folder,
          folder: safeFolderName(entry.folder),
          rosterStatus: 'not submitted' as const,
          problem: 'not submitted: no folder of this name in the cohort',
        }
  })
  return [
    ...ordered,
    ...[...byFolder.values()].map((record) => ({ ...record, rosterStatus: 'not in roster' as const })),
  ]
}

/** The roster row of a record, if any. */
export function rosterEntryOf(roster: readonly RosterEntry[] | undefined, student: string): RosterEntry | undefined {
  return roster?.find((entry) => entry.folder === student)
}
