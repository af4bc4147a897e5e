import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { privateCacheDirs } from '../course/compile-cache.ts'
import { courseRoot } from '../course/course-root.ts'

/**
 * Without bubblewrap (`--sandbox uid`) nothing is hidden by mounts: a program dropped to its workspace's uid
 * reads what the permissions let any stranger read. So the grader, as root, takes "others" off what no program
 * may see: the solutions, mutants and variants, the course's git history and progress, and what the command
 * names (a cohort, the report folder). Once made private they stay so (their owner keeps every right); the
 * grade says which it changed.
 */
export function keepPrivate(extra: readonly string[]): string[] {
  const changed: string[] = []
  for (const folder of [...courseSecrets(), ...extra]) {
    if (!existsSync(folder)) continue
    const mode = statSync(folder).mode
    if ((mode & 0o077) === 0) continue
    chmodSync(folder, mode & 0o700)
    const inCourse = path.relative(courseRoot, folder)
    changed.push(inCourse && !inCourse.startsWith('..') ? inCourse : folder)
  }
  return changed
}

/** What of the course a student's program must never read. */
function courseSecrets(): string[] {
  const exercises = path.join(courseRoot, 'exercises')
  const perExercise = existsSync(exercises)
    ? readdirSync(exercises, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .flatMap((entry) => ['solution', 'mutants', 'variants'].map((name) => path.join(exercises, entry.name, name)))
    : []
  return [...perExercise, path.join(courseRoot, '.git'), path.join(courseRoot, '.mqtt-course'), ...privateCacheDirs]
}
