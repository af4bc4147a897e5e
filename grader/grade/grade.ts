import { BackendChooser, type BrokerChoice } from '../broker/choose-backend.ts'
import { type Exercise, listExerciseFolders, loadExercise, resolveExerciseFolder } from '../exercises/load-exercises.ts'
import type { SubmissionSource } from '../exercises/submission.ts'
import { type GradeReport, type ExerciseResult, reportSchemaVersion, summarizeExercises } from '../report/result.ts'
import { newSeed } from '../runner/random.ts'
import { courseVersion } from './course-version.ts'
import { type SandboxChoice, chooseSandbox } from '../runner/sandbox.ts'
import { type GradeProgress, gradeExercise } from './grade-exercise.ts'

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
}

/**
 * The programmatic API behind `npm run grade`: the CLI only parses arguments and picks reporters.
 * Usage errors (an unknown exercise) throw a GraderError before anything starts; everything after that is a
 * result in the report.
 */
export async function grade(options: GradeOptions): Promise<GradeReport> {
  const startedAt = performance.now()
  const folders = options.exercises === 'all' ? listExerciseFolders() : options.exercises.map((query) => resolveExerciseFolder(query))
  const exercises: Exercise[] = []
  for (const folder of folders) exercises.push(await loadExercise(folder))
  const seed = options.seed ?? newSeed()
  const chooser = new BackendChooser(options.broker)
  const sandbox = chooseSandbox(options.sandbox ?? 'auto')
  const results: ExerciseResult[] = []
  for (const exercise of exercises) {
    results.push(
      await gradeExercise(exercise, {
        source: options.source,
        ...(options.command !== undefined ? { command: options.command } : {}),
        chooser,
        seed,
        sandbox,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    )
  }
  return {
    schemaVersion: reportSchemaVersion,
    tool: { name: 'mqtt-course', version: courseVersion() },
    ...summarizeExercises(results),
    seed,
    durationMs: Math.round(performance.now() - startedAt),
    ...(sandbox.note ? { notes: [sandbox.note] } : {}),
    exercises: results,
  }
}
