import type { IConnectPacket, IPublishPacket, Packet } from 'mqtt-packet'
import type { Broker } from '../broker/broker.ts'
import type { TlsMaterial } from '../broker/tls-material.ts'
import type { Random } from '../runner/random.ts'
import type { StudentProgram } from '../runner/student-program.ts'
import type { TapConnection, WireTap } from '../wiretap/wire-tap.ts'
import type { TraceEvent } from '../wiretap/wire-trace.ts'
import type { GraderClient, GraderClientOptions } from './grader-client.ts'
import type { RogueTlsServer } from './rogue-tls-server.ts'

// What a check sees: the Harness interface and the options of its expectations. The session that makes one is
// exercise-session.ts; the harness itself check-harness.ts; each expectation a module of its own (expect-*.ts).

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
  /** The tap connection a packet of the student's trace travelled on (the newest, for a packet seen twice). */
  connectionOf(packet: Packet): number | undefined
  /** The client id the program's connection `id` sent in its first CONNECT, if it sent one. */
  clientIdOf(connection: number): string | undefined
  /** How the program's connection `id` reached the tap, for a WebSocket tap: `ws` or `wss`. */
  transportOf(connection: number): 'ws' | 'wss' | undefined
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
