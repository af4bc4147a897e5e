import type * as Http from 'node:http'
import type * as Https from 'node:https'
import type { Duplex } from 'node:stream'
import { describeError } from '../errors/grader-error.ts'
import { GuardedListener } from '../sandbox/guarded-listener.ts'

// Not `import http from 'node:http'`: Node's ES module view of http loads its fetch (undici), ~35 ms of every
// grading process's start, for nothing.
const http = process.getBuiltinModule('node:http') as typeof Http
const https = process.getBuiltinModule('node:https') as typeof Https

/** The WebSocket subprotocols that name MQTT [MQTT-6.0.0-3]: "mqtt" (3.1.1 and 5), "mqttv3.1" (MQTT.js for 3.1). */
const mqttSubprotocols = ['mqtt', 'mqttv3.1']

export interface WebSocketFrontOptions {
  /** The one path the front serves MQTT at, like a reverse proxy in front of the broker: "/mqtt". */
  path: string
  /** Also serve wss:// on a second port, with this certificate (the broker's own, signed by the course CA). */
  tls?: { certificatePem: string; privateKeyPem: string }
}

/** A client's WebSocket handshake the front found good; the tap completes it when it connects the client on. */
export interface WebSocketArrival {
  request: Http.IncomingMessage
  socket: Duplex
  head: Buffer
  /** The MQTT subprotocol the client offered, which the broker is offered in turn. */
  subprotocol: string
  isSecure: boolean
}

/** A client the front turned away, in the trace's words (`detail`) and the student's (`advice`). */
export interface WebSocketRefusal {
  detail: string
  advice: string
  /** The client broke off (a TLS handshake it refused); otherwise the front turned it away. */
  isClientsDoing?: boolean
}

export interface WebSocketFrontEvents {
  onArrival(arrival: WebSocketArrival): void
  onRefusal(refusal: WebSocketRefusal): void
}

/**
 * The tap's side facing a client that speaks MQTT over WebSockets: an HTTP server for ws:// (and an HTTPS one
 * for wss://) that accepts a handshake for the right path with an MQTT subprotocol, and turns everything else
 * away with a status code and a sentence for the trace. The tap itself forwards the MQTT inside (wire-tap.ts).
 */
export class WebSocketFront {
  readonly #options: WebSocketFrontOptions
  readonly #events: WebSocketFrontEvents
  readonly #servers: { server: Http.Server | Https.Server; isSecure: boolean; listener?: GuardedListener }[] = []

  private constructor(options: WebSocketFrontOptions, events: WebSocketFrontEvents) {
    this.#options = options
    this.#events = events
  }

