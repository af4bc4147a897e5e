import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { exercisesRoot } from './load-exercises.ts'

/**
 * Where each exercise is in a submission: the one detector behind `npm run grade -- --dir`, `npm run batch` and
 * the Gradescope autograder (issue 21: a layout one of them accepted and another did not scored 0).
 */
export type LayoutName = 'course clone' | 'exercise folders' | 'exN folders' | 'one exercise'

/** What the detector needs to know of an exercise: its names, and the files that say "this folder is it". */
export interface LayoutExercise {
  id: string
  /** `ex1-hello-mqtt` */
  folder: string
  /** The program's entry (`main.ts`), when the exercise runs one. */
  entry?: string | undefined
  /** Entries in other languages that also mark the folder (`main.py` in a batch: program-language.ts). */
  otherEntries?: readonly string[]
}

export interface ExerciseSubmission {
  exerciseId: string
  /** The folder that holds the program (or config files): the one copied and graded. */
  dir: string
  layout: LayoutName
}

export interface SubmissionLayout {
  found: ExerciseSubmission[]
  /** Selected exercises the submission does not contain, each with why, in a sentence that says what to do. */
  missing: { exerciseId: string; why: string }[]
  /** Set when nothing was found: the sentence for the gradebook's errors column. */
  problem?: string
}

export interface DetectOptions {
  /** A program run by --cmd can be anything (main.py, a binary): a folder with any file will do. */
  acceptsAnyProgram?: boolean
  /** Whether the submission's top may itself be the exercise's folder (default: when one exercise is sought). */
  allowsTopLevel?: boolean
  /** `batch`: another language's program is graded by adding --cmd-for, not by --cmd. */
  isBatch?: boolean
}

/** Folders that are never a student's work: a Mac's resource forks in a zip, version control, installs. */
const notWork = new Set(['__MACOSX', 'node_modules', '.git'])

/**
 * Finds each exercise in the layouts instructors get: a clone of the course (exercises/ex1-hello-mqtt/starter/),
 * a folder of exN-slug/ folders, a folder of exN/ folders, or, when one exercise is graded, that exercise's files
 * at the top. A submission that is one folder wrapping the rest (a zip's mqtt-course-main/, with or without a
 * Mac's __MACOSX/ beside it) is looked into. Nothing found is never a silent zero: `problem` and each `missing`
 * say what was there instead (an empty folder, a gitlink, another language's program) and what to do.
 */
export function detectLayout(
  submissionDir: string,
  exercises: readonly LayoutExercise[],
  options: DetectOptions = {},
): SubmissionLayout {
  const root = unwrap(submissionDir)
  const found: ExerciseSubmission[] = []
  const missing: SubmissionLayout['missing'] = []
  for (const exercise of exercises) {
    const candidates = candidateFolders(root, exercise, options.allowsTopLevel ?? exercises.length === 1)
    const hit = candidates.find(([dir]) => holdsExercise(dir, exercise, options))
    if (hit) found.push({ exerciseId: exercise.id, dir: hit[0], layout: hit[1] })
    else missing.push({ exerciseId: exercise.id, why: whyMissing(submissionDir, root, exercise, candidates, options) })
  }
  if (found.length > 0) return { found, missing }
  return { found, missing, problem: describeNothingFound(submissionDir, root, exercises, missing) }
}

/** Each exercise's own markers: its entry, else its starter's files (ex8's config files), read once. */
export function layoutExercise(exercise: {
  id: string
  folder: string
  run?: { entry?: string | undefined }
}): LayoutExercise {
  return {
    id: exercise.id,
    folder: exercise.folder,
    entry: exercise.run ? exercise.run.entry : defaultEntry(exercise.folder),
  }
}

function defaultEntry(folder: string): string | undefined {
  return existsSync(path.join(exercisesRoot, folder, 'starter', 'main.ts')) ? 'main.ts' : undefined
}

function candidateFolders(root: string, exercise: LayoutExercise, isOnlyExercise: boolean): [string, LayoutName][] {
  const bases: [string, LayoutName][] = [
    [path.join(root, 'exercises', exercise.folder), 'course clone'],
    [path.join(root, exercise.folder), 'exercise folders'],
    [path.join(root, exercise.id), 'exN folders'],
    ...(isOnlyExercise ? ([[root, 'one exercise']] as [string, LayoutName][]) : []),
  ]
  return bases.flatMap(([dir, layout]) => [
    [path.join(dir, 'starter'), layout] as [string, LayoutName],
    [dir, layout] as [string, LayoutName],
  ])
}

/** The files whose presence says "this folder is that exercise": the entry, or the starter's files. */
export function markerFiles(exercise: LayoutExercise): string[] {
  if (exercise.entry) return [exercise.entry, ...(exercise.otherEntries ?? [])]
  try {
    return readdirSync(path.join(exercisesRoot, exercise.folder, 'starter'))
      .filter((name) => !name.endsWith('.md'))
      .sort()
  } catch {
    return []
  }
}

function holdsExercise(dir: string, exercise: LayoutExercise, options: DetectOptions): boolean {
  if (!isFolder(dir)) return false
  const markers = markerFiles(exercise)
  if (options.acceptsAnyProgram || markers.length === 0) return workEntries(dir).some((entry) => entry.isFile())
  return markers.some((file) => existsSync(path.join(dir, file)))
}

