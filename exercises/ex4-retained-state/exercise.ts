import type { IPublishPacket } from 'mqtt-packet'
import { fail } from '../../grader/checks/check-failure.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isDisconnect, isPublishTo, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { describeExit } from '../../grader/runner/student-program.ts'
import { quoteText } from '../../grader/wiretap/format-packet.ts'

type Inputs = { DEVICE_ID: string; STATE_TOPIC: string; CONTROL_TOPIC: string; FIRMWARE: string; LOCATION: string }

interface DeviceState {
  device: string
  firmware: string
  location: string
}

/** Checks a state payload against the expected state; fails naming the first difference. */
function expectState(payload: string, expected: DeviceState, where: string): void {
  let state: Partial<DeviceState>
  try {
    state = JSON.parse(payload) as Partial<DeviceState>
  } catch {
    fail({
      message: `${where} is not JSON: ${quoteText(payload)}. Build it with JSON.stringify(state): it escapes what a template string does not (quotes, backslashes).`,
      expected: JSON.stringify(expected),
      received: payload,
    })
  }
  for (const field of ['device', 'firmware', 'location'] as const) {
    if (state[field] !== expected[field]) {
      fail({
        message: `${where} has "${field}": ${JSON.stringify(state[field])}, but it should be ${JSON.stringify(expected[field])}.`,
        expected: JSON.stringify(expected),
        received: payload,
      })
    }
  }
}

/** The state message a dashboard that connects now gets, which must be `expected`, retained. */
async function expectRetainedState(h: Harness<Inputs>, expected: DeviceState, hint: string): Promise<void> {
  const retained = await h.retainedMessage(h.inputs.STATE_TOPIC)
  if (!retained)
    fail({
      message: `A dashboard that connects now gets no state at all on ${h.inputs.STATE_TOPIC}: ${hint}`,
      expected: JSON.stringify(expected),
      received: 'no retained message',
    })
  expectState(payloadText(retained), expected, `The retained state a dashboard gets when it connects now`)
}

