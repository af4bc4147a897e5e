import { cpSync, lstatSync } from 'node:fs'
import path from 'node:path'
import type { BrokerChoice } from '../broker/choose-backend.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { type ExerciseResult, exerciseResultSchema } from '../report/result.ts'
import { ignoredFolders, submissionHash } from './content-hash.ts'
import type { ExerciseSubmission } from './detect-layout.ts'
import type { SandboxChoice } from '../runner/sandbox.ts'
import type { ResultCache } from './result-cache.ts'
import type { WorkerPool } from './worker-pool.ts'

export interface GradeJob {
  student: string
  exercise: Exercise
  submission: ExerciseSubmission
  /** What reports call the graded folder: `alice/exercises/ex1-hello-mqtt/starter`. */
  label: string
}

export interface GradeJobContext {
  seed: number
  broker: BrokerChoice
  sandbox: SandboxChoice
  pool: WorkerPool
  cache: ResultCache
  isForced: boolean
  /** Added to the exercise's own deadline: starting a broker or a container, compiling, a loaded machine. */
  deadlineMarginMs?: number
}

export interface GradeJobOutcome {
  result: ExerciseResult
  wasCached: boolean
  /** Stopped by Ctrl-C or SIGTERM: not a result, reported as not graded. */
  wasInterrupted: boolean
}

/**
 * Grades one submission × exercise in isolation: a temporary copy of its folder (what the program writes is
 * thrown away with it), its own broker, its own sandboxed program, its own deadline, in one of the pool's
 * grading processes. Whatever happens, the outcome is a result: a grade that overran or whose process died is
 * an errored result, never a throw.
 */
export async function runGradeJob(job: GradeJob, context: GradeJobContext): Promise<GradeJobOutcome> {
  const hash = submissionHash(job.submission.dir, job.exercise, context.broker)
  const cached = context.isForced ? undefined : context.cache.get(hash)
  if (cached) return { result: labelled(cached, job.label), wasCached: true, wasInterrupted: false }

  // Named for this process: after a `kill -9` of the batch, the next grader to start removes it.
  const workDir = new TemporaryFolder('mqtt-course-batch-')
  const copy = path.join(workDir.path, job.exercise.folder)
  try {
    // Links are not copied: a submission could point one anywhere on the grading machine.
    cpSync(job.submission.dir, copy, { recursive: true, filter: (source) => !ignoredFolders.has(path.basename(source)) && !lstatSync(source).isSymbolicLink() })
    const deadlineMs = job.exercise.run.deadlineMs + (context.deadlineMarginMs ?? 60_000)
    const outcome = await context.pool.grade({ exerciseId: job.exercise.id, dir: copy, seed: context.seed, broker: context.broker, sandbox: context.sandbox, deadlineMs })
    if (outcome.kind === 'interrupted') return { result: errorResult(job, context.seed, 'INTERRUPTED', 'grading was interrupted (Ctrl-C or SIGTERM) before it finished'), wasCached: false, wasInterrupted: true }
    if (outcome.kind === 'deadline') return { result: errorResult(job, context.seed, 'DEADLINE', `grading did not finish within ${Math.round(deadlineMs / 1000)} s and was stopped`), wasCached: false, wasInterrupted: false }
    if (outcome.kind === 'failed') return { result: errorResult(job, context.seed, 'GRADER_FAILED', outcome.why), wasCached: false, wasInterrupted: false }
    // Stored with a placeholder for the folder: the same files submitted by two students are graded once.
    // Read through the schema, as a stored result is: the same keys in the same order, whichever it was.
    const result = exerciseResultSchema.parse(JSON.parse(JSON.stringify(outcome.result).replaceAll(JSON.stringify(copy).slice(1, -1), folderPlaceholder)))
    context.cache.set(hash, result)
    return { result: labelled(result, job.label), wasCached: false, wasInterrupted: false }
  } finally {
    workDir.remove()
  }
}

const folderPlaceholder = '<submission>'


/** The result as this student's: their folder where the grade saw its temporary copy. */
function labelled(result: ExerciseResult, label: string): ExerciseResult {
  const text = JSON.stringify(result).replaceAll(folderPlaceholder, JSON.stringify(label).slice(1, -1))
  return { ...(JSON.parse(text) as ExerciseResult), source: label }
}


/** A result for an exercise that could not be graded; the gradebook lists it under errors. */
export function errorResult(job: Pick<GradeJob, 'exercise' | 'label'>, seed: number, code: string, message: string, hint?: string): ExerciseResult {
  return {
    id: job.exercise.id,
    slug: job.exercise.slug,
    title: job.exercise.title,
    status: 'errored',
    points: 0,
    maxPoints: job.exercise.points,
    durationMs: 0,
    seed,
    source: job.label,
    checks: [],
    programRuns: [],
    error: { code, message, ...(hint ? { hint } : {}) },
  }
}
