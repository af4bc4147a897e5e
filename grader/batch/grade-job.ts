import path from 'node:path'
import { describeError, isGraderError } from '../errors/grader-error.ts'
import { copySubmission } from '../runner/copy-submission.ts'
import type { BrokerChoice } from '../broker/choose-backend.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { type ExerciseResult, exerciseResultSchema } from '../report/result.ts'
import { submissionHash } from './content-hash.ts'
import type { ExerciseSubmission } from '../exercises/detect-layout.ts'
import type { Sandbox, SandboxChoice } from '../sandbox/sandbox.ts'
import type { ResultCache } from './result-cache.ts'
import type { WorkerPool } from './worker-pool.ts'
import type { ChosenProgram } from './program-language.ts'
import { isUntouchedStarter } from './starter-attempt.ts'

export interface GradeJob {
  student: string
  exercise: Exercise
  submission: ExerciseSubmission
  /** What reports call the graded folder: `alice/exercises/ex1-hello-mqtt/starter`. */
  label: string
  /** The program found by its entry file (program-language.ts); absent for exercises with no program (ex8). */
  program?: ChosenProgram
}

export interface GradeJobContext {
  /** This student's seed (derived from the cohort's and their name: see studentSeed). */
  seed: number
  broker: BrokerChoice
  sandbox: SandboxChoice
  /** What `sandbox` gives on this machine: its kind is part of the stored result's key. */
  isolation: Sandbox['kind']
  /** Folders no program may see: the cohort, the reports. */
  hide: readonly string[]
  /** Exercises graded with no other grade running (worker-pool.ts isExclusive). */
  exclusive: ReadonlySet<string>
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
  let workDir: TemporaryFolder | undefined
  try {
    const hash = submissionHash(job.submission.dir, {
      exercise: job.exercise,
      broker: context.broker,
      seed: context.seed,
      isolation: context.isolation,
      command: job.program?.command ?? '',
    })
    const cached = context.isForced ? undefined : context.cache.get(hash)
    if (cached) return { result: labelled(cached, job.label), wasCached: true, wasInterrupted: false }
    const isStarter = isUntouchedStarter(job.submission.dir, job.exercise)
    // Named for this process: after a `kill -9` of the batch, the next grader to start removes it.
    workDir = new TemporaryFolder('mqtt-course-batch-')
    const copy = path.join(workDir.path, job.exercise.folder)
    // Regular files and folders only: a link could name any file of the grading machine, a FIFO blocks a reader.
    const { skipped } = copySubmission(job.submission.dir, copy)
    const deadlineMs = job.exercise.run.deadlineMs + (context.deadlineMarginMs ?? 60_000)
    const outcome = await context.pool.grade({
      exerciseId: job.exercise.id,
      dir: copy,
      ...(job.program?.command ? { command: job.program.command } : {}),
      seed: context.seed,
      broker: context.broker,
      sandbox: context.sandbox,
      hide: context.hide,
      isExclusive: context.exclusive.has(job.exercise.id),
      deadlineMs,
    })
    if (outcome.kind === 'interrupted')
      return {
        result: errorResult(
          job,
          context.seed,
          'INTERRUPTED',
          'grading was interrupted (Ctrl-C or SIGTERM) before it finished',
        ),
        wasCached: false,
        wasInterrupted: true,
      }
    if (outcome.kind === 'deadline')
      return {
        result: errorResult(
          job,
          context.seed,
          'DEADLINE',
          `grading did not finish within ${Math.round(deadlineMs / 1000)} s and was stopped`,
        ),
        wasCached: false,
        wasInterrupted: false,
      }
    if (outcome.kind === 'failed')
      return {
        result: errorResult(job, context.seed, 'GRADER_FAILED', outcome.why),
        wasCached: false,
        wasInterrupted: false,
      }
    const graded = {
      ...outcome.result,
      ...(job.program ? { program: job.program } : {}),
      ...(isStarter ? { isUntouchedStarter: true } : {}),
    }
    const withNotes =
      skipped.length > 0
        ? { ...graded, notes: [...(graded.notes ?? []), `not graded, left out of the copy: ${skipped.join(', ')}`] }
        : graded
    // Stored with a placeholder for the folder, and read back through the schema, as a stored result is.
    const result = exerciseResultSchema.parse(
      JSON.parse(JSON.stringify(withNotes).replaceAll(JSON.stringify(copy).slice(1, -1), folderPlaceholder)),
    )
    context.cache.set(hash, result)
    return { result: labelled(result, job.label), wasCached: false, wasInterrupted: false }
  } catch (error) {
    // One submission's trouble (an unreadable file, one too large) is its own cell's error, never the batch's.
    const code = isGraderError(error) ? error.code : 'INTERNAL'
    return {
      result: errorResult(job, context.seed, code, describeError(error), isGraderError(error) ? error.hint : undefined),
      wasCached: false,
      wasInterrupted: false,
    }
  } finally {
    workDir?.remove()
  }
}

const folderPlaceholder = '<submission>'

/** The result as this student's: their folder where the grade saw its temporary copy. */
function labelled(result: ExerciseResult, label: string): ExerciseResult {
  const text = JSON.stringify(result).replaceAll(folderPlaceholder, JSON.stringify(label).slice(1, -1))
  return { ...(JSON.parse(text) as ExerciseResult), source: label }
}

/** A result for an exercise that could not be graded; the gradebook lists it under errors. */
export function errorResult(
  job: Pick<GradeJob, 'exercise' | 'label'>,
  seed: number,
  code: string,
  message: string,
  hint?: string,
): ExerciseResult {
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
