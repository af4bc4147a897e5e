import net from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import type { decodeFrame } from '../mqtt/packet-codec.ts'
import { describeError } from '../errors/grader-error.ts'
import { GuardedListener } from '../sandbox/guarded-listener.ts'
import { TapConnection } from './tap-connection.ts'
import { type PeerNames, studentPeers } from './format-packet.ts'
import { type ConnectionEvent, WireTrace } from './wire-trace.ts'
import { type WebSocketArrival, WebSocketFront, type WebSocketFrontOptions } from './websocket-front.ts'
import type { WebSocketUrls } from '../broker/student-config.ts'

export { TapConnection }

type WsModule = typeof import('ws')

/** The ws library and one handshake completer (noServer: it holds no sockets), loaded by the first WebSocket tap only. */
let webSockets: { ws: WsModule; server: InstanceType<WsModule['WebSocketServer']> } | undefined
async function loadWebSockets(): Promise<NonNullable<typeof webSockets>> {
  const ws: WsModule = await import('ws')
  webSockets ??= {
    ws,
    server: new ws.WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (offered) => [...offered].find((name) => name === 'mqtt' || name === 'mqttv3.1') ?? false,
    }),
  }
  return webSockets
}

/** Where the tap forwards to: the broker's MQTT listener, and its WebSocket listeners for a WebSocket tap. */
export interface TapUpstream {
  host: string
  port: number
  webSocketUrls?: WebSocketUrls | undefined
}

export interface WireTapOptions {
  /**
   * The broker the tap forwards to. Without one, connections wait (as under holdNewConnections) until
   * connectTo() names it: the student's program can start while the broker is still starting.
   */
  upstream?: TapUpstream
  /** How traces name the two ends: "you → broker" for the student, "grader → broker" for the grader's clients. */
  peers?: PeerNames
  /**
   * Whether to decode the bytes as MQTT. Off for TLS listeners, where the tap can only count bytes and
   * connections (and still cut() and hold() them).
   */
  shouldDecode?: boolean
  /** The URL scheme clients use through the tap: mqtts when the broker behind it speaks TLS. */
  scheme?: 'mqtt' | 'mqtts'
  /**
   * Speak MQTT over WebSockets to clients (ws://, and wss:// with `tls`), and forward each connection to the
   * broker's WebSocket listener of the same kind, decoding the MQTT inside the frames like any other.
   */
  webSocket?: Omit<WebSocketFrontOptions, 'tls'> & {
    tls?: { certificatePem: string; privateKeyPem: string; upstreamCa: string }
  }
  /**
   * Terminate TLS on both sides, so the MQTT inside can be decoded: clients get this certificate (the broker's
   * own, signed by the course CA), and the tap speaks TLS to the broker, trusting `upstreamCa`.
   */
  tls?: { certificatePem: string; privateKeyPem: string; upstreamCa: string }
}

type DecodeFrame = typeof decodeFrame

/**
 * mqtt-packet's parser, loaded when the tap is given a broker, not when it starts: with readable-stream under
 * it that is ~30 ms, and a tap starts first of all, before the student's program (which should not wait for it).
 */
async function loadDecoder(): Promise<DecodeFrame> {
  return (await import('../mqtt/packet-codec.ts')).decodeFrame
}

/** A client accepted but not yet connected on to the broker: a paused socket, or an unanswered WebSocket handshake. */
interface Arrival {
  /** Connects it on: returns the client's end and the tap's own end towards the broker; undefined when turned away. */
  open(upstream: TapUpstream): { client: Duplex; broker: Duplex; resume(): void; transport?: 'ws' | 'wss' } | undefined
  discard(): void
}

/**
 * A TCP proxy between one MQTT client and the broker. It forwards the client's exact bytes, decodes both
 * directions into a timestamped WireTrace, and injects the faults a student cannot fake: cut() (power loss),
 * hold() (network partition) and barrier() (proof that the broker has processed everything sent so far).
 * With `webSocket` it faces clients as a WebSocket endpoint and forwards to the broker's WebSocket listener.
 */
