import type { IConnectPacket, IPublishPacket, Packet } from 'mqtt-packet'
import { describeExit, type StudentProgram } from '../runner/student-program.ts'
import { deadlineSignal, raceSignal } from '../time/deadline.ts'
import { formatPacket } from '../wiretap/format-packet.ts'
import type { TapConnection } from '../wiretap/wire-tap.ts'
import type { TraceEvent } from '../wiretap/wire-trace.ts'
import type { CheckContext, SessionView } from './check-context.ts'
import { ConnectionTrouble, ProgramExited, fail } from './check-failure.ts'
import { expectConnect } from './expect-connect.ts'
import { expectExit } from './expect-exit.ts'
import { expectMessage, expectNoMessage } from './expect-message.ts'
import { expectPacket } from './expect-packet.ts'
import { expectSubscription } from './expect-subscription.ts'
import type { GraderClient, GraderClientOptions } from './grader-client.ts'
import type { ExpectMessageOptions, ExpectNoMessageOptions, ExpectPacketOptions, Harness, Inputs } from './harness.ts'
import { retainedMessage } from './retained-message.ts'
import { RogueTlsServer } from './rogue-tls-server.ts'

/** One check's harness: the session's state, this check's deadline, and the expectations (expect-*.ts). */
export class CheckHarness<I extends Inputs> implements Harness<I>, CheckContext {
  readonly session: SessionView<I>
  readonly signal: AbortSignal
  readonly timeoutMs: number

  constructor(session: SessionView<I>, timeoutMs: number, signal: AbortSignal) {
    this.session = session
    this.timeoutMs = timeoutMs
    this.signal = signal
  }

  get exerciseId() {
    return this.session.options.exerciseId
  }
  get inputs() {
    return this.session.options.inputs
  }
  get random() {
    return this.session.options.random
  }
  get broker() {
    return this.session.options.broker
  }
  get tap() {
    return this.session.options.tap
  }
  get submissionDir() {
    return this.session.options.submissionDir
  }
  get currentProgram() {
    return this.session.programs.at(-1)
  }
  get tls() {
    return this.session.options.tls
  }

  async startRogueServer(kind: 'unknown-ca' | 'wrong-name'): Promise<RogueTlsServer> {
    const tls = this.session.options.tls
    if (!tls) throw new Error(`${this.exerciseId} does not require 'tls': there is no rogue certificate`)
    const server = await RogueTlsServer.start(kind === 'unknown-ca' ? tls.rogueServer : tls.wrongNameServer)
    this.session.disposables.push(server)
    return server
  }

  async program(): Promise<StudentProgram> {
    return this.session.programs[0] ?? this.session.startProgram()
  }

  async startProgram(env?: Inputs): Promise<StudentProgram> {
    return this.session.startProgram(env)
  }

  observer(): Promise<GraderClient> {
    return this.session.observer(this.signal)
  }

  async connect(options: Partial<GraderClientOptions> = {}): Promise<GraderClient> {
    const client = await this.open(options)
    if (!client.isConnected) throw new Error(`the broker refused a grader client: ${formatPacket(client.connack!)}`)
    return client
  }

  open(options: Partial<GraderClientOptions> = {}): Promise<GraderClient> {
    return this.session.openClient(options, this.signal)
  }

  cursor(): number {
    return this.tap.trace.cursor
  }

  within(timeoutMs: number): AbortSignal {
    return deadlineSignal(timeoutMs, this.signal)
  }

  studentTrace(after = 0): readonly TraceEvent[] {
    return this.tap.trace.events(after)
  }

  expectPacket<P extends Packet>(options: ExpectPacketOptions<P>): Promise<P & Packet> {
    return expectPacket(this, options)
  }

  expectMessage(client: GraderClient, options: ExpectMessageOptions): Promise<IPublishPacket> {
    return expectMessage(this, client, options)
  }

  expectNoMessage(client: GraderClient, options: ExpectNoMessageOptions): Promise<void> {
    return expectNoMessage(this, client, options)
  }

  expectSubscription(
    topic: string,
    options: { after?: number; description?: string } = {},
  ): Promise<{ granted: number }> {
    return expectSubscription(this, topic, options)
  }

  retainedMessage(topic: string): Promise<IPublishPacket | undefined> {
    return retainedMessage(this, topic)
  }

  expectExit(description: string): Promise<NonNullable<StudentProgram['exitInfo']>> {
    return expectExit(this, description)
  }

  expectConnect(options: { after?: number; description?: string } = {}): Promise<IConnectPacket> {
    return expectConnect(this, options)
  }

  async barrier(): Promise<void> {
    // Every open connection of the program: what matters may come from any of them (a second publisher).
    await Promise.all(
      this.tap.openConnections().map((connection) =>
        connection.barrier(this.signal).catch((error: unknown) => {
          if (connection.isOpen) throw error
        }),
      ),
    )
  }

  isTaskConnection(id: number): boolean {
    return this.session.isTaskConnection(id)
  }

  connectionOf(packet: Packet): number | undefined {
    return this.tap.trace.events().findLast((event) => event.kind === 'packet' && event.packet === packet)?.connection
  }

  clientIdOf(connection: number): string | undefined {
    return this.session.clientIdOf(connection)
  }

  transportOf(connection: number): 'ws' | 'wss' | undefined {
    const opened = this.tap.trace
      .events()
      .find((event) => event.kind === 'connection' && event.state === 'opened' && event.connection === connection)
    return opened?.kind === 'connection' ? opened.transport : undefined
  }

  taskConnection(): TapConnection {
    const connection = this.tap.connections.findLast(
      (candidate) => candidate.isOpen && this.session.isTaskConnection(candidate.id),
    )
    if (!connection) {
      fail({
        message: `Your program has no open connection${this.session.options.taskClientId ? ` with the client id ${this.session.options.taskClientId.input}` : ''} any more: it should stay connected.`,
        expected: 'an open connection',
        received: 'none',
      })
    }
    return connection
  }

  untilProgramFails(): AbortSignal {
    const program = this.currentProgram
    const controller = new AbortController()
    const watch = this.session.watch
    const onTrouble = () => controller.abort(new ConnectionTrouble())
    if (watch.hasUnreported) onTrouble()
    else {
      const stop = watch.onProblem(onTrouble)
      controller.signal.addEventListener('abort', stop, { once: true })
      this.signal.addEventListener('abort', stop, { once: true })
    }
    if (program) {
      const onExit = (exit: NonNullable<StudentProgram['exitInfo']>) =>
        controller.abort(new ProgramExited(describeExit(exit)))
      if (program.exitInfo) onExit(program.exitInfo)
      else void program.exited.then(onExit)
    }
    return AbortSignal.any([this.signal, controller.signal])
  }

  async settleConnections(): Promise<void> {
    const open = this.tap.openConnections().map((connection) => connection.closed)
    if (open.length === 0) return
    await raceSignal(Promise.all(open), this.signal).catch(() => {})
  }
}
