import type { IConnackPacket, IConnectPacket } from 'mqtt-packet'
import type { BrokerKind } from '../broker/broker.ts'
import { connackCode } from '../mqtt/packet-guards.ts'
import { describeConnackCode } from '../mqtt/reason-codes.ts'
import { formatPacket } from '../wiretap/format-packet.ts'
import type { WireTap } from '../wiretap/wire-tap.ts'
import type { TraceEvent } from '../wiretap/wire-trace.ts'
import type { FailureDetails } from './check-failure.ts'

/** The client id the task is about: the input that names it, and this run's value. */
export interface TaskClientId {
  input: string
  value: string
}

/**
 * Something that went wrong with the program's connections themselves, whatever check was running: the check
 * cannot judge what it came for, and its own "did not arrive" would blame the wrong thing.
 */
export interface ConnectionProblem {
  kind: 'takeover' | 'refused'
  /** Where in the student's trace it was confirmed. */
  seq: number
  details: FailureDetails
  /** Set once a check has failed with it: each problem fails one check, not every later one. */
  isReported: boolean
}

interface ConnectionState {
  clientId?: string
  connect?: IConnectPacket
  hasSentDisconnect: boolean
  isOpen: boolean
  /** Open connections with the same client id when this one's CONNECT went out: it takes them over. */
  takesOver: number[]
}

/**
 * Watches the student's trace for the two things that make every check's verdict meaningless: a takeover (a
 * second connection with a client id that is already connected: the broker keeps one connection per id and
 * closes the older one [MQTT-3.1.4-3]) and a refused CONNECT. Either ends the running check with a message
 * that names it, instead of "the SUBACK never came".
 *
 * The rule for which connection a check judges follows from it: the connection with the task's client id that
 * is live at that moment. Reconnections after the grader's cut() follow one another; two at once is a takeover.
 */
export class ConnectionWatch {
  readonly problems: ConnectionProblem[] = []
  readonly #states = new Map<number, ConnectionState>()
  readonly #listeners = new Set<(problem: ConnectionProblem) => void>()
  readonly #tap: WireTap
  readonly #taskClientId: TaskClientId | undefined
  readonly #brokerKind: BrokerKind
  readonly #stop: () => void

  constructor(tap: WireTap, taskClientId: TaskClientId | undefined, brokerKind: BrokerKind) {
    this.#tap = tap
    this.#taskClientId = taskClientId
    this.#brokerKind = brokerKind
    for (const event of tap.trace.events()) this.#note(event)
    this.#stop = tap.trace.subscribe((event) => this.#note(event))
  }

  /** Calls `listener` for every new problem until the returned function is called. */
  onProblem(listener: (problem: ConnectionProblem) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The oldest problem no check has failed with yet, marked as reported now. */
  takeUnreported(): ConnectionProblem | undefined {
    const problem = this.problems.find((candidate) => !candidate.isReported)
    if (problem) problem.isReported = true
    return problem
  }

  get hasUnreported(): boolean {
    return this.problems.some((problem) => !problem.isReported)
  }

  stop(): void {
    this.#stop()
    this.#listeners.clear()
  }

  #state(connection: number): ConnectionState {
    let state = this.#states.get(connection)
    if (!state) {
      state = { hasSentDisconnect: false, isOpen: true, takesOver: [] }
      this.#states.set(connection, state)
    }
    return state
  }

  #note(event: TraceEvent): void {
    if (event.connection === 0) return
    if (event.kind === 'connection') {
      const state = this.#state(event.connection)
      if (event.state === 'closed') {
        state.isOpen = false
        if (event.closedBy === 'broker') this.#onClosedByBroker(event.connection, event.seq)
      }
      return
    }
    if (event.kind !== 'packet' || event.isInjected) return
    const state = this.#state(event.connection)
    const packet = event.packet
    if (event.direction === 'to-broker' && packet.cmd === 'connect' && state.clientId === undefined) {
      state.clientId = packet.clientId
      state.connect = packet
      // An empty client id asks the broker to make one up: it can take nothing over.
      if (packet.clientId === '') return
      for (const [other, candidate] of this.#states) {
        const tapConnection = this.#tap.connections[other - 1]
        if (
          other === event.connection ||
          !candidate.isOpen ||
          candidate.clientId !== packet.clientId ||
          candidate.hasSentDisconnect
        )
          continue
        // A connection the grader holds (a partition) may be given up for a new one: that is no takeover.
        if (tapConnection?.isHeld) continue
        state.takesOver.push(other)
      }
    } else if (event.direction === 'to-broker' && packet.cmd === 'disconnect') {
      state.hasSentDisconnect = true
    } else if (event.direction === 'to-client' && packet.cmd === 'connack' && connackCode(packet) !== 0) {
      if (state.connect && this.#isJudged(state.connect.clientId))
        this.#add('refused', event.seq, this.#refusal(state.connect, packet, event.protocolVersion))
    }
  }

