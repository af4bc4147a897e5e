import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { type ExerciseFolder, listExerciseFolders } from '../exercises/load-exercises.ts'
import type { GradescopeVisibility } from '../report/gradescope-reporter.ts'
import { courseRoot } from '../course/course-root.ts'
import { type ZipEntry, folderEntries, writeZip } from './write-zip.ts'

export interface GradescopeAssignment {
  /** The assignment's exercises, in course order. */
  exercises: readonly ExerciseFolder[]
  visibility: GradescopeVisibility
}

/** The course files the autograder runs from: the grader and what installs it. No site, lessons or tests. */
const courseFiles = ['package.json', 'package-lock.json', 'tsconfig.json', '.nvmrc']
/** Never in the zip: installs, caches, and the answers (the autograder grades; it has no use for them). */
const leftOut = /(^|\/)(node_modules|\.cache|\.astro|dist)(\/|$)|(^|\/)(solution|mutants|variants)(-[a-z]+)?(\/|$)/
const recipe = path.join(courseRoot, 'docker/ci/gradescope')

/**
 * `npm run export -- gradescope <zip>`: the autograder zip as Gradescope extracts it into /autograder/source
 * (its specification: setup.sh and run_autograder at the zip's root): the two scripts, the assignment's options
 * (assignment.env: the exercises and the tests' visibility), the grader, the assignment's exercises (no solutions)
 * and package.json + package-lock.json, which setup.sh installs with npm ci. No node_modules.
 */
export async function exportGradescope(
  zipFile: string,
  assignment: GradescopeAssignment,
): Promise<{ entries: number }> {
  const entries: ZipEntry[] = [
    { name: 'setup.sh', from: { file: path.join(recipe, 'setup.sh') }, mode: 0o755 },
    { name: 'run_autograder', from: { file: path.join(recipe, 'run_autograder') }, mode: 0o755 },
    { name: 'assignment.env', from: { text: assignmentEnv(assignment) } },
    ...courseFiles
      .filter((file) => existsSync(path.join(courseRoot, file)))
      .map((file) => ({ name: file, from: { file: path.join(courseRoot, file) } })),
    ...folderEntries(path.join(courseRoot, 'grader'), 'grader', (relative) => leftOut.test(relative)),
    ...assignment.exercises.flatMap((exercise) =>
      folderEntries(path.join(courseRoot, 'exercises', exercise.folder), `exercises/${exercise.folder}`, (relative) =>
        leftOut.test(relative),
      ),
    ),
  ]
  await writeZip(zipFile, entries)
  return { entries: entries.length }
}

/** Read by run_autograder with `source`: values the export checked (exercise ids, a visibility), nothing else. */
function assignmentEnv(assignment: GradescopeAssignment): string {
  return [
    '# Written by npm run export -- gradescope: the assignment run_autograder grades.',
    `MQTT_COURSE_EXERCISES="${assignment.exercises.map((exercise) => exercise.id).join(',')}"`,
    `MQTT_COURSE_VISIBILITY="${assignment.visibility}"`,
    '',
  ].join('\n')
}

/** The zip's path, checked before anything is written: a .zip in a folder that exists, not a folder itself. */
export function checkZipPath(zipFile: string): void {
  if (!zipFile.toLowerCase().endsWith('.zip')) {
    throw new GraderError('USAGE', `${zipFile} does not end in .zip: Gradescope takes the autograder as a zip`, {
      hint: 'e.g. npm run export -- gradescope autograder.zip',
    })
  }
  const folder = path.dirname(path.resolve(zipFile))
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new GraderError('USAGE', `${path.dirname(zipFile)}/ does not exist: the zip goes in a folder that does`, {
      hint: `mkdir -p ${path.dirname(zipFile)}`,
    })
  if (existsSync(zipFile) && statSync(zipFile).isDirectory())
    throw new GraderError('USAGE', `${zipFile} is a folder`, { hint: 'name a file, e.g. autograder.zip' })
}

/** Every exercise folder, for the default assignment. */
export function allExercises(): ExerciseFolder[] {
  return listExerciseFolders().filter((folder) =>
    readdirSync(path.join(courseRoot, 'exercises', folder.folder)).includes('starter'),
  )
}
