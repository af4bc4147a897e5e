import net from 'node:net'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import type { Broker, BrokerBackend, BrokerSetup, Capability } from './broker.ts'
import { GraderError } from '../errors/grader-error.ts'
import { probeBroker } from './probe-broker.ts'
import { areBrokersGuarded, isFromGrader } from '../sandbox/guarded-listener.ts'

const offered: ReadonlySet<Capability> = new Set()

/** aedes in the grader's own process: MQTT 3.1.1, anonymous, nothing to install, the fastest to start. */
export const embeddedBackend: BrokerBackend = {
  kind: 'embedded',
  capabilities: offered,
  async checkAvailable() {
    return { isAvailable: true }
  },
  async start(setup: BrokerSetup, signal: AbortSignal): Promise<Broker> {
    if (setup.users?.length || setup.acl !== undefined) {
      throw new GraderError('BROKER_UNAVAILABLE', 'the embedded broker cannot enforce users or an ACL', {
        hint: 'use --broker mosquitto or --broker container',
      })
    }
    return startEmbeddedBroker({ port: 0, signal })
  },
}

export interface EmbeddedBrokerOptions {
  /** 0 picks a free port. */
  port: number
  host?: string
  signal: AbortSignal
}

export interface EmbeddedBroker extends Broker {
  /** The aedes instance, for `npm run broker`'s live log and WebSockets listener. */
  readonly aedes: import('aedes').Aedes
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes')
  const aedes = await Aedes.createBroker({ heartbeatInterval: 60_000 })
  // Nagle's algorithm with delayed ACKs costs ~40 ms per request/response round trip; the grader does many.
  // Where programs share the grader's loopback (--sandbox uid), only the grader's own clients and taps get in.
  const server = net.createServer({ noDelay: true }, (socket) => {
    if (areBrokersGuarded() && !isFromGrader(socket)) socket.destroy()
    else aedes.handle(socket)
  })
  const host = options.host ?? '127.0.0.1'
  const log: string[] = []
  aedes.on('clientError', (client, error) => log.push(`client ${client?.id ?? '?'} error: ${error.message}`))
  aedes.on('connectionError', (client, error) =>
    log.push(`connection error (${client?.id ?? 'before CONNECT'}): ${error.message}`),
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as net.AddressInfo).port
  let isStopped = false
  const stop = async () => {
    if (isStopped) return
    isStopped = true
    await new Promise<void>((resolve) => aedes.close(() => resolve()))
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  const broker: EmbeddedBroker = {
    kind: 'embedded',
    label: `embedded (aedes ${aedesVersion()})`,
    host,
    port,
    url: `mqtt://${host}:${port}`,
    capabilities: offered,
    graderCredentials: undefined,
    aedes,
    logTail: () => log.slice(-20).join('\n'),
    stop,
    [Symbol.asyncDispose]: stop,
  }
  try {
    await probeBroker({ host, port, signal: options.signal })
  } catch (error) {
    await stop()
    throw error
  }
  return broker
}

/** aedes does not export its package.json: read it next to its entry point. */
function aedesVersion(): string {
  const entry = createRequire(import.meta.url).resolve('aedes')
  return (JSON.parse(readFileSync(path.join(path.dirname(entry), 'package.json'), 'utf8')) as { version: string })
    .version
}
