import { EventEmitter } from 'node:events'
import type { Packet } from 'mqtt-packet'

/** Who sent a packet, seen from the tap between a client and the broker. */
export type Direction = 'to-broker' | 'to-client'

export interface PacketEvent {
  kind: 'packet'
  /** Position in the trace, strictly increasing: a cursor for "everything after this point". */
  seq: number
  /** Milliseconds since the tap started. */
  atMs: number
  /** Which TCP connection through the tap (1, 2, ... in the order the client opened them). */
  connection: number
  direction: Direction
  packet: Packet
  /** 4 for MQTT 3.1.1, 5 for MQTT 5: how to name reason codes. */
  protocolVersion: number
  /** Set on packets the tap wrote itself (a barrier's PINGREQ), which the client never sent. */
  isInjected?: boolean
  /** Set on packets the tap did not forward (a barrier's PINGRESP, packets dropped by hold()). */
  isSwallowed?: boolean
}

export interface ConnectionEvent {
  kind: 'connection'
  seq: number
  atMs: number
  connection: number
  state: 'opened' | 'closed'
  /** For 'closed': which side ended the connection first, or the tap itself (cut()). */
  closedBy?: 'client' | 'broker' | 'tap'
  detail?: string
  /** For 'opened' on a WebSocket tap: whether the client came over ws:// or wss://. */
  transport?: 'ws' | 'wss'
  /** For a client the tap turned away before it became a connection (connection 0): what the student should do. */
  advice?: string
}

export interface DecodeErrorEvent {
  kind: 'decode-error'
  seq: number
  atMs: number
  connection: number
  direction: Direction
  message: string
  /** The first bytes of the packet that could not be decoded. */
  bytes: Buffer
}

export type TraceEvent = PacketEvent | ConnectionEvent | DecodeErrorEvent

type NewTraceEvent = TraceEvent extends infer E ? (E extends TraceEvent ? Omit<E, 'seq' | 'atMs'> : never) : never

/** How many events a trace keeps at each end; the ones between are counted, not kept. */
export const traceHeadLimit = 5000
export const traceTailLimit = 5000

/**
 * Everything that crossed one tap, in order, with timestamps. Checks read it and wait on it; failure messages
 * quote it. It keeps the first and the last few thousand events and counts the rest: a program that floods the
 * broker costs the grader a fixed amount of memory, and the report says what was left out.
 */
export class WireTrace {
  readonly startedAt = performance.now()
  readonly #head: TraceEvent[] = []
  /** The newest events after the head, oldest first, from #tailStart on. */
  #tail: TraceEvent[] = []
  #tailStart = 0
  #count = 0
  readonly #dropped = new Map<string, number>()
  #droppedCount = 0
  readonly #emitter = new EventEmitter()
  readonly #headLimit: number
  readonly #tailLimit: number

  constructor(limits: { headLimit?: number; tailLimit?: number } = {}) {
    this.#emitter.setMaxListeners(0)
    this.#headLimit = limits.headLimit ?? traceHeadLimit
    this.#tailLimit = limits.tailLimit ?? traceTailLimit
  }

  record(event: NewTraceEvent): TraceEvent {
    const full = { ...event, seq: ++this.#count, atMs: performance.now() - this.startedAt } as TraceEvent
    if (this.#head.length < this.#headLimit) this.#head.push(full)
    else {
      this.#tail.push(full)
      if (this.#tail.length - this.#tailStart > this.#tailLimit) this.#drop(this.#tail[this.#tailStart++])
      // Compact now and then, so the array does not grow with what was dropped.
      if (this.#tailStart > this.#tailLimit) {
        this.#tail = this.#tail.slice(this.#tailStart)
        this.#tailStart = 0
      }
    }
    this.#emitter.emit('event', full)
    return full
  }

  /** The sequence number of the newest event: pass it as `after` to look only at what happens next. */
  get cursor(): number {
    return this.#count
  }

  /** How many events were counted but not kept. */
  get droppedCount(): number {
    return this.#droppedCount
  }

  /** "The trace kept the first 5000 and the last 5000 of 102000 events; 92000 between them (92000 PUBLISH) were counted, not kept." */
  describeDropped(): string {
    const kinds = [...this.#dropped].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${count} ${kind}`)
    return `The trace kept the first ${this.#headLimit} and the last ${this.#tailLimit} of ${this.#count} events; the ${this.#droppedCount} between them (${kinds.join(', ')}) were counted, not kept.`
  }

  /** The kept events with a sequence number above `after`. */
  events(after = 0): readonly TraceEvent[] {
    const kept = [...this.#head, ...this.#tail.slice(this.#tailStart)]
    if (after <= 0) return kept
    if (this.#droppedCount === 0) return kept.slice(after)
    return kept.filter((event) => event.seq > after)
  }

  packets(filter: (event: PacketEvent) => boolean = () => true, after = 0): PacketEvent[] {
    return this.events(after).filter((event): event is PacketEvent => event.kind === 'packet' && filter(event))
  }

  /**
   * The first event after `after` that satisfies `accept`, already recorded or yet to come.
   * Rejects with the signal's reason when it aborts first.
   */
  waitFor<E extends TraceEvent>(
    accept: (event: TraceEvent) => event is E,
    signal: AbortSignal,
    after?: number,
  ): Promise<E>
  waitFor(accept: (event: TraceEvent) => boolean, signal: AbortSignal, after?: number): Promise<TraceEvent>
  waitFor(accept: (event: TraceEvent) => boolean, signal: AbortSignal, after = 0): Promise<TraceEvent> {
    const existing = this.events(after).find(accept)
    if (existing) return Promise.resolve(existing)
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason)
      const onEvent = (event: TraceEvent) => {
        if (!accept(event)) return
        cleanup()
        resolve(event)
      }
      const onAbort = () => {
        cleanup()
        reject(signal.reason)
      }
      const cleanup = () => {
        this.#emitter.off('event', onEvent)
        signal.removeEventListener('abort', onAbort)
      }
      this.#emitter.on('event', onEvent)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Calls `listener` for every new event until the returned function is called. */
  subscribe(listener: (event: TraceEvent) => void): () => void {
    this.#emitter.on('event', listener)
    return () => this.#emitter.off('event', listener)
  }

  #drop(event: TraceEvent): void {
    const kind =
      event.kind === 'packet'
        ? event.packet.cmd.toUpperCase()
        : event.kind === 'connection'
          ? `connection ${event.state}`
          : 'undecodable'
    this.#dropped.set(kind, (this.#dropped.get(kind) ?? 0) + 1)
    this.#droppedCount++
  }
}
