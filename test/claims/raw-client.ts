/**
 * A bare MQTT client for experiments on brokers: it sends exactly the packets it is given and records every
 * packet the broker sends, so an experiment can hold back a PUBACK, resume a session, or send a filter twice,
 * which a library decides for itself. Packets are encoded and decoded by mqtt-packet (the grader's codec).
 */
import net from 'node:net'
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet'
import { generatePacket } from '../../grader/mqtt/packet-codec.ts'

export type ProtocolVersion = 4 | 5

export class RawClient implements AsyncDisposable {
  readonly received: Packet[] = []
  /** Set once the broker closed the connection (or it failed). */
  isClosed = false
  private readonly socket: net.Socket
  private readonly listeners = new Set<() => void>()
  private nextMessageId = 1

  private readonly protocolVersion: ProtocolVersion

  private constructor(socket: net.Socket, protocolVersion: ProtocolVersion) {
    this.socket = socket
    this.protocolVersion = protocolVersion
    const parser = mqttPacket.parser({ protocolVersion })
    parser.on('packet', (packet: Packet) => {
      this.received.push(packet)
      this.notify()
    })
    socket.on('data', (data) => parser.parse(data))
    const close = () => {
      this.isClosed = true
      this.notify()
    }
    socket.on('close', close)
    socket.on('error', close)
  }

  /** Connects and waits for the CONNACK (returned; a refusal is a CONNACK too). */
  static async connect(
    port: number,
    connect: Omit<IConnectPacket, 'cmd'>,
    timeoutMs = 5000,
    rewrite?: (connect: Buffer) => Buffer,
  ): Promise<{ client: RawClient; connack: Packet }> {
    const socket = net.connect(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    const protocolVersion = (connect.protocolVersion ?? 4) as ProtocolVersion
    const client = new RawClient(socket, protocolVersion)
    const bytes = generatePacket(
      { cmd: 'connect', protocolId: 'MQTT', protocolVersion, keepalive: 60, clean: true, ...connect } as Packet,
      { protocolVersion },
    )
    socket.write(rewrite ? rewrite(bytes) : bytes)
    const connack = await client.waitFor((packet) => packet.cmd === 'connack', timeoutMs, 'a CONNACK')
    return { client, connack }
  }

  messageId(): number {
    return this.nextMessageId++
  }

  send(packet: Packet): void {
    this.socket.write(generatePacket(packet, { protocolVersion: this.protocolVersion }))
  }

  /** Resolves with the first received packet (from index `from` on) that matches; rejects after the deadline. */
  waitFor(match: (packet: Packet) => boolean, timeoutMs: number, what: string, from = 0): Promise<Packet> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.slice(from).find(match)
        if (found) return done(() => resolve(found))
        if (this.isClosed)
          return done(() =>
            reject(new Error(`the broker closed the connection before ${what} arrived (received: ${this.describe()})`)),
          )
      }
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms (received: ${this.describe()})`))),
        timeoutMs,
      )
      const done = (settle: () => void) => {
        clearTimeout(timer)
        this.listeners.delete(check)
        settle()
      }
      this.listeners.add(check)
      check()
    })
  }

  /** Resolves once the broker has closed the connection; rejects after the deadline. */
  waitForClose(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.isClosed) return
        clearTimeout(timer)
        this.listeners.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        this.listeners.delete(check)
        reject(new Error(`the broker kept the connection open for ${timeoutMs} ms`))
      }, timeoutMs)
      this.listeners.add(check)
      check()
    })
  }

  /**
   * Proof that the broker has processed everything sent before it and sent everything it had queued for this
   * connection: a PINGREQ, answered in order after them [MQTT-4.6.0].
   */
  async barrier(timeoutMs = 5000): Promise<void> {
    const from = this.received.length
    this.send({ cmd: 'pingreq' })
    await this.waitFor((packet) => packet.cmd === 'pingresp', timeoutMs, 'a PINGRESP', from)
  }

  async subscribe(
    subscriptions: { topic: string; qos: 0 | 1 | 2; nl?: boolean; rap?: boolean; rh?: number }[],
    timeoutMs = 5000,
  ): Promise<Packet> {
    const messageId = this.messageId()
    const from = this.received.length
    this.send({ cmd: 'subscribe', messageId, subscriptions } as Packet)
    return this.waitFor(
      (packet) => packet.cmd === 'suback' && packet.messageId === messageId,
      timeoutMs,
      'a SUBACK',
      from,
    )
  }

  /** The PUBLISH packets received on `topic` (all of them without a topic). */
  publishes(topic?: string): mqttPacket.IPublishPacket[] {
    return this.received.filter(
      (packet): packet is mqttPacket.IPublishPacket =>
        packet.cmd === 'publish' && (topic === undefined || packet.topic === topic),
    )
  }

  /** Sends DISCONNECT, then closes the socket. */
  async disconnect(reasonCode?: number): Promise<void> {
    if (this.isClosed) return
    this.send({ cmd: 'disconnect', ...(reasonCode === undefined ? {} : { reasonCode }) } as Packet)
    await new Promise<void>((resolve) => this.socket.end(resolve))
    this.socket.destroy()
  }

  /** Closes the socket without a DISCONNECT: a crashed program. */
  destroy(): void {
    this.socket.destroy()
  }

  /** Stops reading and writing, keeping the TCP connection open: a device whose power failed. */
  freeze(): void {
    this.socket.pause()
  }

  describe(): string {
    return (
      this.received
        .map((packet) =>
          packet.cmd === 'publish'
            ? `publish(${packet.topic},qos${packet.qos},retain=${packet.retain ? 1 : 0})`
            : packet.cmd,
        )
        .join(' ') || 'nothing'
    )
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.destroy()
  }
}
