import {
  type Broker,
  type BrokerBackend,
  type Capability,
  describeCapability,
  missingCapabilities,
} from '../broker/broker.ts'
import { StudentConfigError } from '../broker/mosquitto-conf.ts'
import type { ExerciseSession, TaskClientId } from '../checks/exercise-session.ts'
import { GraderError, describeError, isGraderError } from '../errors/grader-error.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { resolveSubmission } from '../exercises/submission.ts'
import type { CheckResult, ExerciseResult, ProgramRunResult } from '../report/result.ts'
import { type Random, createRandom } from '../runner/random.ts'
import type { StudentProgram } from '../runner/student-program.ts'
import { typecheckProgram } from '../runner/typecheck.ts'
import { chooseSandbox } from '../sandbox/sandbox.ts'
import { deadlineSignal } from '../time/deadline.ts'
import type { WireTap } from '../wiretap/wire-tap.ts'
import type { GradeExerciseOptions } from './grade-options.ts'
import { disposeAll } from './dispose-all.ts'
import { collectProgramRuns } from './program-runs.ts'
import { startTap } from './start-tap.ts'
import { type PreparedRun, prepareRun } from './prepare-run.ts'
import { brokerConfigResult, isBlocking, skippedResults, typesCheckId, typesResult } from './pseudo-checks.ts'

export type { GradeExerciseOptions, GradeProgress } from './grade-options.ts'
export { canRunOnStandby } from './prepare-run.ts'
export { typesCheckId } from './pseudo-checks.ts'

/** The check harness and runner, loaded once the program has started (see gradeExercise). */
interface CheckModules {
  ExerciseSession: typeof import('../checks/exercise-session.ts').ExerciseSession
  runChecks: typeof import('../checks/run-checks.ts').runChecks
}

/** What every stage of one grade shares. */
interface GradeRun {
  exercise: Exercise
  options: GradeExerciseOptions
  /** This exercise's own stream of random inputs. */
  random: Random
  /** Everything the run starts goes on this stack. */
  teardown: AsyncDisposableStack
  /** The broker once it runs, for a result that errors after. */
  broker?: Broker
  /** The result's fields known from the start; the stages fill in source and isolation. */
  base: Omit<ExerciseResult, 'status' | 'durationMs' | 'checks'>
  /** The whole exercise's deadline. */
  signal: AbortSignal
  durationMs(): number
  report(result: CheckResult): void
}

/**
 * Grades one exercise, in the stages of DESIGN's flow: prepare the run; start the wire tap (the program may start
 * behind it at once); choose the broker; start it and type-check in parallel; the preconditions; setUp and the
 * checks in order; tear down. Whatever happens, the result is an ExerciseResult and nothing it started is left
 * running.
 *
 * Start-up time is the student's: everything up to the program's start uses only what this module imports
 * statically; the broker backend, the check harness and mqtt-packet load afterwards, while Node starts the
 * program.
 */
