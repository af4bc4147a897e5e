import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { BrokerChoice } from '../broker/choose-backend.ts'
import { sweepLeftovers } from '../broker/leftovers.ts'
import { describeError } from '../errors/grader-error.ts'
import { onInterrupt } from '../process/exit-cleanup.ts'
import { OutputCapture } from '../process/output-capture.ts'
import type { ExerciseResult } from '../report/result.ts'
import type { SandboxChoice } from '../sandbox/sandbox.ts'
import { typecheckProgram } from '../runner/typecheck.ts'
import { WarmTypechecker } from '../runner/warm-typechecker.ts'
import { CpuHeadroomGate } from '../process/cpu-headroom.ts'
import type { WorkerReply, WorkerRequest } from './grade-worker.ts'

export interface PoolJob {
  exerciseId: string
  /** The temporary copy of the submission's exercise folder. */
  dir: string
  /** The command that runs another language's entry (`python3 main.py`); absent for the TypeScript entry. */
  command?: string
  seed: number
  broker: BrokerChoice
  sandbox: SandboxChoice
  /** Folders no program may see: the cohort, the reports. */
  hide?: readonly string[]
  /**
   * Runs with no other grade running: its broker has ports any program could reach (programs share the
   * loopback under --sandbox uid, and a WebSocket or container listener cannot be guarded by uid).
   */
  isExclusive?: boolean
  /** The exercise's own deadline plus a margin: past it the worker is stopped and the grade is an error. */
  deadlineMs: number
}

export type PoolOutcome =
  | { kind: 'graded'; result: ExerciseResult }
  | { kind: 'interrupted' }
  | { kind: 'deadline' }
  /** The worker died under it twice (a grader bug, the OOM killer): `why` says how, with its stderr. */
  | { kind: 'failed'; why: string }

interface Running {
  jobId: number
  job: PoolJob
  worker: Worker
  attempts: number
  timer: NodeJS.Timeout
  settle: (outcome: PoolOutcome) => void
}

interface Worker {
  child: ChildProcess
  running: Set<Running>
  stderr: OutputCapture
  exited: Promise<void>
  isRetiring: boolean
}

const cliEntry = fileURLToPath(new URL('../cli/main.js', import.meta.url))

/**
 * `--jobs` grading processes (grade-worker.ts), each running up to `--per-job` grades at once, as many as the
 * cores have room for, and one warm type checker for all of them. A grade that overruns its deadline stops its worker (SIGTERM, which stops that
 * worker's programs and containers; SIGKILL after a grace period); the other grades that worker was running are
 * not at fault and are graded again on a fresh worker, as is everything on a worker that died.
 */
export class WorkerPool implements AsyncDisposable {
  readonly #size: number
  readonly #perWorker: number
  readonly #graceMs: number
  readonly #workers = new Set<Worker>()
  readonly #waiting: Running[] = []
  readonly #typechecker = new WarmTypechecker()
  readonly #gate: CpuHeadroomGate
  #nextJobId = 0
  #isInterrupted = false
  readonly #forgetInterrupt: () => void
  readonly #killAllOnExit = () => {
    for (const worker of this.#workers) killGroup(worker.child, 'SIGKILL')
  }

  readonly #onWorkerStarted: ((pid: number) => void) | undefined

