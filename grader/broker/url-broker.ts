import type { Broker, BrokerBackend, Capability } from './broker.ts'
import { GraderError, describeError } from '../errors/grader-error.ts'
import { deadlineSignal } from '../time/deadline.ts'
import { connackCode } from '../mqtt/packet-guards.ts'
import { probeBroker } from './probe-broker.ts'

/**
 * A broker the user names with `--broker mqtt://host:port`. The grader cannot configure it, so checks that need
 * users, an ACL or TLS are skipped with a reason; whether it speaks MQTT 5 is probed.
 */
export function urlBackend(url: string): BrokerBackend {
  const { host, port } = parseBrokerUrl(url)
  return {
    kind: 'url',
    capabilities: new Set(),
    async checkAvailable() {
      return { isAvailable: true }
    },
    async start(_setup, signal): Promise<Broker> {
      try {
        await probeBroker({ host, port, signal: deadlineSignal(5_000, signal) })
      } catch (error) {
        throw new GraderError('BROKER_UNAVAILABLE', `no MQTT broker answered at ${url}: ${describeError(error)}`, {
          hint: 'check the address, start the broker (npm run broker starts one on mqtt://localhost:1883), or use --broker auto',
          cause: error,
        })
      }
      const offered = new Set<Capability>()
      const v5 = await probeBroker({ host, port, protocolVersion: 5, signal: deadlineSignal(5_000, signal) }).catch(
        () => undefined,
      )
      if (v5 && v5.reasonCode !== undefined && connackCode(v5) === 0) offered.add('mqtt5')
      const stop = async () => {}
      return {
        kind: 'url',
        label: `${url} (your broker)`,
        host,
        port,
        url: `mqtt://${host}:${port}`,
        capabilities: offered,
        graderCredentials: undefined,
        logTail: () => '',
        stop,
        [Symbol.asyncDispose]: stop,
      }
    },
  }
}

export function parseBrokerUrl(url: string): { host: string; port: number } {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new GraderError('USAGE', `--broker ${url} is not a URL`, {
      hint: 'use auto, embedded, mosquitto, container, or a URL like mqtt://localhost:1883',
    })
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') {
    throw new GraderError('USAGE', `--broker ${url}: only mqtt:// URLs are supported (got ${parsed.protocol}//)`, {
      hint: 'use a URL like mqtt://localhost:1883',
    })
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  return { host, port: parsed.port ? Number(parsed.port) : 1883 }
}