export async function gradeExercise(exercise: Exercise, options: GradeExerciseOptions): Promise<ExerciseResult> {
  const startedAt = performance.now()
  // Each exercise draws from its own stream, so --seed reproduces ex5 whether it runs alone or after ex1..ex4.
  const random = createRandom((options.seed + exercise.number * 7919) >>> 0)
  // Everything the run starts goes on this stack. It is taken down after the verdict, and a failure then (a
  // container another tool removed first) is a warning: a finished grade is never thrown away.
  const teardown = new AsyncDisposableStack()
  const run: GradeRun = {
    exercise,
    options,
    random,
    teardown,
    base: {
      id: exercise.id,
      slug: exercise.slug,
      title: exercise.title,
      maxPoints: exercise.points,
      points: 0,
      seed: options.seed,
      source: options.source.kind as string,
      isolation: undefined as ExerciseResult['isolation'],
      programRuns: [] as ProgramRunResult[],
    },
    signal: deadlineSignal(exercise.run.deadlineMs, undefined, `${exercise.id}'s deadline`),
    durationMs: () => Math.round(performance.now() - startedAt),
    report: (result) => options.onProgress?.({ kind: 'check', exercise, result }),
  }
  /** What the run noticed that changes no verdict (files left out of the copy), added to any result. */
  const notes: string[] = []
  let result: ExerciseResult
  try {
    const submission = resolveSubmission(exercise, options.source, { hasCustomCommand: options.command !== undefined })
    run.base.source = submission.label
    const sandbox = options.sandbox ?? chooseSandbox('auto')
    run.base.isolation = sandbox.kind
    const prepared = await prepareRun(exercise, options, { submission, sandbox, random, teardown, notes })
    const { tap, early } = await startTap(prepared, exercise, teardown)
    result = await gradeBehindTap(run, prepared, tap, early)
  } catch (error) {
    const graderError = isGraderError(error)
      ? error
      : new GraderError('INTERNAL', describeError(error), { cause: error })
    result = {
      ...run.base,
      status: 'errored',
      ...(run.broker ? { broker: run.broker.label } : {}),
      durationMs: run.durationMs(),
      checks: [],
      error: {
        code: graderError.code,
        message: graderError.message,
        ...(graderError.hint ? { hint: graderError.hint } : {}),
      },
    }
  }
  const warnings = await disposeAll(teardown)
  const done = notes.length > 0 ? { ...result, notes: [...notes, ...(result.notes ?? [])] } : result
  return warnings.length > 0 ? { ...done, warnings: [...(done.warnings ?? []), ...warnings] } : done
}

/** With the tap up: choose the broker, start it while type-checking, judge the preconditions, run the checks. */
async function gradeBehindTap(
  run: GradeRun,
  prepared: PreparedRun,
  tap: WireTap,
  early: StudentProgram | undefined,
): Promise<ExerciseResult> {
  const { exercise, options } = run
  const backend = await options.chooser.choose(prepared.required, exercise.id)
  const lacking = missingCapabilities(exercise.requires, backend.capabilities)
  if (lacking.length > 0) return skipUnrunnable(run, backend, lacking, prepared.submission.label)
  const [{ ExerciseSession }, { runChecks }] = await Promise.all([
    import('../checks/exercise-session.ts'),
    import('../checks/run-checks.ts'),
  ])
  const { typecheck, broker, configError } = await startBrokerAndTypecheck(run, prepared, backend)
  options.onProgress?.({
    kind: 'started',
    exercise,
    broker: broker?.label ?? backend.kind,
    seed: options.seed,
    source: prepared.submission.label,
  })

  // What must hold before any check can run: Node can run the code, Mosquitto runs the config. Type errors
  // are reported but do not stop the checks: a student still learns what the program does.
  const preconditions = [
    ...(typecheck ? [await typesResult(typecheck, prepared.workspace.dir)] : []),
    ...(prepared.setup.studentConfig || prepared.setupError ? [brokerConfigResult(configError)] : []),
  ]
  for (const precondition of preconditions) run.report(precondition)
  const unmet = preconditions.find((precondition) => precondition.status !== 'passed' && isBlocking(precondition))
  if (unmet || !broker) {
    const skipped = skippedResults(
      exercise.checks,
      unmet?.id === typesCheckId
        ? 'skipped until Node can run your code'
        : 'skipped until Mosquitto starts with your configuration',
    )
    for (const skip of skipped) run.report(skip)
    return {
      ...run.base,
      status: 'failed',
      ...(broker ? { broker: broker.label } : {}),
      durationMs: run.durationMs(),
      checks: [...preconditions, ...skipped],
    }
  }

  return runTheChecks(run, prepared, { tap, early, broker, preconditions }, { ExerciseSession, runChecks })
}

