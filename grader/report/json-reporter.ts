import type { GradeReport } from './result.ts'

/** `--json`: the result model as one JSON document (schemaVersion says which shape). */
export function renderJson(report: GradeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`
}
