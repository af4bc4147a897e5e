import path from 'node:path'
import type { Broker, Capability } from '../broker/broker.ts'
import type { BackendChooser } from '../broker/choose-backend.ts'
import { ExerciseSession, startStudentProgram } from '../checks/harness.ts'
import { runChecks } from '../checks/run-checks.ts'
import { GraderError, describeError, isGraderError } from '../errors/grader-error.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { type SubmissionSource, resolveSubmission } from '../exercises/submission.ts'
import type { CheckResult, ExerciseResult, ProgramRunResult } from '../report/result.ts'
import { type ProgramCommand, customCommand, typeScriptCommand } from '../runner/program-command.ts'
import { createRandom } from '../runner/random.ts'
import { describeExit } from '../runner/student-program.ts'
import { type TypecheckResult, formatDiagnostic, typecheckProgram } from '../runner/typecheck.ts'
import { deadlineSignal } from '../time/deadline.ts'
import { WireTap } from '../wiretap/wire-tap.ts'

export interface GradeExerciseOptions {
  source: SubmissionSource
  /** `--cmd`: run this instead of the TypeScript entry (checks only look at the wire). */
  command?: string
  chooser: BackendChooser
  seed: number
  /** Called when the broker is up and as each check ends, for live output. */
  onProgress?: (event: GradeProgress) => void
}

export type GradeProgress =
  | { kind: 'started'; exercise: Exercise; broker: string; seed: number; source: string }
  | { kind: 'check'; exercise: Exercise; result: CheckResult }

/** The pseudo-check that reports type errors before anything runs. It carries no points. */
export const compilesCheckId = 'compiles'

/**
 * Grades one exercise: type-check and broker start in parallel, then the wire tap, then the checks in order.
 * Whatever happens, the result is an ExerciseResult and nothing it started is left running.
 */
export async function gradeExercise(exercise: Exercise, options: GradeExerciseOptions): Promise<ExerciseResult> {
  const startedAt = performance.now()
  // Each exercise draws from its own stream, so --seed reproduces ex5 whether it runs alone or after ex1..ex4.
  const random = createRandom((options.seed + exercise.number * 7919) >>> 0)
  const base = {
    id: exercise.id,
    slug: exercise.slug,
    title: exercise.title,
    maxPoints: exercise.points,
    points: 0,
    seed: options.seed,
    source: options.source.kind as string,
    programRuns: [] as ProgramRunResult[],
  }
  const durationMs = () => Math.round(performance.now() - startedAt)
  const runSignal = deadlineSignal(exercise.run.deadlineMs, undefined, `${exercise.id}'s deadline`)
  let broker: Broker | undefined
  try {
    const submission = resolveSubmission(exercise, options.source, { hasCustomCommand: options.command !== undefined })
    base.source = submission.label
    const inputs = exercise.run.inputs(random)
    const command = programCommand(exercise, submission.dir, options.command)
    const required: Capability[] = [...new Set([...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)])]
    const backend = await options.chooser.choose(required, exercise.id)
    // The tap first, holding connections until the broker is up and the observer is ready: the program can
    // start now and spend its own start-up time (Node, mqtt.js) while the broker starts.
    await using tap = await WireTap.start({})
    await using early = exercise.run.startsEarly && command ? startStudentProgram({ exerciseId: exercise.id, command, tap, inputs, submissionDir: submission.dir }, {}, 1) : undefined
    const typecheck = shouldTypecheck(exercise, options.command) ? typecheckProgram(submission.dir, exercise.run.entry!, runSignal) : undefined
    const brokerStart = backend.start(exercise.broker?.(inputs) ?? {}, runSignal)
    // Both run at once; neither may be left dangling if the other fails.
    const [typecheckResult, startedBroker] = await Promise.allSettled([typecheck, brokerStart])
    if (startedBroker.status === 'fulfilled') broker = startedBroker.value
    if (typecheckResult.status === 'rejected') throw typecheckResult.reason
    if (startedBroker.status === 'rejected') throw startedBroker.reason
    broker = startedBroker.value
    tap.connectTo({ host: broker.host, port: broker.port })
    options.onProgress?.({ kind: 'started', exercise, broker: broker.label, seed: options.seed, source: submission.label })

    const compiles = typecheckResult.value ? compilesResult(typecheckResult.value) : undefined
    if (compiles) options.onProgress?.({ kind: 'check', exercise, result: compiles })
    if (compiles && compiles.status !== 'passed') {
      const skipped = exercise.checks.map((check): CheckResult => ({
        id: check.id,
        title: check.title,
        status: 'skipped',
        points: 0,
        maxPoints: check.points,
        durationMs: 0,
        message: 'skipped until your code compiles',
      }))
      for (const result of skipped) options.onProgress?.({ kind: 'check', exercise, result })
      return { ...base, status: 'failed', broker: broker.label, durationMs: durationMs(), checks: [compiles, ...skipped] }
    }

    await using session = new ExerciseSession({
      exerciseId: exercise.id,
      inputs,
      random,
      broker,
      tap,
      submissionDir: submission.dir,
      command,
      signal: runSignal,
    })
    if (early) session.adoptProgram(early)
    if (exercise.setUp) {
      try {
        await exercise.setUp(session.harness(10_000, deadlineSignal(10_000, runSignal)))
      } catch (error) {
        throw new GraderError('INTERNAL', `${exercise.id} could not be set up on ${broker.label}: ${describeError(error)}`, { cause: error })
      }
    }
    tap.releaseNewConnections()
    const results = await runChecks({
      checks: exercise.checks,
      session: session as ExerciseSession,
      exerciseRequires: exercise.requires,
      offered: broker.capabilities,
      brokerLabel: broker.label,
      lessonPath: `lessons/${exercise.lesson}.mdx`,
      onResult: (result) => options.onProgress?.({ kind: 'check', exercise, result }),
    })
    const checks = compiles ? [compiles, ...results] : results
    const isPassed = checks.every((check) => check.status === 'passed')
    const programRuns = await collectProgramRuns(session)
    return {
      ...base,
      status: isPassed ? 'passed' : 'failed',
      points: checks.reduce((sum, check) => sum + check.points, 0),
      broker: broker.label,
      durationMs: durationMs(),
      checks,
      programRuns,
    }
  } catch (error) {
    const graderError = isGraderError(error) ? error : new GraderError('INTERNAL', describeError(error), { cause: error })
    return {
      ...base,
      status: 'errored',
      ...(broker ? { broker: broker.label } : {}),
      durationMs: durationMs(),
      checks: [],
      error: { code: graderError.code, message: graderError.message, ...(graderError.hint ? { hint: graderError.hint } : {}) },
    }
  } finally {
    await broker?.stop()
  }
}

