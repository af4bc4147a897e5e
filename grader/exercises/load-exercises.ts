import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { GraderError, describeError } from '../errors/grader-error.ts'
import { courseRoot } from '../course/course-root.ts'
import { type CheckDefinition, type ExerciseSpec, exercisePoints } from './define-exercise.ts'

export const exercisesRoot = path.join(courseRoot, 'exercises')

/** An exercise spec plus where it lives. */
export interface Exercise extends ExerciseSpec {
  /** `ex5-last-will` */
  folder: string
  /** Absolute path of exercises/ex5-last-will. */
  dir: string
  number: number
  points: number
}

export interface ExerciseFolder {
  folder: string
  id: string
  slug: string
  number: number
}

/** The exercise folders (`exN-slug` with an exercise.ts), in course order. Cheap: nothing is imported. */
export function listExerciseFolders(root = exercisesRoot): ExerciseFolder[] {
  if (!existsSync(root)) return []
  return readdirSync(root)
    .map((folder) => ({ folder, match: /^ex([1-9]\d*)-([a-z0-9-]+)$/.exec(folder) }))
    .filter(
      ({ folder, match }) =>
        match && existsSync(path.join(root, folder, 'exercise.ts')) && statSync(path.join(root, folder)).isDirectory(),
    )
    .map(({ folder, match }) => ({ folder, id: `ex${match![1]}`, slug: match![2], number: Number(match![1]) }))
    .sort((a, b) => a.number - b.number)
}

/**
 * Finds the exercise a student means: `ex3`, `3`, `qos`, or the folder name `ex3-qos`. Anything else is a usage
 * error that lists the valid ones.
 */
export function resolveExerciseFolder(query: string, root = exercisesRoot): ExerciseFolder {
  const folders = listExerciseFolders(root)
  const wanted = query.trim().toLowerCase()
  const found = folders.find(
    (f) => f.id === wanted || String(f.number) === wanted || f.slug === wanted || f.folder === wanted,
  )
  if (found) return found
  const valid = folders.map((f) => `${f.id} (${f.slug})`).join(', ')
  throw new GraderError(
    'UNKNOWN_EXERCISE',
    `there is no exercise "${query}"; the exercises are: ${valid || 'none (exercises/ is empty)'}`,
    {
      hint: `run npm run grade -- ${folders[0]?.id ?? 'ex1'}, or npm run grade -- --all`,
    },
  )
}

export async function loadExercise(folder: ExerciseFolder, root = exercisesRoot): Promise<Exercise> {
  const dir = path.join(root, folder.folder)
  const file = path.join(dir, 'exercise.ts')
  let spec: ExerciseSpec
  try {
    spec = ((await import(/* @vite-ignore */ pathToFileURL(file).href)) as { default: ExerciseSpec }).default
  } catch (error) {
    throw new GraderError(
      'INVALID_EXERCISE',
      `${path.relative(courseRoot, file)} could not be loaded: ${describeError(error)}`,
      {
        hint: 'fix the exercise definition (see grader/exercises/define-exercise.ts for the fields)',
        cause: error,
      },
    )
  }
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.checks)) {
    throw new GraderError(
      'INVALID_EXERCISE',
      `${path.relative(courseRoot, file)} must default-export defineExercise({...})`,
    )
  }
  if (spec.id !== folder.id || spec.slug !== folder.slug) {
    throw new GraderError(
      'INVALID_EXERCISE',
      `${path.relative(courseRoot, file)} says id "${spec.id}" and slug "${spec.slug}", but its folder is ${folder.folder}`,
      {
        hint: `rename the folder to ${spec.id}-${spec.slug}, or fix the id and slug`,
      },
    )
  }
  const withHidden = { ...spec, checks: await withInstructorChecks(spec.checks, dir) }
  return { ...withHidden, folder: folder.folder, dir, number: folder.number, points: exercisePoints(withHidden) }
}

/** The file beside exercise.ts that holds the instructor-only checks; the student edition leaves it out. */
export const instructorChecksFile = 'instructor.ts'

/** The exercise's checks and its instructor-only ones (instructor.ts), these before `settles`, which watches the quiet after the last. */
async function withInstructorChecks(checks: readonly CheckDefinition[], dir: string): Promise<CheckDefinition[]> {
  const file = path.join(dir, instructorChecksFile)
  if (!existsSync(file)) return [...checks]
  let hidden: CheckDefinition[]
  try {
    hidden = ((await import(/* @vite-ignore */ pathToFileURL(file).href)) as { default: CheckDefinition[] }).default
  } catch (error) {
    throw new GraderError(
      'INVALID_EXERCISE',
      `${path.relative(courseRoot, file)} could not be loaded: ${describeError(error)}`,
      { hint: 'it default-exports defineInstructorChecks([...])', cause: error },
    )
  }
  if (!Array.isArray(hidden) || hidden.some((check) => !check.isInstructorOnly)) {
    throw new GraderError(
      'INVALID_EXERCISE',
      `${path.relative(courseRoot, file)} must default-export defineInstructorChecks([...])`,
    )
  }
  const clash = hidden.find((check) => checks.some((other) => other.id === check.id))
  if (clash)
    throw new GraderError(
      'INVALID_EXERCISE',
      `${path.relative(courseRoot, file)}: check id ${clash.id} is already a check of exercise.ts`,
    )
  const settles = checks.at(-1)?.id === 'settles' ? checks.length - 1 : checks.length
  return [...checks.slice(0, settles), ...hidden, ...checks.slice(settles)]
}

export async function loadAllExercises(root = exercisesRoot): Promise<Exercise[]> {
  return Promise.all(listExerciseFolders(root).map((folder) => loadExercise(folder, root)))
}
