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

/**
 * Everything that crossed one tap, in order, with timestamps. Checks read it and wait on it; failure messages
 * quote it. It only grows.
 */
export class WireTrace {
  readonly startedAt = performance.now()
  readonly #events: TraceEvent[] = []
  readonly #emitter = new EventEmitter()

  constructor() {
    this.#emitter.setMaxListeners(0)
  }

  record(event: NewTraceEvent): TraceEvent {
    const full = { ...event, seq: this.#events.length + 1, atMs: performance.now() - this.startedAt } as TraceEvent
    this.#events.push(full)
    this.#emitter.emit('event', full)
    return full
  }

  /** The sequence number of the newest event: pass it as `after` to look only at what happens next. */
  get cursor(): number {
    return this.#events.length
  }

  events(after = 0): readonly TraceEvent[] {
    return this.#events.slice(after)
  }

  packets(filter: (event: PacketEvent) => boolean = () => true, after = 0): PacketEvent[] {
    return this.#events.slice(after).filter((event): event is PacketEvent => event.kind === 'packet' && filter(event))
  }

  /**
   * The first event after `after` that satisfies `accept`, already recorded or yet to come.
   * Rejects with the signal's reason when it aborts first.
   */
  waitFor<E extends TraceEvent>(accept: (event: TraceEvent) => event is E, signal: AbortSignal, after?: number): Promise<E>
  waitFor(accept: (event: TraceEvent) => boolean, signal: AbortSignal, after?: number): Promise<TraceEvent>
  waitFor(accept: (event: TraceEvent) => boolean, signal: AbortSignal, after = 0): Promise<TraceEvent> {
    const existing = this.#events.slice(after).find(accept)
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
}