  #isJudged(clientId: string): boolean {
    return !this.#taskClientId || clientId === this.#taskClientId.value
  }

  /** The broker closed `connection`: a takeover when a newer connection with its id had just connected. */
  #onClosedByBroker(connection: number, seq: number): void {
    const old = this.#states.get(connection)
    if (!old?.clientId) return
    for (const [id, state] of this.#states) {
      if (!state.takesOver.includes(connection)) continue
      state.takesOver = state.takesOver.filter((other) => other !== connection)
      this.#add('takeover', seq, this.#takeover(old.clientId, connection, id))
      return
    }
  }

  #add(kind: ConnectionProblem['kind'], seq: number, details: FailureDetails): void {
    const problem: ConnectionProblem = { kind, seq, details, isReported: false }
    this.problems.push(problem)
    for (const listener of this.#listeners) listener(problem)
  }

  #nameOf(clientId: string): string {
    const task = this.#taskClientId
    return task && task.value === clientId ? `${task.input} ("${clientId}")` : `"${clientId}"`
  }

  #takeover(clientId: string, old: number, newer: number): FailureDetails {
    const connects = (id: number) => {
      const connect = this.#states.get(id)?.connect
      return connect ? `#${id} ${formatPacket(connect)}` : `#${id}`
    }
    return {
      message:
        `Your program opened a second connection with the client id ${this.#nameOf(clientId)} while its first one was still open. ` +
        'A client id names one session, and a broker keeps one connection per id: when the second CONNECT arrived, the broker closed the first connection (a takeover), ' +
        'and what was in flight on it was lost; if that client reconnects, the two keep taking the id from each other. ' +
        'Create your client once and use it for everything the task asks; a second client, if you want one, needs a client id of its own.',
      expected: `one connection with clientId="${clientId}" at a time`,
      received: `${connects(old)}\n${connects(newer)}\nthen the broker closed #${old}`,
      trace: this.#tap.trace.events(),
    }
  }

  #refusal(connect: IConnectPacket, connack: IConnackPacket, protocolVersion: number): FailureDetails {
    const code = connackCode(connack)
    const received = formatPacket(connack, protocolVersion)
    // A broker that speaks only MQTT 3.1.1 answers an MQTT 5 CONNECT with the 3.1.1 return code 1.
    if (connect.protocolVersion === 5 && code === 1) {
      const which =
        this.#brokerKind === 'embedded'
          ? 'the embedded broker (aedes), which speaks MQTT 3.1.1 only'
          : 'a broker that speaks MQTT 3.1.1 only'
      return {
        message:
          `Your program connected with MQTT 5 (protocolVersion: 5), and you are grading with ${which}: it refused the CONNECT with return code 1 (unacceptable protocol version), ` +
          'so nothing your program does after it reaches the broker. This exercise needs nothing from MQTT 5: leave protocolVersion out (MQTT.js speaks MQTT 3.1.1 by default), ' +
          'or grade with --broker mosquitto (or Docker: --broker container), which speaks MQTT 5.',
        expected: 'CONNACK rc=0 (Connection Accepted)',
        received: `${formatPacket(connect)}\n${received}`,
        trace: this.#tap.trace.events(),
      }
    }
    const why =
      code === 2 || code === 0x85
        ? ' The broker will not take that client id (an empty one with clean: false, say): connect with the id the task gives you.'
        : code === 4 || code === 5 || code === 0x86 || code === 0x87
          ? ' It did not accept the credentials: connect with the username and password the task gives you, or none if it gives none.'
          : ''
    return {
      message: `The broker refused your CONNECT with ${describeConnackCode(code, protocolVersion)}, so nothing your program does after it reaches the broker.${why}`,
      expected: 'CONNACK accepting the connection',
      received: `${formatPacket(connect)}\n${received}`,
      trace: this.#tap.trace.events(),
    }
  }
}
