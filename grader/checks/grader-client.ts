import net from 'node:net'
import tls from 'node:tls'
import { randomBytes } from 'node:crypto'
import type {
  IConnackPacket,
  IConnectPacket,
  IPublishPacket,
  ISubackPacket,
  IUnsubackPacket,
  Packet,
  QoS,
} from 'mqtt-packet'
import { decodeFrame, generatePacket } from '../mqtt/packet-codec.ts'
import { raceSignal } from '../time/deadline.ts'
import { PacketFramer } from '../mqtt/packet-framer.ts'
import { type PacketEvent, WireTrace } from '../wiretap/wire-trace.ts'
import type { PeerNames } from '../wiretap/format-packet.ts'
import { connackCode } from '../mqtt/packet-guards.ts'

export interface GraderClientOptions {
  host: string
  port: number
  clientId?: string
  protocolVersion?: 4 | 5
  clean?: boolean
  /** Seconds; 0 (the default) turns keepalive off, so this client never sends a PINGREQ of its own. */
  keepaliveS?: number
  username?: string
  password?: string
  will?: IConnectPacket['will']
  /** How traces name this client: "grader", "late subscriber", "dashboard". */
  name?: string
  /** Connect with TLS, trusting this CA (PEM). */
  tlsCa?: string
}

export interface SubscribeRequest {
  topic: string
  qos?: QoS
}

export interface PublishOptions {
  qos?: QoS
  retain?: boolean
  properties?: IPublishPacket['properties']
}

type Waiter = { resolve: (packet: Packet) => void; reject: (error: Error) => void }

/**
 * The grader's own MQTT client, written on mqtt-packet rather than MQTT.js: it does exactly what a check says
 * (no reconnects, no queued retries), records everything it sends and receives, and can put a barrier on its own
 * connection (a PINGREQ: every message the broker queued for it before arrives before the PINGRESP).
 */
export class GraderClient implements AsyncDisposable {
  readonly trace = new WireTrace()
  readonly peers: PeerNames
  readonly clientId: string
  readonly protocolVersion: 4 | 5
  connack: IConnackPacket | undefined
  readonly closed: Promise<void>
  readonly #socket: net.Socket
  readonly #waiters = new Map<string, Waiter>()
  readonly #pingWaiters: Waiter[] = []
  #connackWaiter: Waiter | undefined
  #nextMessageId = 1
  #isOpen = true