function programCommand(exercise: Exercise, dir: string, commandLine: string | undefined): ProgramCommand | undefined {
  if (commandLine) return customCommand(commandLine)
  if (!exercise.run.entry) return undefined
  return typeScriptCommand(path.join(dir, exercise.run.entry), dir)
}

function shouldTypecheck(exercise: Exercise, commandLine: string | undefined): boolean {
  return commandLine === undefined && exercise.run.entry !== undefined && /\.(m|c)?ts$/.test(exercise.run.entry)
}

function compilesResult(typecheck: TypecheckResult): CheckResult {
  const base = { id: compilesCheckId, title: 'Your TypeScript compiles without type errors', points: 0, maxPoints: 0, durationMs: Math.round(typecheck.durationMs) }
  if (typecheck.isOk) return { ...base, status: 'passed' }
  const shown = typecheck.diagnostics.slice(0, 10)
  const more = typecheck.diagnostics.length - shown.length
  return {
    ...base,
    status: 'failed',
    message: `The TypeScript compiler found ${typecheck.diagnostics.length} error${typecheck.diagnostics.length === 1 ? '' : 's'}; fix ${typecheck.diagnostics.length === 1 ? 'it' : 'them'} first:\n${shown.map(formatDiagnostic).join('\n')}${more > 0 ? `\n(${more} more)` : ''}`,
    hint: 'Your editor shows the same errors; run npm run check to see them all.',
  }
}

/** What each run of the program printed, collected after the run ends so nothing is cut short. */
async function collectProgramRuns(session: ExerciseSession): Promise<ProgramRunResult[]> {
  return Promise.all(
    session.programs.map(async (program) => {
      const wasRunning = program.isRunning
      const exit = await program.kill()
      return {
        run: program.run,
        command: program.display,
        ...(wasRunning ? {} : { exit: describeExit(exit) }),
        stdoutTail: program.stdout.tail(30),
        stderrTail: program.stderr.tail(30),
      }
    }),
  )
}
