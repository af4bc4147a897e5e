import type { IPublishPacket } from 'mqtt-packet'
import { fail } from '../../grader/checks/check-failure.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isPublishTo, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { describeExit } from '../../grader/runner/student-program.ts'

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
    fail({ message: `${where} is not JSON: ${JSON.stringify(payload)}. Publish JSON.stringify(state).`, expected: JSON.stringify(expected), received: payload })
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
  if (!retained) fail({ message: `A dashboard that connects now gets no state at all on ${h.inputs.STATE_TOPIC}: ${hint}`, expected: JSON.stringify(expected), received: 'no retained message' })
  expectState(payloadText(retained), expected, `The retained state a dashboard gets when it connects now`)
}

export default defineExercise<Inputs>({
  id: 'ex4',
  slug: 'retained-state',
  title: 'Retained device state',
  summary: 'Keep the last known state of a device on the broker with retained messages, update it, and clear it when the device is decommissioned.',
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
  },
  hints: [
    'A retained message is the one the broker keeps for a topic and hands to every new subscriber at once: the "last known value". One flag decides it: { retain: true }.',
    'Every time the state changes, publish the whole state again, retained: the broker keeps only the latest retained message of a topic.',
    'To remove a retained message, publish an empty payload (zero bytes), retained, to the same topic. Then wait for the acknowledgement before you disconnect and exit.',
  ],
  async setUp(h) {
    const observer = await h.observer()
    await observer.subscribe([{ topic: h.inputs.STATE_TOPIC, qos: 1 }], h.signal)
  },
  checks: [
    {
      id: 'publishes-state-retained',
      title: 'Your program publishes its state as JSON to STATE_TOPIC, retained, so a dashboard connecting later gets it',
      points: 2,
      hint: 'client.publish(STATE_TOPIC, JSON.stringify({ device, firmware, location }), { qos: 1, retain: true }), once connected.',
      lessonSection: 'the-retain-flag',
      async run(h) {
        await h.program()
        const { STATE_TOPIC, DEVICE_ID, FIRMWARE, LOCATION } = h.inputs
        const expected = { device: DEVICE_ID, firmware: FIRMWARE, location: LOCATION }
        const publish = await h.expectPacket({ from: 'program', description: `a PUBLISH of the device state to ${STATE_TOPIC}`, match: isPublishTo(STATE_TOPIC) })
        expectState(payloadText(publish), expected, 'Your state message')
        if (!publish.retain) {
          fail({
            message: 'Your state message has no retain flag: the broker passes it to the dashboards connected right now and forgets it, so one that starts later knows nothing about this device.',
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
      hint: 'Subscribe to CONTROL_TOPIC; when {"location": "x"} arrives, change your state and publish all of it again with retain: true. The broker keeps only the latest retained message.',
      lessonSection: 'last-known-value',
      async run(h) {
        const { STATE_TOPIC, CONTROL_TOPIC, DEVICE_ID, FIRMWARE } = h.inputs
        await h.expectSubscription(CONTROL_TOPIC)
        const location = h.random.pick(['garage', 'attic', 'porch', 'cellar'])
        const expected = { device: DEVICE_ID, firmware: FIRMWARE, location }
        const after = h.cursor()
        const observer = await h.observer()
        await observer.publish(CONTROL_TOPIC, JSON.stringify({ location }), { qos: 1 }, h.signal)
        const publish = await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of the new state (location ${JSON.stringify(location)}) to ${STATE_TOPIC}`,
          match: (p): p is IPublishPacket => isPublishTo(STATE_TOPIC)(p) && payloadText(p).includes(location),
          after,
        })
        expectState(payloadText(publish), expected, 'Your updated state')
        await expectRetainedState(h, expected, 'publish every update with retain: true.')
      },
    },
    {
      id: 'clears-on-decommission',
      title: 'On "decommission", your program clears its retained state and exits: a later dashboard gets nothing',
      points: 2,
      hint: 'Publish an empty payload with retain: true to STATE_TOPIC, await the acknowledgement, then client.endAsync() and exit 0. Only an empty retained message removes one.',
      lessonSection: 'clearing-a-retained-message',
      timeoutMs: 8000,
      async run(h) {
        const { STATE_TOPIC, CONTROL_TOPIC } = h.inputs
        const after = h.cursor()
        const observer = await h.observer()
        await observer.publish(CONTROL_TOPIC, 'decommission', { qos: 1 }, h.signal)
        const exit = await h.expectExit('exited once its state was cleared')
        if (exit.exitCode !== 0) fail({ message: `Your program ${describeExit(exit)}; after decommissioning it should exit with code 0.`, expected: 'exit code 0', received: describeExit(exit) })
        const retained = await h.retainedMessage(STATE_TOPIC)
        if (retained) {
          const sent = h.studentTrace(after).filter((e) => e.kind === 'packet' && e.direction === 'to-broker' && isPublishTo(STATE_TOPIC)(e.packet))
          const last = sent.at(-1)
          const lastPublish = last?.kind === 'packet' ? (last.packet as IPublishPacket) : undefined
          fail({
            message: !lastPublish
              ? 'Your program did not clear its state: after "decommission" it sent nothing to STATE_TOPIC, so dashboards keep showing a device that is gone.'
              : lastPublish.payload.length > 0
                ? `Your last message to STATE_TOPIC was ${JSON.stringify(payloadText(lastPublish))}: the broker now keeps that instead. Only an empty payload (zero bytes) clears a retained message.`
                : 'You published an empty payload without the retain flag: that is an ordinary (empty) message, and the broker keeps the retained state. Clear it with an empty payload and retain: true.',
            expected: 'no retained message on STATE_TOPIC',
            received: `a dashboard that connects now gets ${JSON.stringify(payloadText(retained))}`,
          })
        }
      },
    },
  ],
})
