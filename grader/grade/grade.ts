import os from 'node:os'
import path from 'node:path'
import { BackendChooser, type BrokerChoice } from '../broker/choose-backend.ts'
import { type Exercise, listExerciseFolders, loadExercise, resolveExerciseFolder } from '../exercises/load-exercises.ts'
import type { SubmissionSource } from '../exercises/submission.ts'
import { type GradeReport, type ExerciseResult, reportSchemaVersion, summarizeExercises } from '../report/result.ts'
import { newSeed } from '../runner/random.ts'
import { courseVersion } from './course-version.ts'
import { readDurationHints, writeDurationHints } from './duration-hints.ts'
import { type SandboxChoice, chooseSandboxWhenProbed } from '../sandbox/sandbox.ts'
import { type GradeProgress, gradeExercise } from './grade-exercise.ts'
import { CpuHeadroomGate } from '../process/cpu-headroom.ts'
import { type Typechecker, typecheckProgram } from '../runner/typecheck.ts'
import { WarmTypechecker } from '../runner/warm-typechecker.ts'

export interface GradeOptions {
  /** Exercise ids, numbers or slugs; 'all' for every exercise in course order. */
  exercises: readonly string[] | 'all'
  source: SubmissionSource
  /** `--cmd`: the command that runs the student's program. */
  command?: string
  broker: BrokerChoice
  /** Reproduces a run's randomised inputs; a fresh one is drawn when absent. */
  seed?: number
  /** Where student programs run (default auto: bubblewrap where it works here). */
  sandbox?: SandboxChoice
  onProgress?: (event: GradeProgress) => void
  /** Called as each exercise's result is ready (in the order they finish, which is not course order). */
  onFinished?: (result: ExerciseResult) => void
  /** How many exercises grade at once, at most; by default the cores' count, and more while the cores have room. */
  concurrency?: number
}

/**
 * The programmatic API behind `npm run grade`: the CLI only parses arguments and picks reporters.
 * Usage errors (an unknown exercise) throw a GraderError before anything starts; everything after that is a
 * result in the report.
 */
export async function grade(options: GradeOptions): Promise<GradeReport> {
  const startedAt = performance.now()
  const queried =
    options.exercises === 'all' ? listExerciseFolders() : options.exercises.map((query) => resolveExerciseFolder(query))
  // `grade ex1 1` names one exercise twice: it is graded once.
  const folders = queried.filter(
    (folder, index) => queried.findIndex((other) => other.folder === folder.folder) === index,
  )
  const exercises: Exercise[] = await Promise.all(folders.map((folder) => loadExercise(folder)))
  const seed = options.seed ?? newSeed()
  const chooser = new BackendChooser(options.broker)
  // Most of an exercise's time is waiting (on the broker, on the program's reconnect): exercises overlap well.
  // The cores' count start at once; more while the cores have idle time (cpu-headroom.ts says why).
  const cores = Math.max(1, Math.min(options.concurrency ?? os.availableParallelism(), exercises.length))
  const gate = new CpuHeadroomGate({ minimum: cores, maximum: options.concurrency ?? exercises.length })
  // A submission graded from its folder: that folder (and the cohort around it) is no program's business.
  const sandbox = await chooseSandboxWhenProbed(
    options.sandbox ?? 'auto',
    options.source.kind === 'dir' ? { hide: [path.resolve(options.source.dir)] } : {},
  )
  const results: ExerciseResult[] = new Array(exercises.length)
  // Longest first (as last time): the short ones fill the gaps. Printing stays in course order (the caller's).
  const hints = exercises.length > 1 ? readDurationHints() : {}
  const queue = exercises
    .map((_, index) => index)
    .sort((a, b) => (hints[exercises[b].slug] ?? 0) - (hints[exercises[a].slug] ?? 0))
  // Several TypeScript programs to check: one compiler that stays up checks each in tens of milliseconds,
  // where a fresh tsc per exercise costs each ~0.4 s of CPU. Only started on a miss of the type-check cache.
  await using typechecker = exercises.length > 1 ? new WarmTypechecker() : undefined
  const typecheck: Typechecker | undefined = typechecker
    ? (dir, entry, signal) => typecheckProgram(dir, entry, signal, typechecker.check)
    : undefined
  await Promise.all(
    queue.map(async (index) => {
      await gate.enter()
      try {
        results[index] = await gradeExercise(exercises[index], {
          source: options.source,
          ...(options.command !== undefined ? { command: options.command } : {}),
          chooser,
          seed,
          sandbox,
          ...(typecheck ? { typecheck } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        })
      } finally {
        gate.leave()
      }
      options.onFinished?.(results[index])
    }),
  )
  if (exercises.length > 1) await writeDurationHints(results)
  return {
    schemaVersion: reportSchemaVersion,
    tool: { name: 'mqtt-course', version: courseVersion() },
    ...summarizeExercises(results),
    seed,
    durationMs: Math.round(performance.now() - startedAt),
    ...(sandbox.note ? { notes: [sandbox.note] } : {}),
    isolation: sandbox.description,
    exercises: results,
  }
}
