import path from 'node:path'
import type { IConnectPacket, IPublishPacket, ISubackPacket, ISubscribePacket, Packet } from 'mqtt-packet'
import type { Broker } from '../broker/broker.ts'
import type { ProgramCommand } from '../runner/program-command.ts'
import type { Random } from '../runner/random.ts'
import { type ProgramOwner, type StandbyProgram, type StudentProgram, describeExit, startStudentProgram } from '../runner/student-program.ts'
import { ProgramStandby } from '../runner/program-standby.ts'
import { DeadlineExceeded, deadlineSignal, formatDuration, raceSignal } from '../time/deadline.ts'
import { formatPacket } from '../wiretap/format-packet.ts'
import { isConnect } from '../mqtt/packet-guards.ts'
import { topicMatches } from '../mqtt/topic-filter.ts'
import type { TapConnection, WireTap } from '../wiretap/wire-tap.ts'
import type { Direction, PacketEvent, TraceEvent } from '../wiretap/wire-trace.ts'
import { CheckFailure, ConnectionTrouble, ProgramExited, fail } from './check-failure.ts'
import { ConnectionWatch, type TaskClientId } from './connection-watch.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import { GraderClient, type GraderClientOptions } from './grader-client.ts'
import { RogueTlsServer } from './rogue-tls-server.ts'
import type { TlsMaterial } from '../broker/tls-material.ts'

export type Inputs = Record<string, string>

/** What the student sends, or what the broker sends the student. */
export type PacketSource = 'program' | 'broker'

export interface ExpectPacketOptions<P extends Packet> {
  /** `program`: a packet the student's client sent; `broker`: one the broker sent to it. */
  from: PacketSource
  /** Says what was awaited, completing "Your program did not send ...": `a SUBSCRIBE to "home/x/inbox"`. */
  description: string
  match: (packet: Packet) => packet is P
  /** Only look at trace events after this cursor (`h.cursor()` taken earlier). */
  after?: number
  /**
   * `task` (default): only the program's connections with the exercise's client id (all of them when the
   * exercise names none); `any`: every connection the program opened.
   */
  connections?: 'task' | 'any'
  /** Only this connection (a SUBACK answers on the connection of its SUBSCRIBE). */
  onConnection?: number | undefined
}

export interface ExpectMessageOptions {
  /** Completes "The grader did not receive ...": `"online" on home/x/status`. */
  description: string
  match: (message: IPublishPacket) => boolean
  /** Only look at messages after this point of the client's trace (`client.trace.cursor` taken earlier). */
  after?: number
  /** Which of the messages that did arrive are worth quoting on failure (default: all of them). */
  isRelevant?: (message: IPublishPacket) => boolean
}

export interface ExpectNoMessageOptions {
  /** Completes "The grader received ..., which must not arrive": `a message on home/x/secret`. */
  description: string
  match: (message: IPublishPacket) => boolean
  after?: number
  /** Why it must not arrive, for the failure message: `your subscription does not match that topic`. */
  because: string
}

/**
 * Everything a check can do. One harness per check, bound to that check's deadline: every wait ends by then,
 * and ends early with a clear message if the student's program exits.
 */
