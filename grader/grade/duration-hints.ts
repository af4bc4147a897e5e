import { readFileSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ExerciseResult } from '../report/result.ts'
import { courseRoot } from '../course/course-root.ts'

/**
 * How long each exercise took the last time it was graded, so that `grade --all` can start the longest first
 * (ex3 and ex5 wait on timers for over a second): with two at a time the short ones then fill the gaps, and
 * the course ends sooner. A cache next to the compile caches: it only orders the work, never changes a result.
 */
const hintsFile = path.join(courseRoot, 'node_modules/.cache/mqtt-course/grade-durations.json')

export function readDurationHints(): Record<string, number> {
  try {
    const hints = JSON.parse(readFileSync(hintsFile, 'utf8')) as unknown
    return hints && typeof hints === 'object' ? (hints as Record<string, number>) : {}
  } catch {
    return {}
  }
}

export async function writeDurationHints(results: readonly ExerciseResult[]): Promise<void> {
  const hints = readDurationHints()
  for (const result of results) if (result.status !== 'errored') hints[result.slug] = result.durationMs
  try {
    await mkdir(path.dirname(hintsFile), { recursive: true })
    const temporary = `${hintsFile}.${process.pid}.tmp`
    await writeFile(temporary, JSON.stringify(hints))
    await rename(temporary, hintsFile)
  } catch {
    // A read-only node_modules only costs the ordering.
  }
}
