import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { type Broker, type BrokerSetup, type Capability, describeCapability, missingCapabilities } from '../broker/broker.ts'
import type { BackendChooser } from '../broker/choose-backend.ts'
import type { ExerciseSession, TaskClientId } from '../checks/exercise-session.ts'
import { GraderError, describeError, isGraderError } from '../errors/grader-error.ts'
import type { Exercise } from '../exercises/load-exercises.ts'
import { type SubmissionSource, resolveSubmission } from '../exercises/submission.ts'
import type { CheckResult, ExerciseResult, ProgramRunResult } from '../report/result.ts'
import { type ProgramCommand, canRun, customCommand, splitWords, typeScriptCommand } from '../runner/program-command.ts'
import { createRandom } from '../runner/random.ts'
import { describeExit, startStudentProgram } from '../runner/student-program.ts'
import { typecheckProgram } from '../runner/typecheck.ts'
import { stripAhead } from '../runner/strip-ahead.ts'
import type { ProgramStandby } from '../runner/program-standby.ts'
import { StudentConfigError } from '../broker/mosquitto-conf.ts'
import type { TlsMaterial } from '../broker/tls-material.ts'
import type { BrokerContext } from '../exercises/define-exercise.ts'
import { brokerConfigResult, isBlocking, skippedResults, typesCheckId, typesResult } from './pseudo-checks.ts'
import { probeParentDeath } from '../process/dies-with-parent.ts'
import { chooseSandbox, type Sandbox } from '../sandbox/sandbox.ts'
import { Workspace, warmStudentCompileCache } from '../runner/workspace.ts'
import { deadlineSignal } from '../time/deadline.ts'
import { WireTap } from '../wiretap/wire-tap.ts'

export interface GradeExerciseOptions {
  source: SubmissionSource
  /** `--cmd`: run this instead of the TypeScript entry (checks only look at the wire). */
  command?: string
  chooser: BackendChooser
  seed: number
  /** Where student programs run; `auto` (bubblewrap when it works here) when absent. */
  sandbox?: Sandbox
  /** Called when the broker is up and as each check ends, for live output. */
  onProgress?: (event: GradeProgress) => void
  /** The type checker: `watch` passes one that stays up between saves. */
  typecheck?: typeof typecheckProgram
  /** `watch`: a program already started, waiting to be the first run (see canRunOnStandby). */
  standby?: { take(submissionDir: string, entry: string, sandbox: Sandbox): ProgramStandby | undefined }
}

/** Whether the exercise's first run can be a program started on standby: TypeScript run by Node, no TLS file to read. */
export function canRunOnStandby(exercise: Exercise, commandLine: string | undefined): boolean {
  const required = [...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)]
  return shouldTypecheck(exercise, commandLine) && !required.includes('tls')
}

export type GradeProgress =
  | { kind: 'started'; exercise: Exercise; broker: string; seed: number; source: string }
  | { kind: 'check'; exercise: Exercise; result: CheckResult }