export class WireTap implements AsyncDisposable {
  readonly trace = new WireTrace()
  readonly connections: TapConnection[] = []
  readonly peers: PeerNames
  #listener: GuardedListener | undefined
  #front: WebSocketFront | undefined
  readonly #options: WireTapOptions
  #upstream: TapUpstream | undefined
  /**
   * Clients accepted but not yet connected to the broker: until connectTo() names it (start() does at once
   * when given an upstream), and while holdNewConnections() is in force.
   */
  #waiting: Arrival[] | undefined = []
  /** Set with the upstream, for a tap that decodes MQTT. */
  #decodeFrame: DecodeFrame | undefined

  /** `server` takes the connections (never listens itself): a TLS server ends TLS on them, a plain one hands them on. */
  private constructor(server: net.Server | tls.Server | undefined, options: WireTapOptions) {
    this.#options = options
    this.peers = options.peers ?? studentPeers
    server?.on(options.tls ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      socket.pause()
      this.#arrive(this.#socketArrival(socket))
    })
    // A client that refuses the certificate never gets a connection: the trace still says it tried, and why.
    // (Connection 0: it never became one of the tap's numbered connections.)
    server?.on('tlsClientError', (error: Error) => {
      this.trace.record({
        kind: 'connection',
        connection: 0,
        state: 'closed',
        closedBy: 'client',
        detail: `the TLS handshake failed: ${describeError(error)}`,
      })
    })
  }

  static async start(options: WireTapOptions): Promise<WireTap> {
    if (options.webSocket) {
      await loadWebSockets()
      const tap = new WireTap(undefined, options)
      const { tls: webSocketTls, ...front } = options.webSocket
      tap.#front = await WebSocketFront.start(
        { ...front, ...(webSocketTls ? { tls: webSocketTls } : {}) },
        {
          onArrival: (arrival) => tap.#arrive(tap.#webSocketArrival(arrival)),
          onRefusal: (refusal) =>
            tap.trace.record({
              kind: 'connection',
              connection: 0,
              state: 'closed',
              closedBy: refusal.isClientsDoing ? 'client' : 'tap',
              detail: refusal.detail,
              ...(refusal.advice ? { advice: refusal.advice } : {}),
            }),
        },
      )
      if (options.upstream) {
        await tap.connectTo(options.upstream)
        tap.releaseNewConnections()
      }
      return tap
    }
    const server = options.tls
      ? tls.createServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem, noDelay: true })
      : net.createServer({ noDelay: true })
    const tap = new WireTap(server, options)
    tap.#listener = await GuardedListener.listen((socket) => server.emit('connection', socket))
    if (options.upstream) {
      await tap.connectTo(options.upstream)
      tap.releaseNewConnections()
    }
    return tap
  }

  get port(): number {
    if (this.#front) return Number(new URL(this.#front.url(false)!).port)
    return this.#listener!.port
  }

  get host(): string {
    return '127.0.0.1'
  }

  /** The URL to give a client instead of the broker's. */
  get url(): string {
    if (this.#front) return this.#front.url(false)!
    return `${this.#options.scheme ?? 'mqtt'}://${this.host}:${this.port}`
  }

  /** For a WebSocket tap with TLS: the wss:// URL (same path, another port), which ends at the broker's wss listener. */
  get secureUrl(): string | undefined {
    return this.#front?.url(true)
  }

  /** The connection opened most recently, if any. */
  get latest(): TapConnection | undefined {
    return this.connections.at(-1)
  }

  openConnections(): TapConnection[] {
    return this.connections.filter((connection) => connection.isOpen)
  }

  /** The next connection opened after `after` connections, or one already opened after them. */
  async waitForConnection(signal: AbortSignal, after = 0): Promise<TapConnection> {
    const event = await this.trace.waitFor(
      (e): e is ConnectionEvent => e.kind === 'connection' && e.state === 'opened' && e.connection > after,
      signal,
    )
    return this.connections[event.connection - 1]
  }

  /**
   * New connections wait (their bytes unread) until releaseNewConnections(): a client that reconnects after a
   * cut() cannot change the broker's state until the grader has looked at it.
   */
  holdNewConnections(): void {
    this.#waiting ??= []
  }

  releaseNewConnections(): void {
    if (!this.#upstream) throw new Error('releaseNewConnections() before connectTo(): the tap has no broker yet')
    const waiting = this.#waiting ?? []
    this.#waiting = undefined
    for (const arrival of waiting) this.#accept(arrival)
  }

  /** Names the broker to forward to, for a tap started without one. Connections keep waiting until released. */
  async connectTo(upstream: TapUpstream): Promise<void> {
    if (this.#options.shouldDecode ?? true) this.#decodeFrame ??= await loadDecoder()
    this.#upstream = upstream
  }

  /** Drops every open connection without a DISCONNECT, like pulling the power plug. */
  cutAll(): void {
    for (const connection of this.openConnections()) connection.cut()
  }

  async close(): Promise<void> {
    for (const arrival of this.#waiting ?? []) arrival.discard()
    for (const connection of this.connections) connection.destroy()
    if (this.#front) await this.#front.close()
    await this.#listener?.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #arrive(arrival: Arrival): void {
    if (this.#waiting) this.#waiting.push(arrival)
    else this.#accept(arrival)
  }

  #accept(arrival: Arrival): void {
    const id = this.connections.length + 1
    const opened = arrival.open(this.#upstream!)
    if (!opened || opened.client.destroyed) return
    const { client, broker, resume, transport } = opened
    const connection = new TapConnection(id, client, broker, this.trace, this.#decodeFrame)
    this.connections.push(connection)
    this.trace.record({ kind: 'connection', connection: id, state: 'opened', ...(transport ? { transport } : {}) })
    resume()
  }

  #socketArrival(clientSocket: net.Socket): Arrival {
    // A client that resets while it waits is gone; once connected on, the TapConnection records its errors.
    clientSocket.on('error', () => clientSocket.destroy())
    return {
      open: (upstream) => {
        const broker = this.#options.tls
          ? tls
              .connect({
                host: upstream.host,
                port: upstream.port,
                ca: this.#options.tls.upstreamCa,
                ...(net.isIP(upstream.host) ? {} : { servername: upstream.host }),
              })
              .setNoDelay(true)
          : net.connect({ host: upstream.host, port: upstream.port, noDelay: true })
        return { client: clientSocket, broker, resume: () => clientSocket.resume() }
      },
      discard: () => clientSocket.destroy(),
    }
  }

  /**
   * Completes the client's handshake and opens the tap's own WebSocket to the broker's listener of the same kind,
   * offering the client's subprotocol; what the client sends meanwhile waits in the stream until that opens.
   */
  #webSocketArrival(arrival: WebSocketArrival): Arrival {
    return {
      open: (upstream) => {
        const kind = arrival.isSecure ? 'wss' : 'ws'
        const brokerUrl = upstream.webSocketUrls?.[kind]
        const upstreamCa = this.#options.webSocket?.tls?.upstreamCa
        const { ws, server } = webSockets!
        let client: Duplex | undefined
        server.handleUpgrade(
          arrival.request,
          arrival.socket,
          arrival.head,
          (socket) => (client = ws.createWebSocketStream(socket)),
        )
        // ws answers a handshake it cannot complete (a bad key or version) with a 400 itself, and calls nothing.
        if (!client) {
          this.trace.record({
            kind: 'connection',
            connection: 0,
            state: 'closed',
            closedBy: 'tap',
            detail: 'the WebSocket handshake was malformed (answered 400)',
            advice:
              "Your client's WebSocket handshake was malformed (a missing Sec-WebSocket-Key or an old Sec-WebSocket-Version), so it was answered 400: use an MQTT library's WebSocket transport with the URL in MQTT_URL.",
          })
          return undefined
        }
        if (!brokerUrl) {
          client.destroy()
          this.trace.record({
            kind: 'connection',
            connection: 0,
            state: 'closed',
            closedBy: 'tap',
            detail: `the broker has no ${kind}:// listener to forward to`,
          })
          return undefined
        }
        const broker = ws.createWebSocketStream(
          new ws.WebSocket(`${brokerUrl}${this.#options.webSocket!.path}`, [arrival.subprotocol], {
            perMessageDeflate: false,
            ...(kind === 'wss' && upstreamCa ? { ca: upstreamCa } : {}),
          }),
        )
        return { client, broker, resume: () => {}, transport: kind }
      },
      discard: () => arrival.socket.destroy(),
    }
  }
}
