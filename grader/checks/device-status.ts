import type { IConnectPacket } from 'mqtt-packet'
import { isDisconnect, isPublishTo, payloadText } from '../mqtt/packet-guards.ts'
import type { Random } from '../runner/random.ts'
import { fail } from './check-failure.ts'
import type { Harness, Inputs } from './harness.ts'

// A device's status topic, as the lessons teach it (lesson 5, and again over WebSockets in exercise 11): a
// retained "online" when it connects, a retained will "offline" for a power loss. The pieces of the checks that
// the exercises share; each exercise keeps its own titles, hints and the sentences that name its transport.

type StatusInputs = Inputs & { DEVICE_ID: string; STATUS_TOPIC: string }

/** A device of this run and its status topic: `acme/site-3/valve-1a2b/status`. */
export function deviceStatusInputs(random: Random): { DEVICE_ID: string; STATUS_TOPIC: string } {
  const device = random.id(random.pick(['sensor', 'meter', 'valve', 'pump', 'gateway']))
  return {
    DEVICE_ID: device,
    STATUS_TOPIC: `${random.pick(['acme', 'globex', 'initech', 'umbrella', 'hooli'])}/site-${random.int(1, 9)}/${device}/status`,
  }
}

/** What a dashboard that connects now would be told: the retained status ("(nothing)" when there is none). */
export async function retainedStatus(h: Harness<StatusInputs>): Promise<{ text: string; isRetained: boolean }> {
  const message = await h.retainedMessage(h.inputs.STATUS_TOPIC)
  return message ? { text: payloadText(message), isRetained: message.retain } : { text: '(nothing)', isRetained: false }
}

/**
 * The CONNECT's will is "offline" on STATUS_TOPIC at QoS 1. `missing` is the sentence for a CONNECT without a
 * will, `wrongQos` the one for another QoS; `expected` what the report shows as expected, with no will and else.
 */
export function expectStatusWill(
  h: Harness<StatusInputs>,
  connect: IConnectPacket,
  sentences: {
    missing: string
    wrongQos: (qos: number | undefined) => string
    expected: { missing: string; mismatch: string }
  },
): void {
  const { STATUS_TOPIC } = h.inputs
  const will = connect.will
  if (!will) fail({ message: sentences.missing, expected: sentences.expected.missing, received: 'will=none' })
  const expected = sentences.expected.mismatch
  if (will.topic !== STATUS_TOPIC)
    fail({
      message: `Your will goes to "${will.topic}", but the device's status lives on STATUS_TOPIC.`,
      expected,
      received: `will.topic="${will.topic}"`,
    })
  if (payloadText(will) !== 'offline')
    fail({
      message: `Your will says "${payloadText(will)}"; dashboards expect exactly "offline".`,
      expected,
      received: `will.payload="${payloadText(will)}"`,
    })
  if (will.qos !== 1) fail({ message: sentences.wrongQos(will.qos), expected, received: `will.qos=${will.qos}` })
}

/** A subscriber that connects now is told the retained "online". */
export async function expectRetainedOnline(h: Harness<StatusInputs>): Promise<void> {
  const retained = await retainedStatus(h)
  if (retained.text !== 'online' || !retained.isRetained) {
    fail({
      message: `A subscriber that connects now is told ${retained.text}, not the retained "online".`,
      expected: 'retain=1 payload="online"',
      received: retained.text,
    })
  }
}

/**
 * Power loss: the grader cuts the task connection (`what` names it: "connection", "WebSocket"), the broker must
 * publish the will, and it must replace the retained "online". The client's reconnection is held meanwhile.
 */
export async function expectWillOnPowerLoss(h: Harness<StatusInputs>, what: string): Promise<void> {
  const { STATUS_TOPIC } = h.inputs
  const observer = await h.observer()
  const after = observer.trace.cursor
  // MQTT.js reconnects by itself after a cut; keep it out until the grader has looked at the status.
  h.tap.holdNewConnections()
  try {
    h.taskConnection().cut()
    await h.expectMessage(observer, {
      description: `"offline" on ${STATUS_TOPIC}, published by the broker as your will when the grader cut your ${what}`,
      match: (m) => m.topic === STATUS_TOPIC && payloadText(m) === 'offline',
      after,
    })
    const retained = await retainedStatus(h)
    if (retained.text !== 'offline') {
      fail({
        message: `After the power loss, a dashboard that connects is still told "${retained.text}": your will was published to the subscribers of that moment, but it was not retained, so it did not replace the retained "online".`,
        expected: 'the retained status is "offline" (will with retain=1)',
        received: `the retained status is "${retained.text}"`,
      })
    }
  } finally {
    h.tap.releaseNewConnections()
  }
}

/** After the cut of expectWillOnPowerLoss, the client connects again and publishes "online" again. */
export async function expectBackOnline(h: Harness<StatusInputs>): Promise<void> {
  const { STATUS_TOPIC } = h.inputs
  // The cut happened in the previous check; the reconnection may already be in the trace (the tap held it).
  // Connection 0 is an attempt the tap turned away before it became a connection (a WebSocket refusal): no cut.
  const cutAt =
    h
      .studentTrace()
      .findLast((e) => e.kind === 'connection' && e.state === 'closed' && e.closedBy === 'tap' && e.connection > 0)
      ?.seq ?? 0
  const reconnect = await h.expectConnect({
    description: `a new CONNECT as ${h.inputs.DEVICE_ID} after the cut (MQTT.js reconnects by itself unless reconnectPeriod is 0: leave it at its default)`,
    after: cutAt,
  })
  const after = h.tap.trace.packets((e) => e.packet === reconnect, cutAt)[0]?.seq ?? cutAt
  await h.expectPacket({
    from: 'program',
    description: `a PUBLISH of "online" to ${STATUS_TOPIC} after reconnecting`,
    match: isPublishTo(STATUS_TOPIC, 'online'),
    after,
  })
}

/**
 * A clean stop: after SIGTERM the program publishes "offline" itself, retained, sends a DISCONNECT (so the broker
 * discards the will) and exits 0. `disconnectAdvice` says, in the exercise's words, how to wait for the DISCONNECT.
 */
export async function expectGracefulOffline(h: Harness<StatusInputs>, disconnectAdvice: string): Promise<void> {
  const { STATUS_TOPIC } = h.inputs
  const program = await h.program()
  const after = h.cursor()
  program.terminate()
  const publish = await h.expectPacket({
    from: 'program',
    description: `a PUBLISH of "offline" to ${STATUS_TOPIC} after SIGTERM`,
    match: isPublishTo(STATUS_TOPIC, 'offline'),
    after,
  })
  if (!publish.retain) {
    fail({
      message:
        'You publish "offline" without the retain flag, so the retained status stays "online" after your device is gone.',
      expected: `PUBLISH topic="${STATUS_TOPIC}" retain=1 payload="offline"`,
      received: `PUBLISH topic="${STATUS_TOPIC}" retain=0 payload="offline"`,
    })
  }
  await h.expectPacket({
    from: 'program',
    description: `a DISCONNECT after publishing "offline" (${disconnectAdvice})`,
    match: isDisconnect,
    after,
  })
  const exit = await h.expectExit('exited once disconnected')
  if (exit.exitCode !== 0) {
    fail({
      message: `Your program disconnected but then exited with ${exit.signal ?? `code ${exit.exitCode}`}; a clean stop exits with code 0.`,
      expected: 'exit code 0',
      received: `${exit.signal ?? `exit code ${exit.exitCode}`}`,
    })
  }
}