export { typesCheckId } from './pseudo-checks.ts'

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
    isolation: undefined as ExerciseResult['isolation'],
    programRuns: [] as ProgramRunResult[],
  }
  const durationMs = () => Math.round(performance.now() - startedAt)
  /** What the run noticed that changes no verdict (files left out of the copy), added to any result. */
  const notes: string[] = []
  const runSignal = deadlineSignal(exercise.run.deadlineMs, undefined, `${exercise.id}'s deadline`)
  const report = (result: CheckResult) => options.onProgress?.({ kind: 'check', exercise, result })
  // Everything the run starts goes on this stack. It is taken down after the verdict, and a failure then (a
  // container another tool removed first) is a warning: a finished grade is never thrown away.
  const teardown = new AsyncDisposableStack()
  let broker: Broker | undefined
  let result: ExerciseResult
  try {
    const submission = resolveSubmission(exercise, options.source, { hasCustomCommand: options.command !== undefined })
    base.source = submission.label
    const required: Capability[] = [...new Set([...exercise.requires, ...exercise.checks.flatMap((check) => check.requires)])]
    const sandbox = options.sandbox ?? chooseSandbox('auto')
    base.isolation = sandbox.kind
    const isTypeScript = shouldTypecheck(exercise, options.command)
    if (isTypeScript && sandbox.kind !== 'none') await warmStudentCompileCache()
    const standby = options.standby && canRunOnStandby(exercise, options.command) ? options.standby.take(submission.dir, exercise.run.entry!, sandbox) : undefined
    const workspace = standby ? await workspaceOf(standby, submission.dir) : Workspace.create(submission.dir, sandbox)
    teardown.use(workspace)
    if (workspace.skipped.length > 0) notes.push(`not graded, left out of the copy: ${workspace.skipped.join(', ')}`)
    // Taken down before the workspace: stops the waiting program if no run claimed it.
    if (standby) teardown.use(standby)
    // node-forge (certificates) loads only for the exercises that need TLS: 50 ms of every other grading run.
    const tlsMaterial = required.includes('tls') ? teardown.use(await (await import('../broker/tls-material.ts')).createTlsMaterial(sandbox.kind === 'uid')) : undefined
    const inputs = { ...exercise.run.inputs(random), ...(tlsMaterial ? { CA_FILE: tlsMaterial.caFile } : {}) }
    // A config the student wrote may be missing or unusable before Mosquitto even sees it: that is a result.
    let setup: BrokerSetup = {}
    let setupError: StudentConfigError | undefined
    try {
      setup = exercise.broker?.(brokerContext(inputs, workspace.dir, tlsMaterial)) ?? {}
    } catch (error) {
      if (!(error instanceof StudentConfigError)) throw error
      setupError = error
    }
    const command = programCommand(exercise, workspace.dir, options.command)
    if (options.command !== undefined && command) {
      // The program's own executable: for "python3 main.py" python3, for a shell line its first word.
      const executable = command.command === '/bin/sh' ? splitWords(options.command)[0]?.replace(/;$/, '') : command.command
      if (executable && !/[=$`(]/.test(executable) && !shellBuiltins.has(executable) && !canRun(executable, workspace.dir)) {
        throw new GraderError('COMMAND_NOT_FOUND', `--cmd "${options.command}": ${executable} was not found${executable.includes('/') ? '' : ' on PATH'}, so nothing could be graded`, {
          hint: `install ${executable} or give its full path (e.g. --cmd "/usr/bin/python3 main.py"); for a script of yours, make it executable (chmod +x)`,
        })
      }
    }
    // Node would start its type stripper in every program it runs; the grader strips once, for all of them.
    const strippedManifest = command && isTypeScript ? stripAhead(workspace.dir, workspace.graderDir) : undefined
    const launch = { exerciseId: exercise.id, command, inputs, submissionDir: workspace.dir, owner: workspace.owner, sandbox, readable: tlsMaterial ? [tlsMaterial.caFile] : [], strippedManifest, standby }

    // The tap holds connections until the broker is up and the observer is ready: the program can start now
    // and spend its own start-up time (Node, mqtt.js) while the broker starts. On a TLS listener it ends TLS on
    // both sides with the broker's own certificate, so the MQTT inside is read like any other.
    const tapTls = setup.tlsCa && tlsMaterial ? { ...tlsMaterial.server, upstreamCa: setup.tlsCa } : undefined
    // A config with WebSocket listeners (ex11): the tap speaks ws:// (and wss:// with the broker's certificate) to the program.
    const webSocket = setup.studentConfig?.webSockets ? { path: '/mqtt', ...(tlsMaterial && setup.webSocketCa ? { tls: { ...tlsMaterial.server, upstreamCa: setup.webSocketCa } } : {}) } : undefined
    const tap = teardown.use(await WireTap.start({ ...(tapTls ? { tls: tapTls } : { shouldDecode: !setup.tlsCa }), scheme: setup.tlsCa ? 'mqtts' : 'mqtt', ...(webSocket ? { webSocket } : {}) }))
    // The parent-death probe started with the command has answered by now; awaiting it lets the event loop
    // take the answer, so that starting the program does not ask again, synchronously.
    await probeParentDeath()
    const early = exercise.run.startsEarly && command ? teardown.use(startStudentProgram({ ...launch, tap }, {}, 1)) : undefined
    // If no broker can run this exercise here, the early program is stopped on the way out; the tap held it.
    const backend = await options.chooser.choose(required, exercise.id)
    const lacking = missingCapabilities(exercise.requires, backend.capabilities)
    if (lacking.length > 0) {
      // An explicit --broker that cannot run this exercise at all: say so and run nothing, which is no failure.
      const reason = `${exercise.id} needs a broker with ${lacking.map(describeCapability).join(', ')}, which --broker ${backend.kind} does not offer: grade it with --broker mosquitto, --broker container or --broker auto`
      const skipped = skippedResults(exercise.checks, reason)
      options.onProgress?.({ kind: 'started', exercise, broker: backend.kind, seed: options.seed, source: submission.label })
      for (const skip of skipped) report(skip)
      result = { ...base, status: 'skipped', durationMs: durationMs(), checks: skipped, notes: [reason] }
      return await finish(result)
    }
    const [{ ExerciseSession }, { runChecks }] = await Promise.all([import('../checks/exercise-session.ts'), import('../checks/run-checks.ts')])
    const typecheck = isTypeScript ? (options.typecheck ?? typecheckProgram)(workspace.dir, exercise.run.entry!, runSignal) : undefined
    const brokerStart = setupError ? Promise.reject(setupError) : backend.start(setup, runSignal)
    const [typecheckResult, startedBroker] = await Promise.allSettled([typecheck, brokerStart])
    if (startedBroker.status === 'fulfilled') {
      broker = startedBroker.value
      teardown.defer(() => broker!.stop())
    }
    if (typecheckResult.status === 'rejected') throw typecheckResult.reason
    const configError = startedBroker.status === 'rejected' && startedBroker.reason instanceof StudentConfigError ? startedBroker.reason : undefined
    if (startedBroker.status === 'rejected' && !configError) throw startedBroker.reason
    options.onProgress?.({ kind: 'started', exercise, broker: broker?.label ?? backend.kind, seed: options.seed, source: submission.label })

    // What must hold before any check can run: Node can run the code, Mosquitto runs the config. Type errors
    // are reported but do not stop the checks: a student still learns what the program does.
    const preconditions = [
      ...(typecheckResult.value ? [await typesResult(typecheckResult.value, workspace.dir)] : []),
      ...(setup.studentConfig || setupError ? [brokerConfigResult(configError)] : []),
    ]
    for (const precondition of preconditions) report(precondition)
    const unmet = preconditions.find((precondition) => precondition.status !== 'passed' && isBlocking(precondition))
    if (unmet || !broker) {
      const skipped = skippedResults(exercise.checks, unmet?.id === typesCheckId ? 'skipped until Node can run your code' : 'skipped until Mosquitto starts with your configuration')
      for (const skip of skipped) report(skip)
      result = { ...base, status: 'failed', ...(broker ? { broker: broker.label } : {}), durationMs: durationMs(), checks: [...preconditions, ...skipped] }
    } else {
      await tap.connectTo({ host: broker.host, port: broker.port, webSocketUrls: broker.webSocketUrls })
      const session = teardown.use(
        new ExerciseSession({
          ...launch,
          random,
          broker,
          tap,
          tls: tlsMaterial,
          signal: runSignal,
          taskClientId: taskClientId(exercise, inputs),
          programRuns: isTypeScript ? exercise.run.programRuns : 0,
        }),
      )
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
      result = {
        ...base,
        status: checks.every((check) => check.status === 'passed') ? 'passed' : 'failed',
        points: checks.reduce((sum, check) => sum + check.points, 0),
        broker: broker.label,
        durationMs: durationMs(),
        checks,
        programRuns,
        ...(tap.trace.droppedCount > 0 ? { notes: [tap.trace.describeDropped()] } : {}),
      }
    }
  } catch (error) {
    const graderError = isGraderError(error) ? error : new GraderError('INTERNAL', describeError(error), { cause: error })
    result = {
      ...base,
      status: 'errored',
      ...(broker ? { broker: broker.label } : {}),
      durationMs: durationMs(),
      checks: [],
      error: { code: graderError.code, message: graderError.message, ...(graderError.hint ? { hint: graderError.hint } : {}) },
    }
  }
  return finish(result)

  async function finish(result: ExerciseResult): Promise<ExerciseResult> {
    const warnings = await disposeAll(teardown)
    const done = notes.length > 0 ? { ...result, notes: [...notes, ...(result.notes ?? [])] } : result
    return warnings.length > 0 ? { ...done, warnings: [...(done.warnings ?? []), ...warnings] } : done
  }
}

/** The standby's workspace, filled with the submission; if that fails, the standby is stopped too. */
async function workspaceOf(standby: ProgramStandby, submissionDir: string): Promise<Workspace> {
  try {
    return standby.takeWorkspace(submissionDir)
  } catch (error) {
    await standby[Symbol.asyncDispose]()
    throw error
  }
}

/**
 * Takes down everything a run started, in reverse order, and returns what went wrong as warnings: by now the
 * verdict is final, and a broker that was already gone must not cost the student their grade.
 */
async function disposeAll(stack: AsyncDisposableStack): Promise<string[]> {
  try {
    await stack.disposeAsync()
    return []
  } catch (error) {
    return flattenErrors(error).map((cause) => `while cleaning up after grading: ${describeError(cause).split('\n')[0]}`)
  }
}

function flattenErrors(error: unknown): unknown[] {
  if (error instanceof SuppressedError) return [...flattenErrors(error.error), ...flattenErrors(error.suppressed)]
  return [error]
}

/** The client id the exercise's task is about, when it names one and the tap can read CONNECTs. */
function taskClientId(exercise: Exercise, inputs: Record<string, string>): TaskClientId | undefined {
  const input = exercise.run.clientIdInput
  return input && inputs[input] !== undefined ? { input, value: inputs[input] } : undefined
}

/** Words a --cmd shell line may start with that are no program on PATH: the shell's reserved words and builtins. */
const shellBuiltins = new Set([
  ...['if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'while', 'until', 'do', 'done', 'in', 'function', 'select', 'time', '{', '}', '!', '[[', ']]'],
  ...['cd', 'exec', 'export', '.', 'source', 'set', 'unset', 'ulimit', 'umask', 'eval', 'true', 'false', ':', 'env', 'trap', 'wait', 'read', 'test', '[', 'echo', 'printf', 'command', 'exit', 'shift', 'local', 'alias', 'type', 'kill'],
])

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
