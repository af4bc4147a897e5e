import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { z } from 'zod/v3'
import type { ExerciseResult } from '../report/result.ts'
import { courseRoot } from '../course/course-root.ts'

/**
 * The student's progress, for `list`, `hint` and `watch`: one small JSON file in `.mqtt-course/` (ignored by
 * git). It records only what the grader saw when it graded the student's own work in place (the starter
 * folders), never what the student claims, and instructors never read it: they grade the code.
 */
export const stateDir = path.join(courseRoot, '.mqtt-course')
const stateFile = path.join(stateDir, 'progress.json')

const exerciseProgressSchema = z.object({
  /** The best points any grading run gave; absent until the exercise has been graded. */
  bestPoints: z.number().int().nonnegative().optional(),
  /** Some run passed every check. */
  passed: z.boolean().optional(),
  hintsShown: z.number().int().nonnegative().optional(),
})

const progressSchema = z.object({
  version: z.literal(1),
  /** By slug, not id: the slug stays when exercises are renumbered. */
  exercises: z.record(exerciseProgressSchema),
})

export type ExerciseProgress = z.infer<typeof exerciseProgressSchema>
export type Progress = z.infer<typeof progressSchema>

const empty = (): Progress => ({ version: 1, exercises: {} })

/** The progress file, or empty progress when there is none. An unreadable file is set aside, never thrown away. */
export async function readProgress(): Promise<Progress> {
  let text: string
  try {
    text = await readFile(stateFile, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty()
    throw error
  }
  try {
    return progressSchema.parse(JSON.parse(text))
  } catch {
    const aside = `${stateFile}.unreadable-${Date.now()}`
    await rename(stateFile, aside).catch(() => undefined)
    process.stderr.write(
      `[progress] ${path.relative(courseRoot, stateFile)} could not be read; kept as ${path.relative(courseRoot, aside)}, starting afresh\n`,
    )
    return empty()
  }
}

let pending: Promise<unknown> = Promise.resolve()

/**
 * Reads, changes and writes the progress file. Writes are atomic (a temporary file renamed over the old one),
 * so a crash or Ctrl-C never leaves half a file; updates in one process run one after the other; and every
 * change only ever adds (best points go up, a pass stays), so two processes racing lose nothing that matters.
 */
export function updateProgress(change: (progress: Progress) => void): Promise<Progress> {
  const run = pending.then(async () => {
    const progress = await readProgress()
    change(progress)
    await mkdir(stateDir, { recursive: true })
    const temporary = `${stateFile}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`
    await writeFile(temporary, `${JSON.stringify(progress, null, 2)}\n`)
    await rename(temporary, stateFile)
    return progress
  })
  pending = run.catch(() => undefined)
  return run
}

/** What one grading run adds: its points if they beat the best, and a pass. Errored or skipped runs say nothing about the work. */
export function recordResults(results: readonly ExerciseResult[]): Promise<Progress> {
  return updateProgress((progress) => {
    for (const result of results) {
      if (result.status !== 'passed' && result.status !== 'failed') continue
      const entry = (progress.exercises[result.slug] ??= {})
      entry.bestPoints = Math.max(entry.bestPoints ?? 0, result.points)
      if (result.status === 'passed') entry.passed = true
    }
  })
}

/** Remembers that the first `shownCount` hints of the exercise have been shown. */
export async function recordHintShown(slug: string, shownCount: number): Promise<void> {
  await updateProgress((progress) => {
    const entry = (progress.exercises[slug] ??= {})
    entry.hintsShown = Math.max(entry.hintsShown ?? 0, shownCount)
  })
}
