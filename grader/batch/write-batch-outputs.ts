import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { renderJson } from '../report/json-reporter.ts'
import { renderJunit } from '../report/junit-reporter.ts'
import { type BatchManifest, type StudentRecord, studentFolder } from './batch-manifest.ts'
import { renderCohortReport } from './cohort-report.ts'
import { renderGradebook } from './gradebook-csv.ts'
import { lmsFileNames, renderCanvasGradebook, renderMoodleGradebook } from './lms-gradebook.ts'
import { applyRoster, type RosterEntry } from './roster.ts'

/** `<out>/<student>/result.json` (the `--json` schema) and `junit.xml`, as soon as the student is graded. */
export function writeStudentOutputs(outDir: string, record: StudentRecord): void {
  if (!record.report) return
  const dir = path.join(outDir, studentFolder(record))
  mkdirSync(dir, { recursive: true })
  writeWhole(path.join(dir, 'result.json'), renderJson(record.report))
  writeWhole(path.join(dir, 'junit.xml'), renderJunit(record.report))
}

/**
 * The cohort's outputs: batch.json, gradebook.csv, the LMS gradebooks asked for and index.html, from the same
 * records, in the roster's order when there is one. Returns what the instructor should be told: the students an
 * LMS gradebook left out (no id of that LMS in the roster).
 */
export function writeCohortOutputs(
  outDir: string,
  manifest: BatchManifest,
  students: readonly StudentRecord[],
): string[] {
  mkdirSync(outDir, { recursive: true })
  const rows = applyRoster(manifest.roster as RosterEntry[] | undefined, students)
  const roster = manifest.roster as RosterEntry[] | undefined
  writeWhole(path.join(outDir, 'batch.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  writeWhole(
    path.join(outDir, 'gradebook.csv'),
    renderGradebook(manifest.exercises, rows, {
      ...(roster ? { roster } : {}),
      hasBom: manifest.gradebook?.hasBom ?? false,
    }),
  )
  const notes: string[] = []
  for (const format of manifest.gradebook?.formats ?? []) {
    const { csv, left } = (format === 'canvas' ? renderCanvasGradebook : renderMoodleGradebook)(
      manifest.exercises,
      rows,
      roster,
    )
    writeWhole(path.join(outDir, lmsFileNames[format]), csv)
    if (left.length > 0)
      notes.push(
        `${lmsFileNames[format]} leaves out ${left.length} student${left.length === 1 ? '' : 's'} with no ${format === 'canvas' ? 'canvas_id, sis_user_id or sis_login_id' : 'id_number, email or username'} in the roster: ${left.join(', ')}`,
      )
  }
  writeWhole(path.join(outDir, 'index.html'), renderCohortReport(manifest, rows))
  return notes
}

/** Whole or not at all: a reader (or an interrupted batch) never sees half a file. */
function writeWhole(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, content)
  renameSync(temporary, file)
}
