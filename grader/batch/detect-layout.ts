import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Exercise } from '../exercises/load-exercises.ts'

export type LayoutName = 'course clone' | 'exercise folders' | 'exN folders' | 'one exercise'

export interface ExerciseSubmission {
  exerciseId: string
  /** The folder that holds the program (or config files): the one copied and graded. */
  dir: string
  layout: LayoutName
}

export interface SubmissionLayout {
  found: ExerciseSubmission[]
  /** Selected exercises the submission does not contain. */
  missing: string[]
  /** Set when nothing was found: the sentence for the gradebook. */
  problem?: string
}

/**
 * Where each exercise is in a submission, in the layouts instructors get: a clone of the course
 * (exercises/ex1-hello-mqtt/starter/), a folder of exN-slug/ folders, a folder of exN/ folders, or, when the
 * batch grades one exercise, that exercise's files at the top. A submission that is one folder wrapping the
 * rest (a zip's mqtt-course-main/) is looked into.
 */
export function detectLayout(submissionDir: string, exercises: readonly Exercise[]): SubmissionLayout {
  const root = unwrap(submissionDir)
  const found: ExerciseSubmission[] = []
  const missing: string[] = []
  for (const exercise of exercises) {
    const candidates: [string, LayoutName][] = [
      [path.join(root, 'exercises', exercise.folder), 'course clone'],
      [path.join(root, exercise.folder), 'exercise folders'],
      [path.join(root, exercise.id), 'exN folders'],
      ...(exercises.length === 1 ? ([[root, 'one exercise']] as [string, LayoutName][]) : []),
    ]
    const hit = candidates.flatMap(([dir, layout]) => [[path.join(dir, 'starter'), layout] as const, [dir, layout] as const]).find(([dir]) => holdsExercise(dir, exercise))
    if (hit) found.push({ exerciseId: exercise.id, dir: hit[0], layout: hit[1] })
    else missing.push(exercise.id)
  }
  if (found.length > 0) return { found, missing }
  const first = exercises[0]
  const marker = markerFiles(first)[0] ?? 'main.ts'
  const expected = [`exercises/${first.folder}/${marker}`, `${first.folder}/${marker}`, `${first.id}/${marker}`]
  const single = exercises.length === 1 ? `, or ${marker} at the top` : `, or (with --exercises ${first.id}) ${marker} at the top`
  return { found, missing, problem: `no exercise found: expected ${expected.join(' or ')}${single}` }
}

/** The files whose presence says "this folder is that exercise": the entry, or the starter's files. */
function markerFiles(exercise: Exercise): string[] {
  if (exercise.run.entry) return [exercise.run.entry]
  try {
    return readdirSync(path.join(exercise.dir, 'starter')).filter((name) => !name.endsWith('.md')).sort()
  } catch {
    return []
  }
}

function holdsExercise(dir: string, exercise: Exercise): boolean {
  if (!isFolder(dir)) return false
  const markers = markerFiles(exercise)
  return markers.length === 0 ? readdirSync(dir).length > 0 : markers.some((file) => existsSync(path.join(dir, file)))
}

function unwrap(dir: string): string {
  let current = dir
  for (let depth = 0; depth < 3; depth++) {
    const entries = readdirSync(current, { withFileTypes: true }).filter((entry) => !entry.name.startsWith('.') && entry.name !== '__MACOSX')
    if (entries.length !== 1 || !entries[0].isDirectory()) break
    const only = entries[0].name
    if (only === 'exercises' || only === 'starter' || /^ex\d+(-|$)/.test(only)) break
    current = path.join(current, only)
  }
  return current
}

function isFolder(dir: string): boolean {
  return existsSync(dir) && statSync(dir).isDirectory()
}
