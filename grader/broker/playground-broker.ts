import type * as Http from 'node:http'
import net from 'node:net'
import type { Aedes, AedesPublishPacket, Client, Subscription } from 'aedes'
import { WebSocketServer, createWebSocketStream } from 'ws'
import { GraderError } from '../errors/grader-error.ts'
import { formatPayload } from '../mqtt/format-payload.ts'

// Not `import http from 'node:http'`: Node's ES module view of http loads its fetch (undici), ~35 ms, for nothing.
const http = process.getBuiltinModule('node:http') as typeof Http

export interface PlaygroundBrokerOptions {
  /** MQTT over TCP; 0 picks a free port. */
  port: number
  /** MQTT over WebSockets, for browsers (the site's Playground); 0 picks a free port. */
  wsPort: number
  /** One line per thing that happens: connections, subscriptions, publishes. */
  onLog?: (line: string) => void
}

export interface PlaygroundBroker extends AsyncDisposable {
  readonly port: number
  readonly wsPort: number
  readonly aedes: Aedes
  close(): Promise<void>
}

/**
 * `npm run broker`: an aedes broker on loopback with a TCP and a WebSockets listener and a live packet log, so
 * mosquitto_sub, the exercises and the site's Playground can all talk to one broker with nothing installed.
 * It listens on both 127.0.0.1 and ::1, since "localhost" may resolve to either.
 */
export async function startPlaygroundBroker(options: PlaygroundBrokerOptions): Promise<PlaygroundBroker> {
  const { Aedes } = await import('aedes')
  const aedes = await Aedes.createBroker()
  const log = options.onLog ?? (() => {})
  logActivity(aedes, log)

  const servers: Array<net.Server | Http.Server> = []
  const sockets = new Set<net.Socket>()
  const track = (server: net.Server | Http.Server) => {
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    servers.push(server)
    return server
  }
  const close = async () => {
    for (const socket of sockets) socket.destroy()
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
  }
  try {
    const tcp = track(net.createServer({ noDelay: true }, aedes.handle))
    const port = await listenOnLoopback(tcp, options.port, '--port', () =>
      track(net.createServer({ noDelay: true }, aedes.handle)),
    )
    const makeWs = () => {
      const server = http.createServer((_request, response) => {
        response
          .writeHead(426, { 'content-type': 'text/plain' })
          .end('This is an MQTT over WebSockets endpoint: connect with an MQTT client (ws://).\n')
      })
      const wss = new WebSocketServer({ server })
      // ws re-emits the HTTP server's errors on itself; listen() below already turns a busy port into a message.
      wss.on('error', () => {})
      wss.on('connection', (socket, request) => aedes.handle(createWebSocketStream(socket) as never, request))
      return track(server)
    }
    const wsPort = await listenOnLoopback(makeWs(), options.wsPort, '--ws-port', makeWs)
    return { port, wsPort, aedes, close, [Symbol.asyncDispose]: close }
  } catch (error) {
    await close()
    throw error
  }
}

/** Listens on 127.0.0.1, then on ::1 with the same port when this machine has IPv6 loopback. */
async function listenOnLoopback(
  server: net.Server | Http.Server,
  port: number,
  flag: string,
  another: () => net.Server | Http.Server,
): Promise<number> {
  const bound = await listen(server, port, '127.0.0.1').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      throw new GraderError('PORT_IN_USE', `port ${port} is already in use (is another broker running?)`, {
        hint: `stop it, or pick another port: npm run broker -- ${flag} ${port + 1}`,
      })
    }
    throw error
  })
  await listen(another(), bound, '::1').catch(() => {
    // No IPv6 loopback here (or ::1 taken by another program): 127.0.0.1 is enough.
  })
  return bound
}

function listen(server: net.Server | Http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject)
      resolve((server.address() as net.AddressInfo).port)
    })
  })
}

function logActivity(aedes: Aedes, log: (line: string) => void): void {
  const who = (client: Client | null) => client?.id ?? '(broker)'
  aedes.on('client', (client) => log(`${who(client)} connected`))
  aedes.on('clientDisconnect', (client) => log(`${who(client)} disconnected`))
  aedes.on('clientError', (client, error) => log(`${who(client)} error: ${error.message}`))
  aedes.on('subscribe', (subscriptions: Subscription[], client) => {
    log(`${who(client)} SUBSCRIBE ${subscriptions.map((s) => `${s.topic} (qos ${s.qos})`).join(', ')}`)
  })
  aedes.on('unsubscribe', (topics: string[], client) => log(`${who(client)} UNSUBSCRIBE ${topics.join(', ')}`))
  aedes.on('publish', (packet: AedesPublishPacket, client) => {
    if (!client) return // the broker's own $SYS messages
    log(
      `${who(client)} PUBLISH ${packet.topic} qos=${packet.qos} retain=${packet.retain ? 1 : 0} ${formatPayload(packet.payload as Buffer)}`,
    )
  })
}