  constructor(options: {
    workers: number
    perWorker: number
    graceMs?: number
    minIdleShare?: number
    onWorkerStarted?: (pid: number) => void
  }) {
    this.#size = options.workers
    this.#onWorkerStarted = options.onWorkerStarted
    // One grade per process always; more while the cores have room.
    this.#gate = new CpuHeadroomGate({
      minimum: options.workers,
      maximum: options.workers * options.perWorker,
      ...(options.minIdleShare !== undefined ? { minIdleShare: options.minIdleShare } : {}),
    })
    this.#perWorker = options.perWorker
    this.#graceMs = options.graceMs ?? 10_000
    process.on('exit', this.#killAllOnExit)
    // Ctrl-C or SIGTERM: every worker stops its programs and containers; what was running is reported as such.
    this.#forgetInterrupt = onInterrupt(async () => {
      this.#isInterrupted = true
      this.#gate.close()
      for (const waiting of this.#waiting.splice(0)) this.#settle(waiting, { kind: 'interrupted' })
      await Promise.all([...this.#workers].map((worker) => this.#retire(worker)))
      await this.#typechecker[Symbol.asyncDispose]()
    })
  }

  async grade(job: PoolJob): Promise<PoolOutcome> {
    if (this.#isInterrupted) return { kind: 'interrupted' }
    await this.#gate.enter()
    try {
      if (this.#isInterrupted) return { kind: 'interrupted' }
      return await new Promise<PoolOutcome>((settle) => {
        const running: Running = {
          jobId: this.#nextJobId++,
          job,
          worker: undefined as unknown as Worker,
          attempts: 0,
          timer: undefined as unknown as NodeJS.Timeout,
          settle,
        }
        this.#waiting.push(running)
        this.#dispatch()
      })
    } finally {
      this.#gate.leave()
    }
  }

  /** Sends what waits to the least busy worker (the gate keeps it within --jobs × --per-job). */
  #dispatch(): void {
    while (this.#waiting.length > 0 && !this.#isInterrupted) {
      const running = [...this.#workers].flatMap((worker) => [...worker.running])
      // An exclusive grade runs alone: it waits for the others to end, and nothing starts beside it.
      if (running.some((other) => other.job.isExclusive)) return
      if (this.#waiting[0].job.isExclusive && running.length > 0) return
      const worker = this.#freeWorker()
      if (!worker) return
      const next = this.#waiting.shift()!
      next.attempts++
      next.worker = worker
      worker.running.add(next)
      next.timer = setTimeout(() => this.#overran(next), next.job.deadlineMs)
      const { exerciseId, dir, command, seed, broker, sandbox, hide } = next.job
      this.#send(worker, {
        kind: 'grade',
        jobId: next.jobId,
        exerciseId,
        dir,
        ...(command ? { command } : {}),
        seed,
        broker,
        sandbox,
        hide: [...(hide ?? [])],
      })
    }
  }

  /** The least busy worker with room, a new one while there are fewer than --jobs. */
  #freeWorker(): Worker | undefined {
    const live = [...this.#workers].filter((worker) => !worker.isRetiring)
    const idlest = live.sort((a, b) => a.running.size - b.running.size)[0]
    if (idlest && (idlest.running.size === 0 || live.length >= this.#size) && idlest.running.size < this.#perWorker)
      return idlest
    if (live.length < this.#size) return this.#spawn()
    return undefined
  }

  #spawn(): Worker {
    // Its own process group: Ctrl-C on the terminal reaches the batch only, which stops the workers in order.
    const child = fork(cliEntry, ['__batch-worker'], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execPath: process.execPath,
    })
    const stderr = new OutputCapture(16 * 1024)
    child.stderr!.setEncoding('utf8').on('data', (text: string) => stderr.write(text))
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.once('error', () => child.pid === undefined && resolve())
    })
    const worker: Worker = { child, running: new Set(), stderr, exited, isRetiring: false }
    this.#workers.add(worker)
    child.on('message', (reply: WorkerReply) => this.#receive(worker, reply))
    let isGone = false
    const gone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (isGone) return
      isGone = true
      this.#exited(worker, code, signal)
    }
    // A process that could not be started never exits: what it was given goes elsewhere all the same.
    child.once('error', () => (child.pid === undefined ? gone(null, null) : killGroup(child, 'SIGKILL')))
    child.once('exit', gone)
    if (child.pid !== undefined) this.#onWorkerStarted?.(child.pid)
    return worker
  }

  #receive(worker: Worker, reply: WorkerReply): void {
    if (reply.kind === 'graded') {
      const running = [...worker.running].find((candidate) => candidate.jobId === reply.jobId)
      if (!running) return
      worker.running.delete(running)
      this.#settle(running, { kind: 'graded', result: reply.result })
      this.#dispatch()
    } else {
      // The disk cache first (an unchanged program is never checked twice), then the warm checker.
      typecheckProgram(reply.dir, reply.entry, new AbortController().signal, this.#typechecker.check).then(
        (result) => this.#send(worker, { kind: 'typechecked', requestId: reply.requestId, result }),
        (error: unknown) =>
          this.#send(worker, { kind: 'typechecked', requestId: reply.requestId, error: describeError(error) }),
      )
    }
  }

  #overran(running: Running): void {
    running.worker.running.delete(running)
    this.#settle(running, { kind: 'deadline' })
    void this.#retire(running.worker)
  }

  /** Stops a worker: SIGTERM (it stops its programs, brokers and containers), SIGKILL after the grace period. */
  async #retire(worker: Worker): Promise<void> {
    if (!worker.isRetiring) {
      worker.isRetiring = true
      killGroup(worker.child, 'SIGTERM')
      const grace = setTimeout(() => killGroup(worker.child, 'SIGKILL'), this.#graceMs)
      void worker.exited.finally(() => clearTimeout(grace))
    }
    await worker.exited
  }

  #exited(worker: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(worker)
    // Whatever it left in its group (it should have stopped everything itself) goes with it.
    killGroup(worker.child, 'SIGKILL')
    // Killed (past its grace period, by the OOM killer), it ran no exit handler: its Mosquittos died with it, and
    // what it left (workspaces, TLS keys, containers) goes now rather than at the next grader's start.
    if (signal !== null) void sweepLeftovers()
    for (const running of worker.running) {
      worker.running.delete(running)
      if (this.#isInterrupted) this.#settle(running, { kind: 'interrupted' })
      else if (running.attempts < 2) {
        // Not this grade's fault (another grade on the worker overran, or the worker itself failed): again.
        clearTimeout(running.timer)
        this.#waiting.unshift(running)
      } else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
        const last = worker.stderr.tail(20).trim().split('\n').filter(Boolean).at(-1)
        this.#settle(running, {
          kind: 'failed',
          why: `the grading process ${how} without a result, twice${last ? `: ${last.trim()}` : ''}`,
        })
      }
    }
    this.#dispatch()
  }

  #settle(running: Running, outcome: PoolOutcome): void {
    clearTimeout(running.timer)
    running.settle(outcome)
  }

  #send(worker: Worker, request: WorkerRequest): void {
    if (!worker.child.connected) return
    worker.child.send(request, (error) => {
      // The worker went away between the check and the send: its exit handler regrades what it held.
      if (error) killGroup(worker.child, 'SIGKILL')
    })
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#forgetInterrupt()
    // Disconnected, a worker exits by itself (through its interrupt cleanups, with nothing left to clean).
    await Promise.all(
      [...this.#workers].map(async (worker) => {
        worker.isRetiring = true
        if (worker.child.connected) worker.child.disconnect()
        const grace = setTimeout(() => killGroup(worker.child, 'SIGKILL'), this.#graceMs)
        await worker.exited
        clearTimeout(grace)
      }),
    )
    this.#gate.close()
    process.off('exit', this.#killAllOnExit)
    await this.#typechecker[Symbol.asyncDispose]()
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // ESRCH: the group is gone already.
  }
}
