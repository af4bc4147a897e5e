import { readFileSync } from 'node:fs'
import path from 'node:path'
import { courseRoot } from '../course/course-root.ts'

let version: string | undefined

/** The course's version from package.json, stamped on every report. */
export function courseVersion(): string {
  version ??= (JSON.parse(readFileSync(path.join(courseRoot, 'package.json'), 'utf8')) as { version: string }).version
  return version
}