export interface Harness<I extends Inputs = Inputs> {
  readonly exerciseId: string
  /** The randomised inputs the program gets in its environment. */
  readonly inputs: Readonly<I>
  /** Seeded randomness for what the grader itself sends. */
  readonly random: Random
  readonly broker: Broker
  /** The tap between the student's program and the broker. */
  readonly tap: WireTap
  /** The folder being graded (starter/, solution/, a submission). */
  readonly submissionDir: string
  /** Aborts at this check's deadline. */
  readonly signal: AbortSignal
  readonly timeoutMs: number
  /** The program's shared run, started on first use. */
  program(): Promise<StudentProgram>
  /** A new run of the program (the previous ones keep running until they exit or the exercise ends). */
  startProgram(env?: Inputs): Promise<StudentProgram>
  /** The program run started last, if any. */
  readonly currentProgram: StudentProgram | undefined
  /** The grader's shared client, connected on first use with full access. */
  observer(): Promise<GraderClient>
  /** A new grader client; it must be accepted. */
  connect(options?: Partial<GraderClientOptions>): Promise<GraderClient>
  /** A new grader client that may be refused: read `client.connack`. */
  open(options?: Partial<GraderClientOptions>): Promise<GraderClient>
  /** Position in the student's trace now: pass it as `after` to look only at what follows. */
  cursor(): number
  expectPacket<P extends Packet>(options: ExpectPacketOptions<P>): Promise<P & Packet>
  expectMessage(client: GraderClient, options: ExpectMessageOptions): Promise<IPublishPacket>
  /**
   * A negative check without sleeping: barriers on the student's connection (the broker has handled all it
   * sent) and on the client's (all the broker queued for it has arrived), then nothing may match.
   */
  expectNoMessage(client: GraderClient, options: ExpectNoMessageOptions): Promise<void>
  /**
   * What a subscriber that connects now is told about `topic` (no wildcards): its retained message, or
   * undefined when there is none. Proven without waiting for a silence that proves nothing (see the code).
   */
  retainedMessage(topic: string): Promise<IPublishPacket | undefined>
  /**
   * Waits for the program to subscribe to `topic` (exactly that filter) and for the broker's SUBACK: after
   * that, a message published to it reaches the program. Returns the QoS the broker granted.
   */
  expectSubscription(topic: string, options?: { after?: number; description?: string }): Promise<{ granted: number }>
  /**
   * Waits for a CONNECT with the exercise's client id (on any of the program's connections: a program may open
   * others first) and returns it; fails naming the ids the program did use, if any. With `after`, the first
   * one after that point: the reconnection after a cut(), which then is the task connection (taskConnection()).
   */
  expectConnect(options?: { after?: number; description?: string }): Promise<IConnectPacket>
  /**
   * The connection a check judges: the program's open connection with the exercise's client id, the one to
   * cut() or hold(). There is one at a time; two at once is a takeover, which ConnectionWatch reports and which
   * ends the running check, so "the newest" and "the only one" are the same here.
   */
  taskConnection(): TapConnection
  /** Whether the program's connection `id` is one the checks judge (its CONNECT carried the task's client id). */
  isTaskConnection(id: number): boolean
  /** Waits for the current program to exit; fails naming `description` if it is still running at the deadline. */
  expectExit(description: string): Promise<NonNullable<StudentProgram['exitInfo']>>
  /** Proves the broker has processed everything the program's open connections have sent. */
  barrier(): Promise<void>
  /** A sub-deadline inside the check, for a wait that must be shorter. */
  within(timeoutMs: number): AbortSignal
  /** The student's trace from `after`, for failure messages. */
  studentTrace(after?: number): readonly TraceEvent[]
  /** For exercises that require 'tls': the CA (ca.pem, caFile) and an impostor server signed by another CA. */
  readonly tls: TlsMaterial | undefined
  /**
   * An impostor broker on loopback: `unknown-ca` presents a certificate from another CA, `wrong-name` one from
   * the course CA for another host name. A careful client refuses both.
   */
  startRogueServer(kind: 'unknown-ca' | 'wrong-name'): Promise<RogueTlsServer>
}

export type { TaskClientId } from './connection-watch.ts'

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

/** State shared by the checks of one exercise run: program runs and grader clients, all cleaned up at the end. */
export class ExerciseSession<I extends Inputs = Inputs> implements AsyncDisposable {
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
      if (event.kind === 'packet' && event.direction === 'to-broker' && event.packet.cmd === 'connect' && !this.#clientIds.has(event.connection)) {
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
      const readable = strippedManifest ? [...this.options.readable, path.dirname(strippedManifest)] : this.options.readable
      this.#nextRuns.push(ProgramStandby.nextRun(this.options.submissionDir, command, this.options.sandbox, readable, this.options.owner))
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
    void opened.then((client) => this.clients.push(client), () => {})
    return opened
  }

