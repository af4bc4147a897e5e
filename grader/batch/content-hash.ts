import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { courseVersion } from '../grade/course-version.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { courseRoot } from '../runner/program-command.ts'

/** Folders a submission carries that are not the student's work (installed packages, VCS, caches). */
export const ignoredFolders = new Set(['node_modules', '.git', '.cache', '__pycache__', '.venv'])

/** Every file under dir, relative, sorted: the same list on every machine. */
export function listFiles(dir: string): string[] {
  const files: string[] = []
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        if (!ignoredFolders.has(entry.name)) walk(child)
      } else if (entry.isFile()) files.push(child)
    }
  }
  walk('')
  return files.sort()
}

function hashTree(hash: ReturnType<typeof createHash>, dir: string): void {
  for (const file of listFiles(dir)) {
    hash.update(file).update('\0')
    hash.update(readFileSync(path.join(dir, file))).update('\0')
  }
}

const graderFingerprints = new Map<string, string>()

/**
 * The grader's version as far as one exercise's results go: the course version plus the grader's own source
 * and the exercise's definition. A change to a check invalidates stored results; a new lesson does not.
 */
export function graderFingerprint(exercise: Exercise): string {
  let fingerprint = graderFingerprints.get(exercise.id)
  if (!fingerprint) {
    const hash = createHash('sha256').update(courseVersion()).update('\0')
    hashTree(hash, path.join(courseRoot, 'grader'))
    hash.update(readFileSync(path.join(exercise.dir, 'exercise.ts')))
    fingerprint = hash.digest('hex')
    graderFingerprints.set(exercise.id, fingerprint)
  }
  return fingerprint
}

/** The key a graded submission × exercise is stored under: its files, the exercise, the grader, the broker asked for. */
export function submissionHash(dir: string, exercise: Exercise, broker: string): string {
  const hash = createHash('sha256').update(`${exercise.id}\0${graderFingerprint(exercise)}\0${broker}\0`)
  hashTree(hash, dir)
  return hash.digest('hex')
}