  private constructor(socket: net.Socket, options: GraderClientOptions) {
    this.#socket = socket
    this.clientId = options.clientId ?? `mqtt-course-grader-${randomBytes(4).toString('hex')}`
    this.protocolVersion = options.protocolVersion ?? 4
    this.peers = { client: options.name ?? 'grader', broker: 'broker' }
    const framer = new PacketFramer()
    socket.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk).frames) {
        const decoded = decodeFrame(frame, this.protocolVersion)
        if ('packet' in decoded) this.#onPacket(decoded.packet)
      }
    })
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#isOpen = false
        this.trace.record({ kind: 'connection', connection: 1, state: 'closed', closedBy: 'broker' })
        const error = new Error(`the broker closed ${this.peers.client}'s connection`)
        for (const waiter of [
          ...this.#waiters.values(),
          ...this.#pingWaiters.splice(0),
          ...(this.#connackWaiter ? [this.#connackWaiter] : []),
        ])
          waiter.reject(error)
        this.#waiters.clear()
        resolve()
      })
    })
    socket.on('error', () => {})
  }

  /**
   * Connects and returns once the broker has answered, accepted or not: checks that expect a refusal read
   * `connack`. Use `isConnected` or `connect()` when only success will do.
   */
  static async open(options: GraderClientOptions, signal: AbortSignal): Promise<GraderClient> {
    const socket = options.tlsCa
      ? tls.connect({
          host: options.host,
          port: options.port,
          ca: options.tlsCa,
          servername: net.isIP(options.host) ? undefined : options.host,
        })
      : net.connect({ host: options.host, port: options.port, noDelay: true })
    const client = new GraderClient(socket, options)
    client.trace.record({ kind: 'connection', connection: 1, state: 'opened' })
    const connack = new Promise<Packet>((resolve, reject) => (client.#connackWaiter = { resolve, reject }))
    client.#send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: client.protocolVersion,
      clientId: client.clientId,
      clean: options.clean ?? true,
      keepalive: options.keepaliveS ?? 0,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: Buffer.from(options.password) } : {}),
      ...(options.will ? { will: options.will } : {}),
    })
    try {
      client.connack = (await raceSignal(connack, signal)) as IConnackPacket
    } catch (error) {
      client.destroy()
      throw error
    }
    return client
  }

  /** Like open(), but throws unless the broker accepted the connection. */
  static async connect(options: GraderClientOptions, signal: AbortSignal): Promise<GraderClient> {
    const client = await GraderClient.open(options, signal)
    if (!client.isConnected) {
      client.destroy()
      throw new Error(`the broker refused the grader's connection (CONNACK code ${connackCode(client.connack!)})`)
    }
    return client
  }

  get isConnected(): boolean {
    return this.#isOpen && this.connack !== undefined && connackCode(this.connack) === 0
  }

  async subscribe(requests: string | readonly SubscribeRequest[], signal: AbortSignal): Promise<ISubackPacket> {
    const subscriptions = (typeof requests === 'string' ? [{ topic: requests }] : requests).map((request) => ({
      topic: request.topic,
      qos: request.qos ?? 1,
    }))
    const messageId = this.#takeMessageId()
    const reply = this.#expect('suback', messageId)
    this.#send({ cmd: 'subscribe', messageId, subscriptions })
    return (await raceSignal(reply, signal)) as ISubackPacket
  }

  async unsubscribe(topics: readonly string[], signal: AbortSignal): Promise<IUnsubackPacket> {
    const messageId = this.#takeMessageId()
    const reply = this.#expect('unsuback', messageId)
    this.#send({ cmd: 'unsubscribe', messageId, unsubscriptions: [...topics] })
    return (await raceSignal(reply, signal)) as IUnsubackPacket
  }

  /**
   * Publishes and, for QoS 1 and 2, waits for the whole exchange to finish (PUBACK; PUBREC, PUBREL, PUBCOMP).
   * Returns the last acknowledgement, which carries the reason code under MQTT 5.
   */
  async publish(
    topic: string,
    payload: string | Buffer,
    options: PublishOptions,
    signal: AbortSignal,
  ): Promise<Packet | undefined> {
    const qos = options.qos ?? 0
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos,
      retain: options.retain ?? false,
      dup: false,
      ...(options.properties ? { properties: options.properties } : {}),
    }
    if (qos === 0) {
      this.#send(packet)
      return undefined
    }
    const messageId = this.#takeMessageId()
    packet.messageId = messageId
    if (qos === 1) {
      const reply = this.#expect('puback', messageId)
      this.#send(packet)
      return raceSignal(reply, signal)
    }
    const pubrec = this.#expect('pubrec', messageId)
    this.#send(packet)
    const received = await raceSignal(pubrec, signal)
    if (
      (received as { reasonCode?: number }).reasonCode !== undefined &&
      (received as { reasonCode: number }).reasonCode >= 0x80
    )
      return received
    const pubcomp = this.#expect('pubcomp', messageId)
    this.#send({ cmd: 'pubrel', messageId })
    return raceSignal(pubcomp, signal)
  }

  /** Every PUBLISH the broker sent this client, in order (after trace position `after`). */
  messages(after = 0): IPublishPacket[] {
    return this.trace
      .packets((event) => event.direction === 'to-client' && event.packet.cmd === 'publish', after)
      .map((event) => event.packet as IPublishPacket)
  }

  /** The first PUBLISH from the broker (after `after`) that `accept` likes, received already or yet to come. */
  async waitForMessage(
    accept: (message: IPublishPacket) => boolean,
    signal: AbortSignal,
    after = 0,
  ): Promise<IPublishPacket> {
    const event = await this.trace.waitFor(
      (e): e is PacketEvent =>
        e.kind === 'packet' && e.direction === 'to-client' && e.packet.cmd === 'publish' && accept(e.packet),
      signal,
      after,
    )
    return event.packet as IPublishPacket
  }

  /**
   * Resolves once the broker has answered a PINGREQ sent now: every message it queued for this client before
   * handling the PINGREQ has been received. The basis of every "X must NOT arrive" check.
   */
  async barrier(signal: AbortSignal): Promise<void> {
    const reply = new Promise<Packet>((resolve, reject) => this.#pingWaiters.push({ resolve, reject }))
    this.#send({ cmd: 'pingreq' })
    await raceSignal(reply, signal)
  }

  /** Ends the session politely: DISCONNECT, then close (no will is published). */
  async disconnect(): Promise<void> {
    if (!this.#isOpen) return
    this.#send({ cmd: 'disconnect' })
    this.#socket.end()
    await this.closed
  }

  /** Drops the connection without DISCONNECT. */
  destroy(): void {
    this.#socket.destroy()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#isOpen) this.destroy()
    await this.closed
  }

  #send(packet: Packet): void {
    if (!this.#isOpen) throw new Error(`${this.peers.client}'s connection is closed`)
    this.trace.record({
      kind: 'packet',
      connection: 1,
      direction: 'to-broker',
      packet,
      protocolVersion: this.protocolVersion,
    })
    this.#socket.write(generatePacket(packet, { protocolVersion: this.protocolVersion }))
  }

  #takeMessageId(): number {
    const id = this.#nextMessageId
    this.#nextMessageId = (this.#nextMessageId % 65535) + 1
    return id
  }

  #expect(cmd: string, messageId: number): Promise<Packet> {
    return new Promise((resolve, reject) => this.#waiters.set(`${cmd}:${messageId}`, { resolve, reject }))
  }

  #onPacket(packet: Packet): void {
    this.trace.record({
      kind: 'packet',
      connection: 1,
      direction: 'to-client',
      packet,
      protocolVersion: this.protocolVersion,
    })
    switch (packet.cmd) {
      case 'connack':
        this.#connackWaiter?.resolve(packet)
        this.#connackWaiter = undefined
        return
      case 'publish':
        if (packet.qos === 1) this.#send({ cmd: 'puback', messageId: packet.messageId })
        if (packet.qos === 2) this.#send({ cmd: 'pubrec', messageId: packet.messageId })
        return
      case 'pubrel':
        this.#send({ cmd: 'pubcomp', messageId: packet.messageId })
        return
      case 'pingresp':
        this.#pingWaiters.shift()?.resolve(packet)
        return
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
      case 'suback':
      case 'unsuback': {
        const key = `${packet.cmd}:${packet.messageId}`
        this.#waiters.get(key)?.resolve(packet)
        this.#waiters.delete(key)
        return
      }
      default:
        return
    }
  }
}
