import path from 'node:path'
import { ProgramStandby } from '../runner/program-standby.ts'
import { type StandbyProgram, type StudentProgram, startStudentProgram } from '../runner/student-program.ts'
import { formatPacket } from '../wiretap/format-packet.ts'
import type { TraceEvent } from '../wiretap/wire-trace.ts'
import type { SessionOptions, SessionView } from './check-context.ts'
import { CheckHarness } from './check-harness.ts'
import { ConnectionWatch } from './connection-watch.ts'
import { GraderClient, type GraderClientOptions } from './grader-client.ts'
import type { Harness, Inputs } from './harness.ts'

export type { SessionOptions } from './check-context.ts'
export type { TaskClientId } from './connection-watch.ts'

/** State shared by the checks of one exercise run: program runs and grader clients, all cleaned up at the end. */
export class ExerciseSession<I extends Inputs = Inputs> implements AsyncDisposable, SessionView<I> {
  readonly programs: StudentProgram[] = []
  readonly clients: GraderClient[] = []
  /** Anything else a check started (a rogue server) that must go when the exercise ends. */
  readonly disposables: AsyncDisposable[] = []
  readonly options: SessionOptions<I>
  #observer: Promise<GraderClient> | undefined
  /** The client id of each of the program's connections, from its CONNECT. */
  readonly #clientIds = new Map<number, string>()
  readonly #stopWatching: () => void
  /** Next runs started ahead, oldest first. */
  readonly #nextRuns: ProgramStandby[] = []
  #isClosed = false
  /** Takeovers and refused CONNECTs on the program's connections: they end the running check (run-checks.ts). */
  readonly watch: ConnectionWatch

  constructor(options: SessionOptions<I>) {
    this.options = options
    this.watch = new ConnectionWatch(options.tap, options.taskClientId, options.broker.kind)
    const note = (event: TraceEvent) => {
      if (
        event.kind === 'packet' &&
        event.direction === 'to-broker' &&
        event.packet.cmd === 'connect' &&
        !this.#clientIds.has(event.connection)
      ) {
        this.#clientIds.set(event.connection, event.packet.clientId)
        // A run has connected: its start-up is over, so the next run's can begin without slowing it.
        setImmediate(() => this.#startNextRun())
      }
    }
    for (const event of options.tap.trace.events()) note(event)
    this.#stopWatching = options.tap.trace.subscribe(note)
  }

  /** The client id connection `id` sent in its CONNECT, if it sent one. */
  clientIdOf(id: number): string | undefined {
    return this.#clientIds.get(id)
  }

  /** Whether connection `id` is one the checks judge: its CONNECT carried the task's client id. */
  isTaskConnection(id: number): boolean {
    const expected = this.options.taskClientId
    return !expected || this.#clientIds.get(id) === expected.value
  }

  harness(timeoutMs: number, signal: AbortSignal): Harness<I> {
    return new CheckHarness(this, timeoutMs, signal)
  }

  startProgram(env: Inputs = {}): StudentProgram {
    const standby = { claim: () => this.options.standby?.claim() ?? this.#claimNextRun() }
    const program = startStudentProgram({ ...this.options, standby }, env, this.programs.length + 1)
    this.programs.push(program)
    return program
  }

  #claimNextRun(): StandbyProgram | undefined {
    for (let next = this.#nextRuns.shift(); next; next = this.#nextRuns.shift()) {
      const waiting = next.claim()
      if (waiting) return waiting
      void next[Symbol.asyncDispose]() // it died waiting: the run starts afresh
    }
    return undefined
  }

  /** Starts the next run ahead, when the exercise has one to come and none is waiting yet. */
  #startNextRun(): void {
    const { command, programRuns = 0, strippedManifest } = this.options
    if (this.#isClosed || !command || this.programs.length + this.#nextRuns.length >= programRuns) return
    try {
      const readable = strippedManifest
        ? [...this.options.readable, path.dirname(strippedManifest)]
        : this.options.readable
      this.#nextRuns.push(
        ProgramStandby.nextRun(this.options.submissionDir, command, this.options.sandbox, readable, this.options.owner),
      )
    } catch {
      // Not started ahead: the run starts when it is asked for.
    }
  }

  /** Takes over a run started before the session existed (run.startsEarly) as the shared first run. */
  adoptProgram(program: StudentProgram): void {
    this.programs.push(program)
  }

  openClient(options: Partial<GraderClientOptions>, signal: AbortSignal): Promise<GraderClient> {
    const { broker } = this.options
    const credentials = broker.graderCredentials
    const opened = GraderClient.open(
      {
        host: broker.host,
        port: broker.port,
        ...(broker.tlsCa ? { tlsCa: broker.tlsCa } : {}),
        ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
        ...options,
      },
      signal,
    )
    void opened.then(
      (client) => this.clients.push(client),
      () => {},
    )
    return opened
  }

  observer(signal: AbortSignal): Promise<GraderClient> {
    this.#observer ??= this.openClient({ name: 'grader' }, signal).then((client) => {
      if (!client.isConnected)
        throw new Error(`the broker refused the grader's observer: ${formatPacket(client.connack!)}`)
      return client
    })
    return this.#observer
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#isClosed = true
    this.#stopWatching()
    this.watch.stop()
    await Promise.all([
      ...this.#nextRuns.splice(0).map((next) => next[Symbol.asyncDispose]()),
      ...this.programs.map((program) => program.kill()),
      ...this.clients.map((client) => client[Symbol.asyncDispose]()),
      ...this.disposables.map((resource) => resource[Symbol.asyncDispose]()),
    ])
  }
}
