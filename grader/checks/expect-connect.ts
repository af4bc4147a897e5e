import type { IConnectPacket } from 'mqtt-packet'
import { isConnect } from '../mqtt/packet-guards.ts'
import type { CheckContext } from './check-context.ts'
import { CheckFailure, fail } from './check-failure.ts'

/** Harness.expectConnect, for a check's harness (harness.ts says what it waits for). */
export async function expectConnect(
  h: CheckContext,
  options: { after?: number; description?: string } = {},
): Promise<IConnectPacket> {
  const expected = h.session.options.taskClientId
  const after = options.after ?? 0
  const description =
    options.description ??
    (expected ? `a CONNECT with the client id ${expected.input} ("${expected.value}")` : 'a CONNECT')
  try {
    return await h.expectPacket({
      from: 'program',
      description,
      match: (packet): packet is IConnectPacket =>
        isConnect(packet) && (!expected || packet.clientId === expected.value),
      after,
      connections: 'any',
    })
  } catch (error) {
    const handshake = h.tap.trace
      .events(after)
      .find((e) => e.kind === 'connection' && e.detail?.startsWith('the TLS handshake failed'))
    if (error instanceof CheckFailure && handshake?.kind === 'connection') {
      fail({
        message:
          "Your client broke off the TLS handshake with the broker, so no CONNECT could follow: most often because it does not trust the broker's certificate. Does it trust the course CA (the ca option, read from CA_FILE)? What your program printed is below.",
        expected: description,
        received: error.details.received ?? 'no CONNECT',
        trace: h.tap.trace.events(after),
      })
    }
    // A WebSocket tap turned the client away before any MQTT (plain TCP, a wrong path): it says why.
    const refusal = h.tap.trace
      .events(after)
      .findLast((e) => e.kind === 'connection' && e.connection === 0 && e.advice !== undefined)
    if (error instanceof CheckFailure && refusal?.kind === 'connection') {
      fail({
        message: refusal.advice!,
        expected: description,
        received: refusal.detail ?? 'no CONNECT',
        trace: h.tap.trace.events(after),
      })
    }
    const used = [
      ...new Set(
        h.tap.trace
          .packets((e) => e.direction === 'to-broker' && isConnect(e.packet), after)
          .map((e) => (e.packet as IConnectPacket).clientId),
      ),
    ]
    if (!(error instanceof CheckFailure) || !expected || used.length === 0) throw error
    // MQTT.js makes up "mqttjs_<8 hex>" when given no clientId: say that, not the id (it changes every run).
    const named = used.map((id) =>
      /^mqttjs_[0-9a-f]+$/.test(id) ? 'a random id MQTT.js made up (you gave it no clientId)' : JSON.stringify(id),
    )
    fail({
      message: `Your program connected as ${named.join(' and ')}, but never with the client id this run gave you in ${expected.input}. The broker tells clients apart by their id, and the grader judges the connection that uses it: connect with process.env.${expected.input}.`,
      expected: `CONNECT clientId="${expected.value}"`,
      received: used.map((id) => `CONNECT clientId="${id}"`).join('\n'),
      trace: h.tap.trace.events(after),
    })
  }
}