  observer(signal: AbortSignal): Promise<GraderClient> {
    this.#observer ??= this.openClient({ name: 'grader' }, signal).then((client) => {
      if (!client.isConnected) throw new Error(`the broker refused the grader's observer: ${formatPacket(client.connack!)}`)
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

class CheckHarness<I extends Inputs> implements Harness<I> {
  readonly #session: ExerciseSession<I>
  readonly signal: AbortSignal
  readonly timeoutMs: number

  constructor(session: ExerciseSession<I>, timeoutMs: number, signal: AbortSignal) {
    this.#session = session
    this.timeoutMs = timeoutMs
    this.signal = signal
  }

  get exerciseId() {
    return this.#session.options.exerciseId
  }
  get inputs() {
    return this.#session.options.inputs
  }
  get random() {
    return this.#session.options.random
  }
  get broker() {
    return this.#session.options.broker
  }
  get tap() {
    return this.#session.options.tap
  }
  get submissionDir() {
    return this.#session.options.submissionDir
  }
  get currentProgram() {
    return this.#session.programs.at(-1)
  }
  get tls() {
    return this.#session.options.tls
  }

  async startRogueServer(kind: 'unknown-ca' | 'wrong-name'): Promise<RogueTlsServer> {
    const tls = this.#session.options.tls
    if (!tls) throw new Error(`${this.exerciseId} does not require 'tls': there is no rogue certificate`)
    const server = await RogueTlsServer.start(kind === 'unknown-ca' ? tls.rogueServer : tls.wrongNameServer)
    this.#session.disposables.push(server)
    return server
  }

  async program(): Promise<StudentProgram> {
    return this.#session.programs[0] ?? this.#session.startProgram()
  }

  async startProgram(env?: Inputs): Promise<StudentProgram> {
    return this.#session.startProgram(env)
  }

  observer(): Promise<GraderClient> {
    return this.#session.observer(this.signal)
  }

  async connect(options: Partial<GraderClientOptions> = {}): Promise<GraderClient> {
    const client = await this.open(options)
    if (!client.isConnected) throw new Error(`the broker refused a grader client: ${formatPacket(client.connack!)}`)
    return client
  }

  open(options: Partial<GraderClientOptions> = {}): Promise<GraderClient> {
    return this.#session.openClient(options, this.signal)
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

  async expectPacket<P extends Packet>(options: ExpectPacketOptions<P>): Promise<P & Packet> {
    const direction: Direction = options.from === 'program' ? 'to-broker' : 'to-client'
    const isJudged = (connection: number) =>
      options.onConnection !== undefined ? connection === options.onConnection : options.connections === 'any' || this.#session.isTaskConnection(connection)
    const accept = (event: TraceEvent): event is PacketEvent =>
      event.kind === 'packet' && event.direction === direction && !event.isInjected && isJudged(event.connection) && options.match(event.packet)
    const after = options.after ?? 0
    try {
      const event = await this.tap.trace.waitFor(accept, this.#untilProgramFails(), after)
      return event.packet as P & Packet
    } catch (reason) {
      if (reason instanceof ProgramExited) {
        // The program may have sent the packet just before exiting: let its connections drain, then look again.
        await this.#settleConnections()
        const late = this.tap.trace.events(after).find(accept)
        if (late) return late.packet as P & Packet
      }
      if (reason instanceof ProgramExited || reason instanceof DeadlineExceeded) this.#failIfOnAnotherConnection(options, after)
      if (reason instanceof ProgramExited) {
        const program = this.currentProgram!
        fail({
          message: `Your program ${reason.description} before ${options.from === 'program' ? 'sending' : 'receiving'} ${options.description}.`,
          expected: options.description,
          received: describeOutput(program) ?? summarizeSent(this.tap.trace.events(after)),
          trace: this.tap.trace.events(after),
          isCrash: hasCrashed(program),
        })
      }
      if (reason instanceof DeadlineExceeded) {
        const events = this.tap.trace.events(after)
        fail({
          message:
            options.from === 'program'
              ? `Your program did not send ${options.description} within ${formatDuration(reason.timeoutMs)}.`
              : `The broker did not send your program ${options.description} within ${formatDuration(reason.timeoutMs)}.`,
          expected: options.description,
          received: summarizeSent(events),
          trace: events,
        })
      }
      throw reason
    }
  }

  /**
   * When what was awaited did cross the wire, but on a connection the task is not about (another client id),
   * that is the mistake to name: "it never came" would be wrong.
   */
  #failIfOnAnotherConnection(options: ExpectPacketOptions<Packet>, after: number): void {
    const expected = this.#session.options.taskClientId
    if (!expected || options.connections === 'any' || options.onConnection !== undefined) return
    const direction: Direction = options.from === 'program' ? 'to-broker' : 'to-client'
    const elsewhere = this.tap.trace.packets((e) => e.direction === direction && !e.isInjected && !this.#session.isTaskConnection(e.connection) && options.match(e.packet), after)[0]
    if (!elsewhere) return
    const other = this.#session.clientIdOf(elsewhere.connection) ?? '(none yet)'
    fail({
      message: `Your program ${options.from === 'program' ? 'sent' : 'received'} ${options.description} on another connection, as "${other}", not on the one with the client id ${expected.input} ("${expected.value}"). The task is about that client: do it with that connection.`,
      expected: `${options.description}, on the connection of clientId="${expected.value}"`,
      received: `${formatPacket(elsewhere.packet)} on the connection of clientId="${other}"`,
      trace: this.tap.trace.events(after),
    })
  }

  async expectMessage(client: GraderClient, options: ExpectMessageOptions): Promise<IPublishPacket> {
    const after = options.after ?? 0
    try {
      return await client.waitForMessage(options.match, this.#untilProgramFails(), after)
    } catch (reason) {
      if (reason instanceof ProgramExited) {
        // What the program published before exiting may still be on its way: drain, then flush the broker.
        await this.#settleConnections()
        await client.barrier(this.within(2000)).catch(() => {})
        const late = client.messages(after).find(options.match)
        if (late) return late
        fail({
          message: `Your program ${reason.description} before the grader received ${options.description}.`,
          expected: options.description,
          received: describeOutput(this.currentProgram!) ?? summarizeSent(this.tap.trace.events()),
          trace: this.tap.trace.events(),
          isCrash: hasCrashed(this.currentProgram!),
        })
      }
      if (reason instanceof DeadlineExceeded) {
        const received = client.messages(after).filter(options.isRelevant ?? (() => true))
        fail({
          message: `The grader did not receive ${options.description} within ${formatDuration(reason.timeoutMs)}.`,
          expected: options.description,
          received: received.length ? received.map((m) => formatPacket(m)).join('\n') : 'no message',
          trace: this.tap.trace.events(),
        })
      }
      throw reason
    }
  }

  async expectNoMessage(client: GraderClient, options: ExpectNoMessageOptions): Promise<void> {
    await this.barrier()
    await client.barrier(this.signal)
    const unexpected = client.messages(options.after ?? 0).filter(options.match)
    if (unexpected.length === 0) return
    fail({
      message: `The grader received ${options.description}, which must not arrive: ${options.because}.`,
      expected: 'nothing',
      received: unexpected.map((message) => formatPacket(message)).join('\n'),
      trace: this.tap.trace.events(),
    })
  }

  async expectSubscription(topic: string, options: { after?: number; description?: string } = {}): Promise<{ granted: number }> {
    const after = options.after ?? 0
    const subscribe = await this.expectPacket({
      from: 'program',
      description: options.description ?? `a SUBSCRIBE to ${JSON.stringify(topic)}`,
      match: (packet): packet is ISubscribePacket => packet.cmd === 'subscribe' && packet.subscriptions.some((s) => s.topic === topic),
      after,
    }).catch((error: unknown) => {
      // Say what was subscribed instead, and why it is not what the task asks.
      const made = this.tap.trace
        .packets((e) => e.direction === 'to-broker' && e.packet.cmd === 'subscribe' && this.#session.isTaskConnection(e.connection), after)
        .flatMap((e) => (e.packet as ISubscribePacket).subscriptions.map((s) => s.topic))
      if (!(error instanceof CheckFailure) || made.length === 0) throw error
      const wildcard = made.find((filter) => filter !== topic && topicMatches(filter, topic))
      fail({
        message: wildcard
          ? `You subscribed to ${JSON.stringify(wildcard)}, a filter that matches ${JSON.stringify(topic)} but also every other topic it covers; the task asks for exactly ${JSON.stringify(topic)}. Subscribe to that topic itself: a wider filter brings your program messages that are not meant for it.`
          : `You subscribed to ${made.map((t) => JSON.stringify(t)).join(', ')}, not to ${JSON.stringify(topic)}. Topic names are exact and case-sensitive: build the topic from the environment, letter for letter.`,
        expected: `SUBSCRIBE ${JSON.stringify(topic)}`,
        received: made.map((t) => `SUBSCRIBE ${JSON.stringify(t)}`).join('\n'),
        trace: this.tap.trace.events(after),
        ...(error.details.isCrash ? { isCrash: true } : {}),
      })
    })
    const onConnection = this.tap.trace.packets((e) => e.packet === subscribe, after)[0]?.connection
    const suback = await this.expectPacket({
      from: 'broker',
      description: `the SUBACK for your subscription to ${JSON.stringify(topic)}`,
      match: (packet): packet is ISubackPacket => packet.cmd === 'suback' && packet.messageId === subscribe.messageId,
      after,
      onConnection,
    })
    const granted = suback.granted[subscribe.subscriptions.findIndex((s) => s.topic === topic)]
    return { granted: typeof granted === 'number' ? granted : (granted as { qos: number }).qos }
  }

  async retainedMessage(topic: string): Promise<IPublishPacket | undefined> {
    // Brokers send a new subscription's retained messages filter by filter, in the order of the SUBSCRIBE
    // (Mosquitto queues them per filter; aedes streams its retained store pattern by pattern). So subscribe to
    // [topic, sentinel], where the grader has just retained a sentinel: once the sentinel arrives, a retained
    // message for `topic` would have arrived before it. A barrier would not do: aedes answers a PINGREQ while
    // it is still streaming retained messages.
    const observer = await this.observer()
    const sentinel = `mqtt-course/sentinel/${this.random.hex(8)}`
    await observer.publish(sentinel, 'sentinel', { qos: 1, retain: true }, this.signal)
    const late = await this.connect({ name: 'a subscriber connecting now' })
    try {
      await late.subscribe([{ topic, qos: 1 }, { topic: sentinel, qos: 1 }], this.signal)
      await late.waitForMessage((m) => m.topic === sentinel, this.signal)
      return late.messages().find((m) => m.topic === topic)
    } finally {
      await late.disconnect()
      await observer.publish(sentinel, '', { qos: 1, retain: true }, this.signal)
    }
  }

  async expectExit(description: string): Promise<NonNullable<StudentProgram['exitInfo']>> {
    const program = this.currentProgram
    if (!program) throw new Error('expectExit() before any program was started')
    const trouble = this.#untilProgramFails()
    const exited = await Promise.race([
      program.exited,
      new Promise<undefined>((resolve) => {
        if (trouble.aborted) resolve(undefined)
        trouble.addEventListener('abort', () => resolve(undefined), { once: true })
      }),
    ])
    if (exited) return exited
    if (program.exitInfo) return program.exitInfo
    if (trouble.reason instanceof ConnectionTrouble) throw trouble.reason
    fail({
      message: `Your program was still running ${formatDuration(this.timeoutMs)} later: it should have ${description}.`,
      expected: `your program ${description}`,
      received: 'it kept running',
      trace: this.tap.trace.events(),
    })
  }

  async barrier(): Promise<void> {
    // Every open connection of the program: what matters may come from any of them (a second publisher).
    await Promise.all(this.tap.openConnections().map((connection) => connection.barrier(this.signal).catch((error: unknown) => {
      if (connection.isOpen) throw error
    })))
  }

  async expectConnect(options: { after?: number; description?: string } = {}): Promise<IConnectPacket> {
    const expected = this.#session.options.taskClientId
    const after = options.after ?? 0
    const description = options.description ?? (expected ? `a CONNECT with the client id ${expected.input} ("${expected.value}")` : 'a CONNECT')
    try {
      return await this.expectPacket({
        from: 'program',
        description,
        match: (packet): packet is IConnectPacket => isConnect(packet) && (!expected || packet.clientId === expected.value),
        after,
        connections: 'any',
      })
    } catch (error) {
      const handshake = this.tap.trace.events(after).find((e) => e.kind === 'connection' && e.detail?.startsWith('the TLS handshake failed'))
      if (error instanceof CheckFailure && handshake?.kind === 'connection') {
        fail({
          message: "Your client broke off the TLS handshake with the broker, so no CONNECT could follow: most often because it does not trust the broker's certificate. Does it trust the course CA (the ca option, read from CA_FILE)? What your program printed is below.",
          expected: description,
          received: error.details.received ?? 'no CONNECT',
          trace: this.tap.trace.events(after),
        })
      }
      // A WebSocket tap turned the client away before any MQTT (plain TCP, a wrong path): it says why.
      const refusal = this.tap.trace.events(after).findLast((e) => e.kind === 'connection' && e.connection === 0 && e.advice !== undefined)
      if (error instanceof CheckFailure && refusal?.kind === 'connection') {
        fail({ message: refusal.advice!, expected: description, received: refusal.detail ?? 'no CONNECT', trace: this.tap.trace.events(after) })
      }
      const used = [...new Set(this.tap.trace.packets((e) => e.direction === 'to-broker' && isConnect(e.packet), after).map((e) => (e.packet as IConnectPacket).clientId))]
      if (!(error instanceof CheckFailure) || !expected || used.length === 0) throw error
      // MQTT.js makes up "mqttjs_<8 hex>" when given no clientId: say that, not the id (it changes every run).
      const named = used.map((id) => (/^mqttjs_[0-9a-f]+$/.test(id) ? 'a random id MQTT.js made up (you gave it no clientId)' : JSON.stringify(id)))
      fail({
        message: `Your program connected as ${named.join(' and ')}, but never with the client id this run gave you in ${expected.input}. The broker tells clients apart by their id, and the grader judges the connection that uses it: connect with process.env.${expected.input}.`,
        expected: `CONNECT clientId="${expected.value}"`,
        received: used.map((id) => `CONNECT clientId="${id}"`).join('\n'),
        trace: this.tap.trace.events(after),
      })
    }
  }

  isTaskConnection(id: number): boolean {
    return this.#session.isTaskConnection(id)
  }

  taskConnection(): TapConnection {
    const connection = this.tap.connections.findLast((candidate) => candidate.isOpen && this.#session.isTaskConnection(candidate.id))
    if (!connection) {
      fail({
        message: `Your program has no open connection${this.#session.options.taskClientId ? ` with the client id ${this.#session.options.taskClientId.input}` : ''} any more: it should stay connected.`,
        expected: 'an open connection',
        received: 'none',
      })
    }
    return connection
  }

  /**
   * This check's signal, also aborted when the current program exits (with ProgramExited) and when one of its
   * connections is taken over or refused (with ConnectionTrouble: run-checks reports the problem itself).
   */
  #untilProgramFails(): AbortSignal {
    const program = this.currentProgram
    const controller = new AbortController()
    const watch = this.#session.watch
    const onTrouble = () => controller.abort(new ConnectionTrouble())
    if (watch.hasUnreported) onTrouble()
    else {
      const stop = watch.onProblem(onTrouble)
      controller.signal.addEventListener('abort', stop, { once: true })
      this.signal.addEventListener('abort', stop, { once: true })
    }
    if (program) {
      const onExit = (exit: NonNullable<StudentProgram['exitInfo']>) => controller.abort(new ProgramExited(describeExit(exit)))
      if (program.exitInfo) onExit(program.exitInfo)
      else void program.exited.then(onExit)
    }
    return AbortSignal.any([this.signal, controller.signal])
  }

  /**
   * After the program exits, the kernel closes its sockets: the tap sees every byte the program sent before it
   * sees the close. Waits for those closes, within the check's own deadline.
   */
  async #settleConnections(): Promise<void> {
    const open = this.tap.openConnections().map((connection) => connection.closed)
    if (open.length === 0) return
    await raceSignal(Promise.all(open), this.signal).catch(() => {})
  }
}

/** "CONNECT, SUBSCRIBE "a/b" qos=1" — the packets the program sent, or why there are none. */
function summarizeSent(events: readonly TraceEvent[]): string {
  const sent = events.filter((e): e is PacketEvent => e.kind === 'packet' && e.direction === 'to-broker' && !e.isInjected)
  if (sent.length === 0) {
    const connected = events.some((e) => e.kind === 'connection' && e.state === 'opened')
    // Connection 0: attempts the tap saw end before they became a connection (a refused TLS handshake, a
    // WebSocket handshake turned away); the trace says why.
    const triedOnly = events.some((e) => e.kind === 'connection' && e.connection === 0)
    return connected ? 'nothing: the connection was opened but no packet was sent' : triedOnly ? 'nothing: every attempt to connect ended before any MQTT (the trace says why)' : 'nothing: your program never connected to MQTT_URL'
  }
  const lines = sent.slice(-8).map((e) => formatPacket(e.packet))
  return (sent.length > 8 ? `(${sent.length - 8} earlier packets)\n` : '') + lines.join('\n')
}

/** An exit with an error code: an uncaught exception, say (not a signal the grader sent, not a clean exit). */
function hasCrashed(program: StudentProgram): boolean {
  const exit = program.exitInfo
  return exit !== undefined && (exit.spawnError !== undefined || (exit.exitCode !== undefined && exit.exitCode !== 0) || exit.outOfMemoryLimitBytes !== undefined)
}

/** One line about how the program ended, pointing at its full output (which the report prints below). */
function describeOutput(program: StudentProgram): string | undefined {
  const exit = program.exitInfo ? describeExit(program.exitInfo) : 'ended'
  const lines = program.stderr.tail(40).split('\n').map((line) => line.trim()).filter(Boolean)
  const error = lines.find((line) => /^(\w*Error|error)\b/i.test(line) || /Traceback|Exception/.test(line)) ?? lines.at(-1)
  if (error) return `it ${exit}; its stderr says: ${error} (its output is below)`
  return `it ${exit} without printing an error`
}
