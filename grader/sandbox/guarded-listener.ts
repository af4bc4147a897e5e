import { readFileSync } from 'node:fs'
import net from 'node:net'

/**
 * A loopback TCP listener of the grader's — a wire tap, an impostor TLS server, the embedded broker, a front for
 * Mosquitto — that only the grader and the programs granted it can reach:
 *
 * - a program in a network namespace of its own (bubblewrap) cannot reach the grader's loopback at all: it gets
 *   the listeners named in its environment as sockets of its own namespace (sandbox-init.ts binds them and hands
 *   them over), and adopt() takes their connections in;
 * - a program dropped to a uid of its own (the grader is root, no namespaces) shares the loopback: every
 *   connection's owner is read from /proc/net/tcp (the kernel records each socket's uid) and only the grader's
 *   own uid and the uids granted this listener are let in. The others are closed before a byte is read, so they
 *   leave no trace in anyone's grade. A tap's listener admits so always, on Linux: a program of another grader on
 *   the same machine (another batch, a colleague's `npm run grade`) is kept out too; nobody else knocks there.
 *
 * Connections are handed on as raw sockets (`onConnection`): a TLS or HTTP server takes them with
 * emit('connection'), exactly as if it had accepted them itself.
 */
export class GuardedListener {
  readonly #server: net.Server
  readonly port: number
  readonly #onConnection: (socket: net.Socket) => void
  readonly #granted = new Set<number>()
  readonly #adopted = new Set<net.Server>()

  private constructor(server: net.Server, onConnection: (socket: net.Socket) => void) {
    this.#server = server
    this.port = (server.address() as net.AddressInfo).port
    this.#onConnection = onConnection
    server.on('connection', (socket) => {
      if (isGuarded && !this.#admits(socket)) {
        socket.destroy()
        return
      }
      onConnection(socket)
    })
  }

  /** Listens on 127.0.0.1, on `port` or a free one (0). */
  static async listen(onConnection: (socket: net.Socket) => void, port = 0): Promise<GuardedListener> {
    const server = net.createServer({ noDelay: true, pauseOnConnect: false })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    const listener = new GuardedListener(server, onConnection)
    byPort.set(listener.port, listener)
    return listener
  }

  /** Lets the programs running as `uid` in (where programs share the grader's loopback). */
  grant(uid: number): void {
    this.#granted.add(uid)
  }

  /**
   * Takes in the connections of a listener a program bound in its own network namespace, on this listener's
   * port: the program connects to the same URL as anywhere else. Closed with this listener, or by the caller
   * when the program is gone.
   */
  adopt(server: net.Server): void {
    this.#adopted.add(server)
    server.on('connection', (socket: net.Socket) => {
      socket.setNoDelay(true)
      this.#onConnection(socket)
    })
    server.on('close', () => this.#adopted.delete(server))
  }

  async close(): Promise<void> {
    if (byPort.get(this.port) === this) byPort.delete(this.port)
    for (const adopted of this.#adopted) adopted.close()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #admits(socket: net.Socket): boolean {
    const uid = peerUid(socket)
    return uid !== undefined && (uid === graderUid || this.#granted.has(uid))
  }
}

const byPort = new Map<number, GuardedListener>()
const graderUid = process.getuid?.() ?? -1
/** Where the kernel lists each socket's uid (/proc/net/tcp): Linux. Elsewhere (a student's Mac) all get in. */
const isGuarded = process.platform === 'linux'

/** The grader's listener on `port`, if it has one. */
export function listenerOnPort(port: number): GuardedListener | undefined {
  return byPort.get(port)
}

/** Whether the other end of `socket` is a socket of the grader's own uid (always, where the kernel cannot say). */
export function isFromGrader(socket: net.Socket): boolean {
  return !isGuarded || peerUid(socket) === graderUid
}

/**
 * Whether this process runs programs as uids of their own on the grader's loopback (--sandbox uid): then its
 * brokers admit only the grader too (the embedded broker checks each connection, Mosquitto listens on a Unix
 * socket behind a guarded front). Elsewhere the programs cannot reach them, and the grader's many connections to
 * its brokers are spared the check.
 */
let isSharingLoopback = false

export function guardBrokers(): void {
  isSharingLoopback = true
}

export function areBrokersGuarded(): boolean {
  return isSharingLoopback
}

/**
 * The uid that owns the other end of `socket`: the line of /proc/net/tcp (or tcp6) whose local address is the
 * socket's remote one and whose remote address is its local one. Undefined when the kernel no longer lists it.
 */
export function peerUid(socket: net.Socket): number | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket
  if (!remoteAddress || remotePort === undefined || !localAddress || localPort === undefined) return undefined
  // The client's socket is listed in tcp (an IPv4 socket) or tcp6 (a dual-stack one, with ::ffff:a.b.c.d).
  const wanted = {
    '/proc/net/tcp': `${procAddress(remoteAddress, remotePort)} ${procAddress(localAddress, localPort)}`,
    '/proc/net/tcp6': `${procAddress6(remoteAddress, remotePort)} ${procAddress6(localAddress, localPort)}`,
  }
  for (const [file, key] of Object.entries(wanted)) {
    let table: string
    try {
      table = readFileSync(file, 'latin1')
    } catch {
      continue
    }
    // One line per socket: sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
    const at = table.indexOf(` ${key} `)
    if (at < 0) continue
    const fields = table.slice(at, table.indexOf('\n', at)).trim().split(/\s+/)
    if (fields.length > 6) return Number(fields[6])
  }
  return undefined
}

/** An IPv4 address as /proc/net/tcp writes it: the 32-bit number in host (little-endian) byte order, in hex. */
function procAddress(address: string, port: number): string {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  const hex = v4
    .split('.')
    .map((octet) => Number(octet).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase()
  return `${hex}:${port.toString(16).padStart(4, '0').toUpperCase()}`
}

/** An address as /proc/net/tcp6 writes it: four 32-bit words, each little-endian, in hex. */
function procAddress6(address: string, port: number): string {
  const bytes =
    net.isIPv4(address) || address.startsWith('::ffff:')
      ? [
          ...Array(10).fill(0),
          0xff,
          0xff,
          ...(address.startsWith('::ffff:') ? address.slice(7) : address).split('.').map(Number),
        ]
      : ipv6Bytes(address)
  let hex = ''
  for (let word = 0; word < 4; word++) {
    hex += bytes
      .slice(word * 4, word * 4 + 4)
      .reverse()
      .map((byte) => byte.toString(16).padStart(2, '0'))
      .join('')
  }
  return `${hex.toUpperCase()}:${port.toString(16).padStart(4, '0').toUpperCase()}`
}

function ipv6Bytes(address: string): number[] {
  const [head, tail = ''] = address.split('::')
  const headGroups = head ? head.split(':') : []
  const tailGroups = tail ? tail.split(':') : []
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  return groups.flatMap((group) => {
    const value = Number.parseInt(group, 16)
    return [value >> 8, value & 0xff]
  })
}
