import type { Duplex } from 'node:stream'
import type { Packet } from 'mqtt-packet'
import type { decodeFrame } from '../mqtt/packet-codec.ts'
import { describeError } from '../errors/grader-error.ts'
import { raceSignal } from '../time/deadline.ts'
import { PacketFramer } from '../mqtt/packet-framer.ts'
import type { Direction, WireTrace } from './wire-trace.ts'

type DecodeFrame = typeof decodeFrame

/** The PINGREQ the tap writes for a barrier [MQTT-3.12]: fixed header 0xC0, remaining length 0. */
const pingreqBytes = Buffer.from([0xc0, 0x00])

type PendingPing = 'client' | { resolve: () => void; reject: (error: Error) => void }

/** One client's TCP connection through the tap, paired with the tap's own connection to the broker. */
export class TapConnection {
  readonly id: number
  /** 3 (MQTT 3.1), 4 (MQTT 3.1.1) or 5, from the CONNECT; 4 until one is seen. */
  protocolVersion = 4
  readonly closed: Promise<void>
  readonly #client: Duplex
  readonly #broker: Duplex
  readonly #trace: WireTrace
  /** Undefined when the tap only relays bytes (TLS). */
  readonly #decodeFrame: DecodeFrame | undefined
  readonly #pendingPings: PendingPing[] = []
  #held: Array<{ direction: Direction; frame: Buffer }> | undefined
  #isOpen = true
  #markClosed!: () => void

  constructor(id: number, client: Duplex, broker: Duplex, trace: WireTrace, decodeFrame: DecodeFrame | undefined) {
    this.id = id
    this.#client = client
    this.#broker = broker
    this.#trace = trace
    this.#decodeFrame = decodeFrame
    this.closed = new Promise((resolve) => (this.#markClosed = resolve))
    this.#pipe(client, 'to-broker')
    this.#pipe(broker, 'to-client')
  }

  get isOpen(): boolean {
    return this.#isOpen
  }

  get isHeld(): boolean {
    return this.#held !== undefined
  }

  /** Drops the connection on both sides without a DISCONNECT: the broker sees a dead client and sends its will. */
  cut(): void {
    this.#abort('tap', 'cut by the grader, as if the power failed')
  }

  /** Stops forwarding in both directions, like a network partition; the bytes wait for release(). */
  hold(): void {
    this.#held ??= []
  }

  /** Ends a hold(): forwards what waited, in order, and resumes. */
  release(): void {
    const held = this.#held ?? []
    this.#held = undefined
    for (const { direction, frame } of held) this.#forward(direction, frame)
  }

  /**
   * Proves the broker has processed every packet the client sent before this call: writes a PINGREQ after them
   * and waits for the broker's PINGRESP (which the client never sees). Brokers answer packets of one connection
   * in order, so anything the broker sent this client because of those packets has reached the tap first.
   */
  async barrier(signal: AbortSignal): Promise<void> {
    if (!this.#decodeFrame) throw new Error('barrier() needs a tap that decodes MQTT')
    if (this.#held) throw new Error('barrier() during hold(): release() the connection first')
    if (!this.#isOpen) throw new Error(`connection #${this.id} is closed: nothing to put a barrier on`)
    const reply = new Promise<void>((resolve, reject) => this.#pendingPings.push({ resolve, reject }))
    this.#broker.write(pingreqBytes)
    this.#trace.record({
      kind: 'packet',
      connection: this.id,
      direction: 'to-broker',
      packet: { cmd: 'pingreq' },
      protocolVersion: this.protocolVersion,
      isInjected: true,
    })
    await raceSignal(reply, signal)
  }

  /** Tears both sockets down at once (used when the tap closes). */
  destroy(): void {
    this.#abort('tap', 'the grader closed the tap')
  }

  #pipe(socket: Duplex, direction: Direction): void {
    const side = direction === 'to-broker' ? 'client' : 'broker'
    const framer = new PacketFramer()
    const decodeFrame = this.#decodeFrame
    socket.on('data', (chunk: Buffer) => {
      if (!decodeFrame) {
        this.#forwardOrHold(direction, chunk)
        return
      }
      const { frames, error } = framer.push(chunk)
      for (const frame of frames) this.#onFrame(direction, frame, decodeFrame)
      if (error) {
        this.#trace.record({ kind: 'decode-error', connection: this.id, direction, message: error, bytes: chunk })
        this.#abort(side, error)
      }
    })
    // A graceful close travels on: end() flushes what was written (a DISCONNECT, say) before the FIN, so the
    // broker sees exactly what the client did. destroy() here would drop that DISCONNECT and fire the will.
    socket.on('end', () => {
      if (this.#held) return
      this.#otherSocket(side).end()
    })
    socket.on('error', (error) => this.#abort(side, describeError(error)))
    socket.on('close', () => {
      if (!this.#held) this.#otherSocket(side).end()
      this.#markClosedBy(side)
    })
  }

  #otherSocket(side: 'client' | 'broker'): Duplex {
    return side === 'client' ? this.#broker : this.#client
  }

  #onFrame(direction: Direction, frame: Buffer, decodeFrame: DecodeFrame): void {
    const decoded = decodeFrame(frame, this.protocolVersion)
    if ('error' in decoded) {
      this.#trace.record({ kind: 'decode-error', connection: this.id, direction, message: decoded.error, bytes: frame })
      this.#forwardOrHold(direction, frame)
      return
    }
    const packet = decoded.packet
    if (packet.cmd === 'connect') this.protocolVersion = packet.protocolVersion ?? 4
    if (direction === 'to-client' && packet.cmd === 'pingresp') {
      const pending = this.#pendingPings.shift()
      if (pending && pending !== 'client') {
        this.#trace.record({
          kind: 'packet',
          connection: this.id,
          direction,
          packet,
          protocolVersion: this.protocolVersion,
          isInjected: true,
          isSwallowed: true,
        })
        pending.resolve()
        return
      }
    }
    this.#trace.record({
      kind: 'packet',
      connection: this.id,
      direction,
      packet,
      protocolVersion: this.protocolVersion,
    })
    this.#forwardOrHold(direction, frame, packet)
  }

  #forwardOrHold(direction: Direction, frame: Buffer, packet?: Packet): void {
    if (this.#held) {
      this.#held.push({ direction, frame })
      return
    }
    this.#forward(direction, frame, packet)
  }

  #forward(direction: Direction, frame: Buffer, packet?: Packet): void {
    if (direction === 'to-broker') {
      if (packet?.cmd === 'pingreq') this.#pendingPings.push('client')
      this.#broker.write(frame)
    } else this.#client.write(frame)
  }

  /** Power loss or a broken socket: both sides go at once, unsent bytes are lost. */
  #abort(side: 'client' | 'broker' | 'tap', detail: string): void {
    this.#client.destroy()
    this.#broker.destroy()
    this.#markClosedBy(side, detail)
  }

  /** Records the end of the connection once, naming the side that ended it first. */
  #markClosedBy(side: 'client' | 'broker' | 'tap', detail?: string): void {
    if (!this.#isOpen) return
    this.#isOpen = false
    this.#trace.record({ kind: 'connection', connection: this.id, state: 'closed', closedBy: side, detail })
    for (const pending of this.#pendingPings.splice(0)) {
      if (pending !== 'client')
        pending.reject(new Error(`connection #${this.id} closed before the broker answered the barrier`))
    }
    this.#markClosed()
  }
}
