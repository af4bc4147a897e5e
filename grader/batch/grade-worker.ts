import { BackendChooser, type BrokerChoice } from '../broker/choose-backend.ts'
import { describeError } from '../errors/grader-error.ts'
import { type Exercise, listExerciseFolders, loadExercise } from '../exercises/load-exercises.ts'
import { gradeExercise } from '../grade/grade-exercise.ts'
import { whenInterrupted } from '../process/exit-cleanup.ts'
import type { ExerciseResult } from '../report/result.ts'
import { type SandboxChoice, chooseSandboxWhenProbed } from '../sandbox/sandbox.ts'
import type { TypecheckResult } from '../runner/typecheck.ts'
import { raceSignal } from '../time/deadline.ts'

/** What the batch asks of a worker. */
export type WorkerRequest =
  | {
      kind: 'grade'
      jobId: number
      exerciseId: string
      dir: string
      command?: string
      seed: number
      broker: BrokerChoice
      sandbox: SandboxChoice
      hide: string[]
    }
  | { kind: 'typechecked'; requestId: number; result?: TypecheckResult; error?: string }

/** What a worker tells the batch. */
export type WorkerReply =
  | { kind: 'graded'; jobId: number; result: ExerciseResult }
  | { kind: 'typecheck'; requestId: number; dir: string; entry: string }

/**
 * `batch`'s grading process: one of `--jobs`, each grading up to `--per-job` submission × exercise pairs at
 * once. A grade is mostly waiting (for the broker, for the program's reconnect, for a window to pass), so one
 * process overlaps several and pays Node's start-up and the grader's loading once, not per grade.
 *
 * Each grade is the same gradeExercise() `npm run grade` runs: its own temporary copy, its own broker, its own
 * sandboxed program, its own deadline. Only two things are shared: this process, and the type checker, which
 * lives in the batch (one warm TypeScript for every worker) and is asked over IPC.
 *
 * When the batch goes away (it exited, or was killed), the worker stops what it runs and exits with it.
 */
export async function runGradeWorker(): Promise<number> {
  const send = (reply: WorkerReply) => process.send?.(reply)
  if (!process.send) {
    process.stderr.write('the batch worker runs under `npm run batch` only\n')
    return 2
  }
  const exercises = new Map<string, Promise<Exercise>>()
  const exercise = (id: string) => {
    let loaded = exercises.get(id)
    if (!loaded) {
      const folder = listExerciseFolders().find((candidate) => candidate.id === id)
      loaded = folder ? loadExercise(folder) : Promise.reject(new Error(`no exercise ${id}`))
      exercises.set(id, loaded)
    }
    return loaded
  }
  const choosers = new Map<BrokerChoice, BackendChooser>()
  const pendingTypechecks = new Map<number, (answer: Extract<WorkerRequest, { kind: 'typechecked' }>) => void>()
  let nextRequestId = 0
  const typecheck = (dir: string, entry: string, signal: AbortSignal): Promise<TypecheckResult> => {
    const requestId = nextRequestId++
    const answer = new Promise<TypecheckResult>((resolve, reject) => {
      pendingTypechecks.set(requestId, (reply) =>
        reply.result ? resolve(reply.result) : reject(new Error(reply.error ?? 'the type check failed')),
      )
    })
    send({ kind: 'typecheck', requestId, dir, entry })
    return raceSignal(answer, signal).finally(() => pendingTypechecks.delete(requestId))
  }

  const grade = async (request: Extract<WorkerRequest, { kind: 'grade' }>) => {
    let result: ExerciseResult
    try {
      let chooser = choosers.get(request.broker)
      if (!chooser) choosers.set(request.broker, (chooser = new BackendChooser(request.broker)))
      result = await gradeExercise(await exercise(request.exerciseId), {
        source: { kind: 'dir', dir: request.dir },
        ...(request.command ? { command: request.command } : {}),
        chooser,
        seed: request.seed,
        sandbox: await chooseSandboxWhenProbed(request.sandbox, { hide: request.hide }),
        typecheck,
      })
    } catch (error) {
      // gradeExercise turns everything into a result; this is for what happens before it (an exercise that
      // would not load).
      result = {
        id: request.exerciseId,
        slug: '',
        title: '',
        maxPoints: 0,
        points: 0,
        seed: request.seed,
        source: request.dir,
        programRuns: [],
        status: 'errored',
        durationMs: 0,
        checks: [],
        error: { code: 'INTERNAL', message: describeError(error) },
      }
    }
    // Interrupted: the cleanups are stopping everything, and the batch reports what did not finish.
    if (!whenInterrupted()) send({ kind: 'graded', jobId: request.jobId, result })
  }

  process.on('message', (request: WorkerRequest) => {
    if (request.kind === 'grade') void grade(request)
    else pendingTypechecks.get(request.requestId)?.(request)
  })
  // The batch is gone: nothing will read a result. SIGTERM runs the same cleanups as Ctrl-C would.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'))
  await new Promise<never>(() => {})
  return 0
}