/** Why an exercise was not found, with what to do: the folder is there with another program, or it is not. */
function whyMissing(
  submissionDir: string,
  root: string,
  exercise: LayoutExercise,
  candidates: [string, LayoutName][],
  options: DetectOptions,
): string {
  const shown = (dir: string) => `${path.join(path.basename(submissionDir), path.relative(submissionDir, dir))}/`
  const marker = markerFiles(exercise)[0] ?? 'main.ts'
  for (const [dir] of candidates) {
    if (!isFolder(dir) || dir === root) continue
    const files = workEntries(dir)
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
    const other = files.find(
      (name) => /^main\.(py|js|mjs|cjs|go|rs|java|c|cpp|rb)$/.test(name) && !exercise.otherEntries?.includes(name),
    )
    if (other && !options.acceptsAnyProgram) {
      const todo = options.isBatch
        ? `to grade that program, add --cmd-for ${path.extname(other).slice(1)}="<command> {entry}" to the batch`
        : `to grade that program, run npm run grade -- ${exercise.id} --dir ${shown(dir)} --cmd "${commandFor(other)}"`
      return `${exercise.id}: ${shown(dir)} holds ${other} and no ${marker}: ${exercise.id} is graded as TypeScript (${marker}); ${todo}`
    }
    if (files.length === 0 && workEntries(dir).length === 0)
      return `${exercise.id}: ${shown(dir)} is empty: put ${marker} in it`
  }
  return `${exercise.id} not submitted: no ${exercise.folder}/${marker} (or exercises/${exercise.folder}/starter/${marker}, ${exercise.id}/${marker})`
}

function describeNothingFound(
  submissionDir: string,
  root: string,
  exercises: readonly LayoutExercise[],
  missing: SubmissionLayout['missing'],
): string {
  const first = exercises[0]
  const marker = first ? (markerFiles(first)[0] ?? 'main.ts') : 'main.ts'
  const expected = first
    ? `expected ${[`exercises/${first.folder}/starter/${marker}`, `${first.folder}/${marker}`, `${first.id}/${marker}`].join(' or ')}${exercises.length === 1 ? `, or ${marker} at the top` : `, or (with --exercises ${first.id}) ${marker} at the top`}`
    : 'expected exercise folders'
  const entries = existsSync(root) ? readdirSync(root, { withFileTypes: true }) : []
  if (entries.length === 0 || entries.every((entry) => entry.name === '.git' || entry.name === '__MACOSX')) {
    const gitlink = gitlinkOf(submissionDir)
    if (gitlink) {
      return `no exercise found: ${path.basename(submissionDir)}/ is a gitlink (a nested clone committed with git add: git stored a link to commit ${gitlink.slice(0, 12)}, not its files), so the checkout holds an empty folder; commit the files instead: git rm --cached ${path.basename(submissionDir)} && rm -rf ${path.basename(submissionDir)}/.git && git add ${path.basename(submissionDir)}`
    }
    return `no exercise found: ${path.basename(submissionDir)}/ is empty (if it was a nested clone committed with git add, git kept only a link to it: remove its .git folder and add it again); ${expected}`
  }
  // Every exercise folder that is there holds another program (or nothing): say that, not "not found".
  const specific = missing.filter((entry) => !entry.why.includes('not submitted'))
  if (specific.length > 0) return `no exercise found: ${specific.map((entry) => entry.why).join('; ')}`
  const names = entries
    .filter((entry) => !entry.name.startsWith('.'))
    .map((entry) => `${entry.name}${entry.isDirectory() ? '/' : ''}`)
    .sort()
    .slice(0, 6)
  return `no exercise found: ${expected} (found ${names.join(', ') || 'only hidden files'})`
}

/** The commit a gitlink (mode 160000 in the enclosing repository's index) points at, if that is what dir is. */
function gitlinkOf(dir: string): string | undefined {
  const parent = path.dirname(path.resolve(dir))
  const result = spawnSync('git', ['-C', parent, 'ls-files', '--stage', '--', path.basename(dir)], {
    encoding: 'utf8',
    timeout: 10_000,
  })
  if (result.status !== 0) return undefined
  const line = result.stdout.split('\n').find((entry) => entry.startsWith('160000 '))
  return line?.split(/\s+/)[1]
}

function commandFor(file: string): string {
  const extension = path.extname(file)
  if (extension === '.py') return `python3 ${file}`
  if (['.js', '.mjs', '.cjs'].includes(extension)) return `node ${file}`
  return `./${file}`
}

/** The folder's entries that can be a student's work: no hidden files, no __MACOSX/, no installs. */
function workEntries(dir: string) {
  return readdirSync(dir, { withFileTypes: true }).filter(
    (entry) => !entry.name.startsWith('.') && !notWork.has(entry.name),
  )
}

/** Into the one folder that wraps everything (a zip's mqtt-course-main/), three levels at most. */
function unwrap(dir: string): string {
  let current = dir
  for (let depth = 0; depth < 3; depth++) {
    if (!isFolder(current)) break
    const entries = workEntries(current)
    if (entries.length !== 1 || !entries[0].isDirectory()) break
    const only = entries[0].name
    if (only === 'exercises' || only === 'starter' || /^ex\d+(-|$)/.test(only)) break
    current = path.join(current, only)
  }
  return current
}

function isFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory()
  } catch {
    return false
  }
}
