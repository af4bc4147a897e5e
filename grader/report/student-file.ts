import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import type { ExerciseResult } from './result.ts'

/**
 * The file an annotation points at: the graded folder's main.ts (or main.py), else its first file that is not
 * notes (ex8's config files). Relative to where the grade runs, which in CI is the repository's root. `source` is
 * the grade's SubmissionSource (exercises/submission.ts): a starter or solution is the course's own folder.
 */
export function studentFile(exercise: ExerciseResult, source: { kind: string }): string | undefined {
  const folder =
    source.kind === 'starter' || source.kind === 'solution'
      ? path.join('exercises', `${exercise.id}-${exercise.slug}`, source.kind)
      : exercise.source
  try {
    const files = readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort()
    const main =
      ['main.ts', 'main.py'].find((name) => files.includes(name)) ?? files.find((name) => !name.endsWith('.md'))
    return main && existsSync(path.join(folder, main)) ? path.join(folder, main) : undefined
  } catch {
    return undefined
  }
}
