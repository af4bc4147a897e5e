import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Broker, BrokerSetup, Capability } from '../broker/broker.ts'
import type { BackendChooser } from '../broker/choose-backend.ts'
import type { ExerciseSession } from '../checks/harness.ts'
import { GraderError, describeError, isGraderError } from '../errors/grader-error.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { type SubmissionSource, resolveSubmission } from '../exercises/submission.ts'
import type { CheckResult, ExerciseResult, ProgramRunResult } from '../report/result.ts'
import { type ProgramCommand, customCommand, typeScriptCommand } from '../runner/program-command.ts'
import { createRandom } from '../runner/random.ts'
import { describeExit, startStudentProgram } from '../runner/student-program.ts'
import { typecheckProgram } from '../runner/typecheck.ts'
import { StudentConfigError } from '../broker/mosquitto-conf.ts'
import type { TlsMaterial } from '../broker/tls-material.ts'
import type { BrokerContext } from '../exercises/define-exercise.ts'
import { brokerConfigResult, compilesResult, skippedResults } from './pseudo-checks.ts'
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
  /** The type checker: `watch` passes one that stays up between saves. */
  typecheck?: typeof typecheckProgram
}

export type GradeProgress =
  | { kind: 'started'; exercise: Exercise; broker: string; seed: number; source: string }
  | { kind: 'check'; exercise: Exercise; result: CheckResult }

export { compilesCheckId } from './pseudo-checks.ts'

/**
 * Grades one exercise: the wire tap first (the program may start behind it at once), then the type-check and
 * the broker in parallel, then setUp and the checks in order. Whatever happens, the result is an
 * ExerciseResult and nothing it started is left running.
 *
 * Start-up time is the student's: everything up to the program's start uses only what this module imports
 * statically; the broker backend, the check harness and mqtt-packet load afterwards, while Node starts the
 * program.
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
  const report = (result: CheckResult) => options.onProgress?.({ kind: 'check', exercise, result })
  let broker: Broker | undefined
  try {
    const submission = resolveSubmission(exercise, options.source, { hasCustomCommand: options.command !== undefined })
    base.source = submission.label
    const required: Capability[] = [...new Set([...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)])]
    // node-forge (certificates) loads only for the exercises that need TLS: 50 ms of every other grading run.
    await using tlsMaterial = required.includes('tls') ? await (await import('../broker/tls-material.ts')).createTlsMaterial() : undefined
    const inputs = { ...exercise.run.inputs(random), ...(tlsMaterial ? { CA_FILE: tlsMaterial.caFile } : {}) }
    // A config the student wrote may be missing or unusable before Mosquitto even sees it: that is a result.
    let setup: BrokerSetup = {}
    let setupError: StudentConfigError | undefined
    try {
      setup = exercise.broker?.(brokerContext(inputs, submission.dir, tlsMaterial)) ?? {}
    } catch (error) {
      if (!(error instanceof StudentConfigError)) throw error
      setupError = error
    }
    const command = programCommand(exercise, submission.dir, options.command)

    // The tap holds connections until the broker is up and the observer is ready: the program can start now
    // and spend its own start-up time (Node, mqtt.js) while the broker starts. Through TLS it only relays.
    await using tap = await WireTap.start({ shouldDecode: !setup.tlsCa, scheme: setup.tlsCa ? 'mqtts' : 'mqtt' })
    await using early = exercise.run.startsEarly && command ? startStudentProgram({ exerciseId: exercise.id, command, tap, inputs, submissionDir: submission.dir }, {}, 1) : undefined
    // If no broker can run this exercise here, the early program is stopped on the way out; the tap held it.
    const backend = await options.chooser.choose(required, exercise.id)
    const [{ ExerciseSession }, { runChecks }] = await Promise.all([import('../checks/harness.ts'), import('../checks/run-checks.ts')])
    const typecheck = shouldTypecheck(exercise, options.command) ? (options.typecheck ?? typecheckProgram)(submission.dir, exercise.run.entry!, runSignal) : undefined
    const brokerStart = setupError ? Promise.reject(setupError) : backend.start(setup, runSignal)
    const [typecheckResult, startedBroker] = await Promise.allSettled([typecheck, brokerStart])
    if (startedBroker.status === 'fulfilled') broker = startedBroker.value
    if (typecheckResult.status === 'rejected') throw typecheckResult.reason
    const configError = startedBroker.status === 'rejected' && startedBroker.reason instanceof StudentConfigError ? startedBroker.reason : undefined
    if (startedBroker.status === 'rejected' && !configError) throw startedBroker.reason
    options.onProgress?.({ kind: 'started', exercise, broker: broker?.label ?? backend.kind, seed: options.seed, source: submission.label })

    // What must hold before any check can run.
    const preconditions = [
      ...(typecheckResult.value ? [compilesResult(typecheckResult.value)] : []),
      ...(setup.studentConfig || setupError ? [brokerConfigResult(configError)] : []),
    ]
    for (const result of preconditions) report(result)
    const unmet = preconditions.find((result) => result.status !== 'passed')
    if (unmet || !broker) {
      const skipped = skippedResults(exercise.checks, unmet?.id === 'compiles' ? 'skipped until your code compiles' : 'skipped until Mosquitto starts with your configuration')
      for (const result of skipped) report(result)
      return { ...base, status: 'failed', ...(broker ? { broker: broker.label } : {}), durationMs: durationMs(), checks: [...preconditions, ...skipped] }
    }

    await tap.connectTo({ host: broker.host, port: broker.port })
    await using session = new ExerciseSession({
      exerciseId: exercise.id,
      inputs,
      random,
      broker,
      tap,
      submissionDir: submission.dir,
      command,
      tls: tlsMaterial,
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
      onResult: report,
    })
    const checks = [...preconditions, ...results]
    const programRuns = await collectProgramRuns(session)
    return {
      ...base,
      status: checks.every((check) => check.status === 'passed') ? 'passed' : 'failed',
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

/** What an exercise's broker() gets: the run's inputs, the submission's files, the TLS material. */
function brokerContext(inputs: Record<string, string>, submissionDir: string, tls: TlsMaterial | undefined): BrokerContext {
  return {
    inputs,
    submissionDir,
    readSubmissionFile: (name) => {
      const file = path.join(submissionDir, name)
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined
    },
    tls,
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
