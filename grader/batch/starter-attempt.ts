import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Exercise } from '../exercises/load-exercises.ts'
import { listFiles } from './content-hash.ts'

/**
 * Whether a submission is the starter as handed out: the same program files (READMEs and notes aside) with the
 * same content, whitespace aside. Such a student did not attempt the exercise: the cohort report leaves them
 * out of "what to teach again", whose question is what the students who tried did not get.
 */
export function isUntouchedStarter(submissionDir: string, exercise: Pick<Exercise, 'dir'>): boolean {
  const starterDir = path.join(exercise.dir, 'starter')
  const code = (dir: string) => {
    try {
      return listFiles(dir).filter((file) => !/\.(md|txt)$/i.test(file))
    } catch {
      return undefined
    }
  }
  const starter = code(starterDir)
  const submitted = code(submissionDir)
  if (!starter || !submitted || starter.length === 0 || starter.join('\0') !== submitted.join('\0')) return false
  const normal = (file: string) => readFileSync(file, 'utf8').replace(/\s+/g, ' ').trim()
  return starter.every((file) => normal(path.join(starterDir, file)) === normal(path.join(submissionDir, file)))
}