  static async start(options: WebSocketFrontOptions, events: WebSocketFrontEvents): Promise<WebSocketFront> {
    const front = new WebSocketFront(options, events)
    front.#listen(http.createServer({ noDelay: true }), false)
    if (options.tls)
      front.#listen(
        https.createServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem, noDelay: true }),
        true,
      )
    // The HTTP servers never listen themselves: a guarded listener takes each connection and hands it on.
    for (const entry of front.#servers)
      entry.listener = await GuardedListener.listen((socket) => entry.server.emit('connection', socket))
    return front
  }

  /** `ws://127.0.0.1:41000/mqtt`, or the wss:// one (undefined without TLS). */
  url(isSecure: boolean): string | undefined {
    const found = this.#servers.find((entry) => entry.isSecure === isSecure)
    return found && `${isSecure ? 'wss' : 'ws'}://127.0.0.1:${found.listener!.port}${this.#options.path}`
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map(async ({ server, listener }) => {
        server.closeAllConnections()
        await listener?.close()
      }),
    )
  }

  #listen(server: Http.Server | Https.Server, isSecure: boolean): void {
    this.#servers.push({ server, isSecure })
    const scheme = isSecure ? 'wss' : 'ws'
    server.on('upgrade', (request: Http.IncomingMessage, socket: Duplex, head: Buffer) => {
      // HTTP lets go of an upgraded socket: until ws takes it (or while it waits at the tap), a client's reset
      // would be an uncaught error in the grader.
      socket.on('error', () => socket.destroy())
      const path = new URL(request.url ?? '/', 'http://tap').pathname
      const offered = (request.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
      const subprotocol = offered.find((name) => mqttSubprotocols.includes(name))
      if ((request.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        return this.#refuse(socket, 400, {
          detail: `an HTTP upgrade to "${request.headers.upgrade}", not to websocket`,
          advice: `Your client asked to upgrade its HTTP connection to "${request.headers.upgrade}"; MQTT_URL is a ${scheme}:// URL: give it to mqtt.connect() as it is.`,
        })
      }
      if (path !== this.#options.path) {
        return this.#refuse(socket, 404, {
          detail: `the WebSocket handshake asked for the path ${path}; MQTT is served at ${this.#options.path}`,
          advice: `Your client asked for the WebSocket path ${path}, but the broker serves MQTT at ${this.#options.path}, the path in MQTT_URL (a web server or proxy in front of a broker routes by path, and answers 404 for any other). Connect to MQTT_URL as it is: MQTT.js takes the path from the URL, so drop any path option of your own.`,
        })
      }
      if (!subprotocol) {
        return this.#refuse(socket, 400, {
          detail: `the WebSocket handshake offered ${offered.length ? `the subprotocols ${offered.join(', ')}` : 'no subprotocol'}, not "mqtt"`,
          advice: `Your client opened a WebSocket without offering the subprotocol "mqtt" (Sec-WebSocket-Protocol), which MQTT over WebSockets requires [MQTT-6.0.0-3]: use an MQTT client library's WebSocket transport (mqtt.connect() with the ${scheme}:// URL), not a bare WebSocket.`,
        })
      }
      this.#events.onArrival({ request, socket, head, subprotocol, isSecure })
    })
    server.on('request', (request: Http.IncomingMessage, response: Http.ServerResponse) => {
      this.#events.onRefusal({
        detail: `a plain HTTP ${request.method} ${request.url}, without "Upgrade: websocket"`,
        advice: `Your client sent a plain HTTP request (${request.method} ${request.url}) and never asked to upgrade it to a WebSocket: connect with an MQTT client to the ${scheme}:// URL in MQTT_URL.`,
      })
      response
        .writeHead(426, { Upgrade: 'websocket', 'Content-Type': 'text/plain' })
        .end('This is an MQTT over WebSockets endpoint: connect with an MQTT client.\n')
    })
    // Bytes that are no HTTP at all: most often an MQTT client speaking plain TCP (its CONNECT starts with 0x10).
    server.on('clientError', (error: Error & { rawPacket?: Buffer; code?: string }, socket: Duplex) => {
      socket.destroy()
      // Only what HTTP's parser refused (HPE_*) says something about the client: a reset or a broken-off TLS
      // handshake (recorded by tlsClientError) is reported here too.
      if (!error.code?.startsWith('HPE_')) return
      const first = error.rawPacket?.[0]
      this.#events.onRefusal(
        first !== undefined && first >> 4 === 1
          ? {
              detail: `not a WebSocket handshake: the first byte, 0x${first.toString(16).padStart(2, '0')}, starts an MQTT CONNECT sent over plain TCP`,
              advice: `Your client spoke MQTT over plain TCP (its first byte, 0x${first.toString(16).padStart(2, '0')}, starts a CONNECT) to a WebSocket endpoint, which expects an HTTP handshake first. MQTT_URL is a ${scheme}:// URL: pass it to mqtt.connect() as it is, without a protocol, port or host option of your own.`,
            }
          : {
              detail: `not a WebSocket handshake (${describeError(error)})`,
              advice: `Your client sent something that is not an HTTP WebSocket handshake (${describeError(error)}): connect with an MQTT client to the ${scheme}:// URL in MQTT_URL.`,
            },
      )
    })
    if (isSecure) {
      // The same words as the TCP tap's: the harness explains a broken-off handshake (a CA the client lacks).
      server.on('tlsClientError', (error: Error & { code?: string }) => {
        // OpenSSL names a client that opened with plain HTTP: it never tried TLS, so its CA is not the question.
        if (error.code === 'ERR_SSL_HTTP_REQUEST') {
          return this.#events.onRefusal({
            detail: 'not TLS: the client sent a plain HTTP request to the wss:// endpoint',
            advice:
              'Your client sent a plain HTTP WebSocket handshake to the wss:// endpoint without starting TLS first. A wss:// URL means TLS: with MQTT.js pass the URL as it is; with another library turn its TLS on (paho: tls_set(ca_certs=...)).',
          })
        }
        this.#events.onRefusal({
          detail: `the TLS handshake failed: ${describeError(error).trim()}`,
          advice: '',
          isClientsDoing: true,
        })
      })
    }
  }

  #refuse(socket: Duplex, status: number, refusal: WebSocketRefusal): void {
    this.#events.onRefusal(refusal)
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  }
}
