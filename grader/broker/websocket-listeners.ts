import type { Credentials } from './broker.ts'
import { describeError } from '../errors/grader-error.ts'
import { findFreePort } from './free-port.ts'
import { StudentConfigError, type WebSocketListenerKind, type WebSocketUrls } from './student-config.ts'
import { probeBroker } from './probe-broker.ts'

/** Where a broker's WebSocket listeners answer, by kind: `ws://127.0.0.1:41000` (no path: Mosquitto serves any). */
export type { WebSocketUrls } from './student-config.ts'

/**
 * A free port for each WebSocket listener the student's config must add: free on every address, since Mosquitto
 * 2.0's WebSocket listeners ignore the bind address and listen on all of them.
 */
export async function findWebSocketPorts(
  kinds: readonly WebSocketListenerKind[] | undefined,
): Promise<Partial<Record<WebSocketListenerKind, number>>> {
  const ports: Partial<Record<WebSocketListenerKind, number>> = {}
  for (const kind of kinds ?? []) ports[kind] = await findFreePort(undefined)
  return ports
}

export interface WebSocketProbeOptions {
  host: string
  ports: Partial<Record<WebSocketListenerKind, number>>
  credentials: Credentials | undefined
  /** The CA behind the wss listener's certificate. */
  tlsCa: string | undefined
  signal: AbortSignal
}

/**
 * Connects to each WebSocket listener with MQTT (a CONNECT, its CONNACK, a DISCONNECT), so a listener that
 * Mosquitto opened but cannot serve (a wss listener with the wrong certificate) is the student's config failing,
 * not a program that cannot connect. Returns their URLs.
 */
export async function probeWebSocketListeners(options: WebSocketProbeOptions): Promise<WebSocketUrls> {
  const urls: WebSocketUrls = {}
  for (const [kind, port] of Object.entries(options.ports) as [WebSocketListenerKind, number][]) {
    const url = `${kind}://${options.host}:${port}`
    try {
      await probeBroker({
        host: options.host,
        port,
        credentials: options.credentials,
        webSocketUrl: `${url}/mqtt`,
        tlsCa: kind === 'wss' ? options.tlsCa : undefined,
        signal: options.signal,
      })
    } catch (error) {
      throw new StudentConfigError(
        kind === 'wss'
          ? "Mosquitto is running, but a client that trusts the course CA cannot speak MQTT over wss:// to your WebSockets listener with TLS: it does not serve the course's certificate."
          : 'Mosquitto is running, but a client cannot speak MQTT over ws:// to your WebSockets listener.',
        [],
        {
          received: `the ${kind}:// client got: ${describeError(error)}`,
          hint:
            kind === 'wss'
              ? 'Under the second WebSockets listener: protocol websockets, cafile ca.crt, certfile server.crt, keyfile server.key.'
              : 'Under its listener line: protocol websockets (and no certfile: this one is plain ws://).',
        },
      )
    }
    urls[kind] = url
  }
  return urls
}
