import type { BatchManifest, StudentRecord } from './batch-manifest.ts'

export function renderCohortReport(manifest: BatchManifest, students: readonly StudentRecord[]): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Cohort report</title><p>${students.length} students, ${manifest.exercises.length} exercises</p></html>\n`
}
