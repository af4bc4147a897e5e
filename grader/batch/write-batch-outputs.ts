import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { renderJson } from '../report/json-reporter.ts'
import { renderJunit } from '../report/junit-reporter.ts'
import { type BatchManifest, type StudentRecord, studentFolder } from './batch-manifest.ts'
import { renderCohortReport } from './cohort-report.ts'
import { renderGradebook } from './gradebook-csv.ts'

/** `<out>/<student>/result.json` (the `--json` schema) and `junit.xml`, as soon as the student is graded. */
export function writeStudentOutputs(outDir: string, record: StudentRecord): void {
  if (!record.report) return
  const dir = path.join(outDir, studentFolder(record))
  mkdirSync(dir, { recursive: true })
  writeWhole(path.join(dir, 'result.json'), renderJson(record.report))
  writeWhole(path.join(dir, 'junit.xml'), renderJunit(record.report))
}

/** The cohort's outputs: batch.json, gradebook.csv and index.html, from the same records. */
export function writeCohortOutputs(outDir: string, manifest: BatchManifest, students: readonly StudentRecord[]): void {
  mkdirSync(outDir, { recursive: true })
  writeWhole(path.join(outDir, 'batch.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  writeWhole(path.join(outDir, 'gradebook.csv'), renderGradebook(manifest.exercises, students))
  writeWhole(path.join(outDir, 'index.html'), renderCohortReport(manifest, students))
}

/** Whole or not at all: a reader (or an interrupted batch) never sees half a file. */
function writeWhole(file: string, content: string): void {
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, content)
  renameSync(temporary, file)
}
