import net from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import { randomBytes } from 'node:crypto'
import type { IConnackPacket } from 'mqtt-packet'
import { decodeFrame, generatePacket } from '../mqtt/packet-codec.ts'
import { PacketFramer } from '../mqtt/packet-framer.ts'
import type { Credentials } from './broker.ts'

export interface ProbeOptions {
  host: string
  port: number
  credentials?: Credentials
  protocolVersion?: 4 | 5
  /** Connect with TLS, trusting this CA (PEM). */
  tlsCa?: string
  /**
   * Speak MQTT over WebSockets: the URL (ws:// or wss://, with the path). It offers the subprotocol "mqtt"
   * [MQTT-6.0.0-3]: Mosquitto 2.0.11 stops accepting on a WebSockets listener after a handshake without one.
   */
  webSocketUrl?: string
  signal: AbortSignal
}

/** A WebSocket carrying MQTT as a byte stream; writes wait for the handshake. */
async function openWebSocketStream(url: string, tlsCa: string | undefined): Promise<Duplex> {
  const { WebSocket, createWebSocketStream } = await import('ws')
  const socket = new WebSocket(url, ['mqtt'], { perMessageDeflate: false, ...(tlsCa ? { ca: tlsCa } : {}) })
  return createWebSocketStream(socket)
}

/**
 * Sends a real CONNECT and returns the broker's CONNACK: a broker is ready when it answers one, not when its
 * port is open. The probe disconnects cleanly, so it leaves no will and no session behind.
 */
export async function probeBroker(options: ProbeOptions): Promise<IConnackPacket> {
  const socket: Duplex = options.webSocketUrl
    ? await openWebSocketStream(options.webSocketUrl, options.tlsCa)
    : options.tlsCa
      ? tls.connect({
          host: options.host,
          port: options.port,
          ca: options.tlsCa,
          servername: net.isIP(options.host) ? undefined : options.host,
        })
      : net.connect({ host: options.host, port: options.port })
  return exchangeConnect(socket, options)
}

function exchangeConnect(socket: Duplex, options: ProbeOptions): Promise<IConnackPacket> {
  const protocolVersion = options.protocolVersion ?? 4
  const where = options.webSocketUrl ?? `${options.host}:${options.port}`
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      socket.destroy()
      return reject(options.signal.reason)
    }
    const framer = new PacketFramer()
    let isDone = false
    const finish = (error: Error | undefined, connack?: IConnackPacket) => {
      if (isDone) return
      isDone = true
      options.signal.removeEventListener('abort', onAbort)
      if (connack && !socket.destroyed) socket.end(generatePacket({ cmd: 'disconnect' }, { protocolVersion }))
      else socket.destroy()
      if (error) reject(error)
      else resolve(connack!)
    }
    const onAbort = () => finish(options.signal.reason as Error)
    options.signal.addEventListener('abort', onAbort, { once: true })
    // A WebSocket stream holds writes until its handshake is done; a socket is written once it connects.
    const isWebSocket = options.webSocketUrl !== undefined
    const sendConnect = () =>
      socket.write(
        generatePacket(
          {
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion,
            clientId: `mqtt-course-probe-${randomBytes(4).toString('hex')}`,
            clean: true,
            keepalive: 10,
            ...(options.credentials
              ? { username: options.credentials.username, password: Buffer.from(options.credentials.password) }
              : {}),
          },
          { protocolVersion },
        ),
      )
    if (isWebSocket) sendConnect()
    else socket.on(options.tlsCa ? 'secureConnect' : 'connect', sendConnect)
    socket.on('data', (chunk: Buffer) => {
      const { frames } = framer.push(chunk)
      for (const frame of frames) {
        const decoded = decodeFrame(frame, protocolVersion)
        if ('packet' in decoded && decoded.packet.cmd === 'connack') return finish(undefined, decoded.packet)
      }
    })
    socket.on('error', (error) => finish(error))
    socket.on('close', () => finish(new Error(`the broker at ${where} closed the connection before answering CONNECT`)))
  })
}
