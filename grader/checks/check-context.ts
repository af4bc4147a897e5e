import type { Broker } from '../broker/broker.ts'
import type { TlsMaterial } from '../broker/tls-material.ts'
import type { ProgramCommand } from '../runner/program-command.ts'
import type { Random } from '../runner/random.ts'
import type { ProgramOwner, StandbyProgram, StudentProgram } from '../runner/student-program.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import type { WireTap } from '../wiretap/wire-tap.ts'
import type { ConnectionWatch, TaskClientId } from './connection-watch.ts'
import type { GraderClient, GraderClientOptions } from './grader-client.ts'
import type { Harness, Inputs } from './harness.ts'

export interface SessionOptions<I extends Inputs> {
  exerciseId: string
  /** Connections with this client id are the ones checks judge; undefined: every connection. */
  taskClientId?: TaskClientId | undefined
  sandbox: Sandbox
  readable: readonly string[]
  inputs: I
  random: Random
  broker: Broker
  tap: WireTap
  submissionDir: string
  /** The workspace's own uid and gid, when the grader is root. */
  owner: ProgramOwner | undefined
  /** Undefined for exercises with no program to run (configuration only). */
  command: ProgramCommand | undefined
  /** For exercises that require 'tls': the run's certificates. */
  tls?: TlsMaterial | undefined
  /** The whole exercise's deadline. */
  signal: AbortSignal
  /** The manifest of the workspace's TypeScript, stripped ahead, for every run. */
  strippedManifest?: string | undefined
  /** watch's program on standby, for the first run. */
  standby?: { claim(): StandbyProgram | undefined } | undefined
  /**
   * How many runs a passing program has (exercise.run.programRuns) when they may start ahead, on standby: each
   * next run is started when the one before connects. 0 or 1: none.
   */
  programRuns?: number
}

/** What the harness uses of its session (ExerciseSession, exercise-session.ts). */
export interface SessionView<I extends Inputs = Inputs> {
  readonly options: SessionOptions<I>
  readonly programs: StudentProgram[]
  readonly disposables: AsyncDisposable[]
  readonly watch: ConnectionWatch
  clientIdOf(id: number): string | undefined
  isTaskConnection(id: number): boolean
  startProgram(env?: Inputs): StudentProgram
  observer(signal: AbortSignal): Promise<GraderClient>
  openClient(options: Partial<GraderClientOptions>, signal: AbortSignal): Promise<GraderClient>
}

/**
 * What an expectation (expect-*.ts) works with: the check's harness, its session, and the two waits every
 * expectation shares. Not part of Harness: exercises never see it.
 */
export interface CheckContext extends Harness<Inputs> {
  readonly session: SessionView
  /**
   * This check's signal, also aborted when the current program exits (with ProgramExited) and when one of its
   * connections is taken over or refused (with ConnectionTrouble: run-checks reports the problem itself).
   */
  untilProgramFails(): AbortSignal
  /**
   * After the program exits, the kernel closes its sockets: the tap sees every byte the program sent before it
   * sees the close. Waits for those closes, within the check's own deadline.
   */
  settleConnections(): Promise<void>
}
