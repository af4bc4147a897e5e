import { cpSync, lstatSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BrokerChoice } from '../broker/choose-backend.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { type ExerciseResult, gradeReportSchema } from '../report/result.ts'
import { courseRoot } from '../runner/program-command.ts'
import { ignoredFolders, submissionHash } from './content-hash.ts'
import type { ExerciseSubmission } from './detect-layout.ts'
import { gradeArgv } from './grade-argv.ts'
import { runGradeChild } from './grade-child.ts'
import type { SandboxChoice } from '../runner/sandbox.ts'
import type { ResultCache } from './result-cache.ts'

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
  sandbox?: SandboxChoice
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
 * thrown away with it), its own `grade` process with its own broker, its own deadline. Whatever happens, the
 * outcome is a result: a grade that crashed, hung or printed nonsense is an errored result, never a throw.
 */
export async function runGradeJob(job: GradeJob, context: GradeJobContext): Promise<GradeJobOutcome> {
  const hash = submissionHash(job.submission.dir, job.exercise, context.broker)
  const cached = context.isForced ? undefined : context.cache.get(hash)
  if (cached) return { result: labelled(cached, job.label), wasCached: true, wasInterrupted: false }

  const workDir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-batch-'))
  const copy = path.join(workDir, job.exercise.folder)
  try {
    // Links are not copied: a submission could point one anywhere on the grading machine.
    cpSync(job.submission.dir, copy, { recursive: true, filter: (source) => !ignoredFolders.has(path.basename(source)) && !lstatSync(source).isSymbolicLink() })
    const deadlineMs = job.exercise.run.deadlineMs + (context.deadlineMarginMs ?? 60_000)
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.npm_lifecycle_event
    const exit = await runGradeChild({
      args: gradeArgv({ exerciseId: job.exercise.id, dir: copy, seed: context.seed, broker: context.broker, ...(context.sandbox ? { sandbox: context.sandbox } : {}) }),
      cwd: courseRoot,
      env,
      deadlineMs,
    })
    if (exit.stoppedBecause === 'interrupted') return { result: errorResult(job, context.seed, 'INTERRUPTED', 'grading was interrupted (Ctrl-C or SIGTERM) before it finished'), wasCached: false, wasInterrupted: true }
    // Stored with a placeholder for the folder: the same files submitted by two students are graded once.
    const result = readResult(exit.stdout.replaceAll(copy, folderPlaceholder))
    if (result) {
      context.cache.set(hash, result)
      return { result: labelled(result, job.label), wasCached: false, wasInterrupted: false }
    }
    const why = exit.stoppedBecause === 'deadline'
      ? `grading did not finish within ${Math.round(deadlineMs / 1000)} s and was stopped`
      : exit.isStdoutOverflowing
        ? 'the grader printed more than a report can hold and was stopped'
        : exit.spawnError
          ? `the grader could not be started: ${exit.spawnError.message}`
          : `the grader ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`} without a report${lastLine(exit.stderrTail)}`
    return { result: errorResult(job, context.seed, exit.stoppedBecause === 'deadline' ? 'DEADLINE' : 'GRADER_FAILED', why), wasCached: false, wasInterrupted: false }
  } finally {
    rmSync(workDir, { recursive: true, force: true, maxRetries: 3 })
  }
}

const folderPlaceholder = '<submission>'

function readResult(stdout: string): ExerciseResult | undefined {
  try {
    const report = gradeReportSchema.parse(JSON.parse(stdout))
    return report.exercises.length === 1 ? report.exercises[0] : undefined
  } catch {
    return undefined
  }
}

/** The result as this student's: their folder where the grade saw its temporary copy. */
function labelled(result: ExerciseResult, label: string): ExerciseResult {
  const text = JSON.stringify(result).replaceAll(folderPlaceholder, JSON.stringify(label).slice(1, -1))
  return { ...(JSON.parse(text) as ExerciseResult), source: label }
}

function lastLine(stderr: string): string {
  const line = stderr.trim().split('\n').filter(Boolean).at(-1)
  return line ? `: ${line.trim()}` : ''
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