export default defineExercise<Inputs>({
  id: 'ex4',
  slug: 'retained-state',
  title: 'Retained device state',
  summary:
    'Keep the last known state of a device on the broker with retained messages, update it, and clear it when the device is decommissioned.',
  lesson: '04-retained-messages',
  run: {
    entry: 'main.ts',
    inputs: (random) => {
      const device = random.id('thermostat')
      const base = `${random.pick(['acme', 'globex', 'initech', 'hooli'])}/site-${random.int(1, 9)}/${device}`
      return {
        DEVICE_ID: device,
        STATE_TOPIC: `${base}/state`,
        CONTROL_TOPIC: `${base}/control`,
        FIRMWARE: `${random.int(1, 4)}.${random.int(0, 12)}.${random.int(0, 30)}`,
        LOCATION: random.pick(['kitchen', 'hallway', 'office', 'bedroom', 'lab']),
      }
    },
    deadlineMs: 45_000,
    startsEarly: true,
    clientIdInput: 'DEVICE_ID',
  },
  hints: [
    'A retained message is the one the broker keeps for a topic and hands to every new subscriber at once: the "last known value". One flag decides it: { retain: true }.',
    'Every time the state changes, publish the whole state again, retained: the broker keeps only the latest retained message of a topic.',
    'To remove a retained message, publish an empty payload (zero bytes), retained, to the same topic. Then wait for the acknowledgement before you disconnect and exit.',
  ],
  setUp: observeTopics((h) => [h.inputs.STATE_TOPIC]),
  checks: [
    {
      id: 'publishes-state-retained',
      title:
        'Your program publishes its state as JSON to STATE_TOPIC, retained, so a dashboard connecting later gets it',
      points: 2,
      covers: [1, 2],
      hint: 'client.publish(STATE_TOPIC, JSON.stringify({ device, firmware, location }), { qos: 1, retain: true }), once connected.',
      lessonSection: 'the-retain-flag',
      async run(h) {
        await h.program()
        await h.expectConnect()
        const { STATE_TOPIC, DEVICE_ID, FIRMWARE, LOCATION } = h.inputs
        const expected = { device: DEVICE_ID, firmware: FIRMWARE, location: LOCATION }
        const publish = await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of the device state to ${STATE_TOPIC}`,
          match: isPublishTo(STATE_TOPIC),
        })
        expectState(payloadText(publish), expected, 'Your state message')
        if (publish.qos !== 1) {
          fail({
            message: `Your state message went out at QoS ${publish.qos}: the task asks for QoS 1, so that the broker acknowledges it and MQTT.js sends it again if it is lost on the way.`,
            expected: `PUBLISH topic="${STATE_TOPIC}" qos=1 retain=1`,
            received: `PUBLISH topic="${STATE_TOPIC}" qos=${publish.qos} retain=${publish.retain ? 1 : 0}`,
          })
        }
        if (!publish.retain) {
          fail({
            message:
              'Your state message has no retain flag: the broker passes it to the dashboards connected right now and forgets it, so one that starts later knows nothing about this device.',
            expected: `PUBLISH topic="${STATE_TOPIC}" retain=1`,
            received: `PUBLISH topic="${STATE_TOPIC}" retain=0`,
          })
        }
        await expectRetainedState(h, expected, 'publish it with retain: true.')
      },
    },
    {
      id: 'updates-state',
      title: 'On {"location": ...} from CONTROL_TOPIC, your program publishes the whole new state, retained',
      points: 2,
      covers: [1, 3],
      hint: 'Subscribe to CONTROL_TOPIC; when {"location": "x"} arrives, change your state and publish all of it again with retain: true. The broker keeps only the latest retained message.',
      lessonSection: 'last-known-value',
      async run(h) {
        const { STATE_TOPIC, CONTROL_TOPIC, DEVICE_ID, FIRMWARE } = h.inputs
        await h.expectSubscription(CONTROL_TOPIC)
        // Both kinds of room on every run: a plain word, and a name with spaces, quotes and letters beyond ASCII,
        // which only a real JSON encoder gets right. The commands are JSON as a person types it, not one fixed form.
        const plain = h.random.pick(['garage', 'attic', 'porch', 'cellar'])
        const tricky = `${h.random.pick(['Küche', 'Büro', 'Salle à manger', 'Dachgeschoß'])} "${h.random.pick(['Nord', 'Süd', 'Ost', 'West'])}"`
        const observer = await h.observer()
        for (const [location, command] of [
          [plain, `{"location": ${JSON.stringify(plain)}}`],
          [tricky, JSON.stringify({ location: tricky }, null, 2)],
        ] as const) {
          const expected = { device: DEVICE_ID, firmware: FIRMWARE, location }
          const after = h.cursor()
          await observer.publish(CONTROL_TOPIC, command, { qos: 1 }, h.signal)
          const publish = await h.expectPacket({
            from: 'program',
            description: `a PUBLISH of the new state (location ${JSON.stringify(location)}) to ${STATE_TOPIC}`,
            match: isPublishTo(STATE_TOPIC),
            after,
          })
          expectState(payloadText(publish), expected, `Your state after the move to ${JSON.stringify(location)}`)
          if (!publish.retain) {
            fail({
              message:
                'Your updated state has no retain flag: the dashboards connected now see it, but the broker keeps the old retained state, so a dashboard that connects later is told the old location. Publish every update with retain: true.',
              expected: `PUBLISH topic="${STATE_TOPIC}" retain=1`,
              received: `PUBLISH topic="${STATE_TOPIC}" retain=0`,
            })
          }
          await expectRetainedState(h, expected, 'publish every update with retain: true.')
        }
      },
    },
    {
      id: 'clears-on-decommission',
      title: 'On "decommission", your program clears its retained state and exits: a later dashboard gets nothing',
      points: 2,
      covers: [4],
      hint: 'Publish an empty payload with retain: true to STATE_TOPIC, await the acknowledgement, then client.endAsync() and exit 0. Only an empty retained message removes one.',
      lessonSection: 'clearing-a-retained-message',
      timeoutMs: 8000,
      async run(h) {
        const { STATE_TOPIC, CONTROL_TOPIC } = h.inputs
        const after = h.cursor()
        const observer = await h.observer()
        await observer.publish(CONTROL_TOPIC, 'decommission', { qos: 1 }, h.signal)
        const exit = await h.expectExit('exited once its state was cleared')
        const sent = h.tap.trace.packets(
          (e) => e.direction === 'to-broker' && isPublishTo(STATE_TOPIC)(e.packet),
          after,
        )
        const clear = sent.find(
          (e) => (e.packet as IPublishPacket).payload.length === 0 && (e.packet as IPublishPacket).retain,
        )
        const retained = await h.retainedMessage(STATE_TOPIC)
        if (retained) {
          const last = sent.at(-1)
          const lastPublish = last ? (last.packet as IPublishPacket) : undefined
          fail({
            message: !lastPublish
              ? `After "decommission" your program ${describeExit(exit)} before anything it sent to STATE_TOPIC left it: client.publish() only queues a message. Await the empty retained publish (publishAsync resolves on its PUBACK), then client.endAsync(), then exit.`
              : lastPublish.payload.length > 0
                ? `Your last message to STATE_TOPIC was ${JSON.stringify(payloadText(lastPublish))}: the broker now keeps that instead. Only an empty payload (zero bytes) clears a retained message.`
                : 'You published an empty payload without the retain flag: that is an ordinary (empty) message, and the broker keeps the retained state. Clear it with an empty payload and retain: true.',
            expected: 'no retained message on STATE_TOPIC',
            received: `a dashboard that connects now gets ${JSON.stringify(payloadText(retained))}`,
          })
        }
        // The clear must be acknowledged before the goodbye, and the goodbye must be a DISCONNECT.
        const acknowledged =
          clear &&
          h.tap.trace.packets(
            (e) =>
              e.connection === clear.connection &&
              e.direction === 'to-client' &&
              e.packet.cmd === 'puback' &&
              (e.packet as { messageId?: number }).messageId === (clear.packet as IPublishPacket).messageId,
            after,
          )[0]
        const disconnect =
          clear &&
          h.tap.trace.packets(
            (e) => e.connection === clear.connection && e.direction === 'to-broker' && isDisconnect(e.packet),
            after,
          )[0]
        if (!disconnect) {
          fail({
            message:
              'Your program cleared its state, then left without a DISCONNECT: the broker sees a device that vanished (and would publish its will, if it had one). Await client.endAsync() before exiting.',
            expected: 'PUBLISH (empty, retained) → PUBACK → DISCONNECT, then exit 0',
            received: 'the connection closed without a DISCONNECT',
          })
        }
        if ((clear.packet as IPublishPacket).qos === 0) {
          fail({
            message:
              'Your empty retained message went out at QoS 0, which the broker never acknowledges: your program cannot know it arrived before it leaves. Publish it with { qos: 1, retain: true } and await it.',
            expected: 'PUBLISH (empty, retained) qos=1 → PUBACK → DISCONNECT',
            received: 'PUBLISH (empty, retained) qos=0',
          })
        }
        if (!acknowledged || acknowledged.seq > disconnect.seq) {
          fail({
            message:
              'Your program disconnected before the broker acknowledged the empty retained message: had it been lost on the way, the device would still show as present. Await the publish (its PUBACK) before client.endAsync().',
            expected: 'PUBACK for the clear, then DISCONNECT',
            received: 'DISCONNECT before the PUBACK',
          })
        }
        if (exit.exitCode !== 0)
          fail({
            message: `Your program ${describeExit(exit)}; after decommissioning it should exit with code 0.`,
            expected: 'exit code 0',
            received: describeExit(exit),
          })
      },
    },
  ],
})