/** The broker is up and the preconditions hold: the tap lets the program through, setUp runs, then the checks. */
async function runTheChecks(
  run: GradeRun,
  prepared: PreparedRun,
  {
    tap,
    early,
    broker,
    preconditions,
  }: { tap: WireTap; early: StudentProgram | undefined; broker: Broker; preconditions: CheckResult[] },
  { ExerciseSession, runChecks }: CheckModules,
): Promise<ExerciseResult> {
  const { exercise } = run
  await tap.connectTo({ host: broker.host, port: broker.port, webSocketUrls: broker.webSocketUrls })
  const session = run.teardown.use(
    new ExerciseSession({
      ...prepared.launch,
      random: run.random,
      broker,
      tap,
      tls: prepared.tlsMaterial,
      signal: run.signal,
      taskClientId: taskClientId(exercise, prepared.inputs),
      programRuns: prepared.isTypeScript ? exercise.run.programRuns : 0,
    }),
  )
  if (early) session.adoptProgram(early)
  if (exercise.setUp) {
    try {
      await exercise.setUp(session.harness(10_000, deadlineSignal(10_000, run.signal)))
    } catch (error) {
      throw new GraderError(
        'INTERNAL',
        `${exercise.id} could not be set up on ${broker.label}: ${describeError(error)}`,
        { cause: error },
      )
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
    onResult: run.report,
  })
  const checks = [...preconditions, ...results]
  return {
    ...run.base,
    status: checks.every((check) => check.status === 'passed') ? 'passed' : 'failed',
    points: checks.reduce((sum, check) => sum + check.points, 0),
    broker: broker.label,
    durationMs: run.durationMs(),
    checks,
    programRuns: await collectProgramRuns(session),
    ...(tap.trace.droppedCount > 0 ? { notes: [tap.trace.describeDropped()] } : {}),
  }
}

/** An explicit --broker that cannot run this exercise at all: say so and run nothing, which is no failure. */
function skipUnrunnable(run: GradeRun, backend: BrokerBackend, lacking: Capability[], source: string): ExerciseResult {
  const { exercise, options } = run
  const reason = `${exercise.id} needs a broker with ${lacking.map(describeCapability).join(', ')}, which --broker ${backend.kind} does not offer: grade it with --broker mosquitto, --broker container or --broker auto`
  const skipped = skippedResults(exercise.checks, reason)
  options.onProgress?.({ kind: 'started', exercise, broker: backend.kind, seed: options.seed, source })
  for (const skip of skipped) run.report(skip)
  return { ...run.base, status: 'skipped', durationMs: run.durationMs(), checks: skipped, notes: [reason] }
}

/**
 * The broker starts while the code is type-checked. A broker that started is torn down with the run whatever
 * follows; a config Mosquitto refuses is the student's (a result), any other failure to start an error.
 */
async function startBrokerAndTypecheck(run: GradeRun, prepared: PreparedRun, backend: BrokerBackend) {
  const { exercise, options } = run
  const typecheck = prepared.isTypeScript
    ? (options.typecheck ?? typecheckProgram)(prepared.workspace.dir, exercise.run.entry!, run.signal)
    : undefined
  const brokerStart = prepared.setupError
    ? Promise.reject(prepared.setupError)
    : backend.start(prepared.setup, run.signal)
  const [typecheckResult, startedBroker] = await Promise.allSettled([typecheck, brokerStart])
  const broker = startedBroker.status === 'fulfilled' ? startedBroker.value : undefined
  if (broker) {
    run.broker = broker
    run.teardown.defer(() => broker.stop())
  }
  if (typecheckResult.status === 'rejected') throw typecheckResult.reason
  const configError =
    startedBroker.status === 'rejected' && startedBroker.reason instanceof StudentConfigError
      ? startedBroker.reason
      : undefined
  if (startedBroker.status === 'rejected' && !configError) throw startedBroker.reason
  return { typecheck: typecheckResult.value, broker, configError }
}

/** The client id the exercise's task is about, when it names one and the tap can read CONNECTs. */
function taskClientId(exercise: Exercise, inputs: Record<string, string>): TaskClientId | undefined {
  const input = exercise.run.clientIdInput
  return input && inputs[input] !== undefined ? { input, value: inputs[input] } : undefined
}
