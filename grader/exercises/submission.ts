import { existsSync, realpathSync, statSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { detectLayout, layoutExercise } from './detect-layout.ts'
import type { Exercise } from './load-exercises.ts'

/** What to grade: the starter (the student's work in place), the reference solution, or a folder elsewhere. */
export type SubmissionSource =
  | { kind: 'starter' }
  | { kind: 'solution' }
  | { kind: 'dir'; dir: string }
  | { kind: 'program-dir'; dir: string; label: string }

export interface Submission {
  /** The folder the program runs in and the checks read files from. */
  dir: string
  /** For reports: "starter", "solution", "submissions/alice/ex5-last-will/starter". */
  label: string
}

/**
 * Where the files to grade are. `--dir` accepts a folder that mirrors exercises/ (`<dir>/ex5-last-will/starter/`
 * or `<dir>/ex5-last-will/`), or a single exercise's folder (`<dir>/starter/` or the files themselves).
 */
export function resolveSubmission(
  exercise: Exercise,
  source: SubmissionSource,
  options: { hasCustomCommand?: boolean } = {},
): Submission {
  switch (source.kind) {
    case 'starter':
      return { dir: path.join(exercise.dir, 'starter'), label: 'starter' }
    case 'solution':
      return { dir: path.join(exercise.dir, 'solution'), label: 'solution' }
    case 'program-dir':
      return { dir: source.dir, label: source.label }
    case 'dir': {
      const root = path.resolve(source.dir)
      if (!existsSync(root) || !statSync(root).isDirectory()) {
        throw new GraderError('NO_SUBMISSION', `--dir ${source.dir} is not a folder`, {
          hint: 'give the folder that holds the submission, e.g. --dir submissions/alice',
        })
      }
      // The layout detector batch and the Gradescope autograder use (detect-layout.ts): the same folders count.
      const layout = detectLayout(root, [layoutExercise(exercise)], {
        acceptsAnyProgram: options.hasCustomCommand === true,
        allowsTopLevel: isExerciseFolder(root, exercise),
      })
      const found = layout.found[0]
      // The folder itself, not a symlink to it (`--dir link-to-alice`, or alice/ex5-last-will linked from
      // elsewhere): the workspace copies what it is given, and a copied symlink is a link, not the files.
      if (found) return { dir: realpathSync(found.dir), label: displayPath(found.dir) }
      const entry = exercise.run.entry ?? 'its files'
      throw new GraderError(
        'NO_SUBMISSION',
        `no submission for ${exercise.id} in ${source.dir}: ${layout.missing[0]?.why ?? layout.problem ?? `expected ${path.join(source.dir, exercise.folder, 'starter', entry)}`}`,
        {
          hint: `copy exercises/${exercise.folder}/ into ${source.dir} (the folder layout of exercises/), or point --dir at one exercise's folder`,
        },
      )
    }
  }
}

function isExerciseFolder(dir: string, exercise: Exercise): boolean {
  const base = path.basename(dir)
  return (
    base === exercise.folder ||
    base === exercise.id ||
    base === exercise.slug ||
    base === 'starter' ||
    !existsSync(path.join(dir, exercise.folder))
  )
}

/** Relative to where the command runs when that is shorter, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file)
  return relative === '' ? '.' : relative.startsWith('..') ? file : relative
}
