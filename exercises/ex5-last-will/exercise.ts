import { fail } from '../../grader/checks/check-failure.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isDisconnect, isPublishTo, payloadText } from '../../grader/mqtt/packet-guards.ts'

type Inputs = { DEVICE_ID: string; STATUS_TOPIC: string }

/** What a dashboard that connects now would be told: the retained status ("(nothing)" when there is none). */
async function retainedStatus(h: Harness<Inputs>): Promise<{ text: string; isRetained: boolean }> {
  const message = await h.retainedMessage(h.inputs.STATUS_TOPIC)
  return message ? { text: payloadText(message), isRetained: message.retain } : { text: '(nothing)', isRetained: false }
}

export default defineExercise<Inputs>({
  id: 'ex5',
  slug: 'last-will',
  title: 'Last Will and Testament',
  summary: 'Report a device online and offline with a retained status: a will for power loss, a goodbye for a clean stop.',
  lesson: '05-last-will',
  run: {
    entry: 'main.ts',
    inputs: (random) => {
      const device = random.id(random.pick(['sensor', 'meter', 'valve', 'pump', 'gateway']))
      return {
        DEVICE_ID: device,
        STATUS_TOPIC: `${random.pick(['acme', 'globex', 'initech', 'umbrella', 'hooli'])}/site-${random.int(1, 9)}/${device}/status`,
      }
    },
    deadlineMs: 45_000,
    startsEarly: true,
    clientIdInput: 'DEVICE_ID',
  },
  hints: [
    'The will is part of the CONNECT: you give it to mqtt.connect() in the options, before anything goes wrong. The broker keeps it and publishes it only if your connection dies without a DISCONNECT.',
    'Make both the will and your "online" message retained, on the same topic: whoever subscribes later gets the last one, so the topic always tells the truth about the device.',
    'Publish "online" inside client.on("connect", ...), which runs after every reconnect. For a clean stop, handle process.on("SIGTERM"): await client.publishAsync(topic, "offline", { qos: 1, retain: true }), then await client.endAsync().',
  ],
  async setUp(h) {
    const observer = await h.observer()
    await observer.subscribe([{ topic: h.inputs.STATUS_TOPIC, qos: 1 }], h.signal)
  },
  checks: [
    {
      id: 'connects-with-will',
      title: 'Your program connects as DEVICE_ID with a will: "offline" on STATUS_TOPIC at QoS 1',
      points: 2,
      covers: [1],
      hint: 'mqtt.connect(url, { clientId, will: { topic, payload: "offline", qos: 1, retain: true } }).',
      lessonSection: 'setting-a-will',
      async run(h) {
        await h.program()
        const connect = await h.expectConnect()
        const { STATUS_TOPIC } = h.inputs
        const will = connect.will
        if (!will) {
          fail({
            message: 'Your CONNECT has no will, so if the device loses power nobody is told. A will can only be set when connecting: add a `will` to the options of mqtt.connect().',
            expected: `will={topic="${STATUS_TOPIC}" payload="offline" qos=1 retain=1}`,
            received: 'will=none',
          })
        }
        const expected = `will={topic="${STATUS_TOPIC}" payload="offline" qos=1 ...}`
        if (will.topic !== STATUS_TOPIC) fail({ message: `Your will goes to "${will.topic}", but the device's status lives on STATUS_TOPIC.`, expected, received: `will.topic="${will.topic}"` })
        if (payloadText(will) !== 'offline') fail({ message: `Your will says "${payloadText(will)}"; dashboards expect exactly "offline".`, expected, received: `will.payload="${payloadText(will)}"` })
        if (will.qos !== 1) fail({ message: `Your will has QoS ${will.qos}; the exercise asks for QoS 1, so that the broker delivers it at least once.`, expected, received: `will.qos=${will.qos}` })
      },
    },
    {
      id: 'announces-online',
      title: 'Once connected, your program publishes "online" to STATUS_TOPIC, retained',
      points: 1,
      covers: [2],
      hint: 'In client.on("connect", ...): client.publish(topic, "online", { qos: 1, retain: true }). Without retain, a dashboard that starts later never learns the device is up.',
      lessonSection: 'the-online-offline-pattern',
      async run(h) {
        const { STATUS_TOPIC } = h.inputs
        const publish = await h.expectPacket({ from: 'program', description: `a PUBLISH of "online" to ${STATUS_TOPIC}`, match: isPublishTo(STATUS_TOPIC, 'online') })
        if (publish.qos !== 1) {
          fail({
            message: `You publish "online" at QoS ${publish.qos}; the task asks for QoS 1, like the will, so the status is acknowledged and sent again if it is lost.`,
            expected: `PUBLISH topic="${STATUS_TOPIC}" qos=1 retain=1 payload="online"`,
            received: `PUBLISH topic="${STATUS_TOPIC}" qos=${publish.qos} retain=${publish.retain ? 1 : 0} payload="online"`,
          })
        }
        if (!publish.retain) {
          fail({
            message: 'You publish "online" without the retain flag: only subscribers connected at that very moment see it, and a dashboard that starts later never learns the device is up.',
            expected: `PUBLISH topic="${STATUS_TOPIC}" retain=1 payload="online"`,
            received: `PUBLISH topic="${STATUS_TOPIC}" retain=0 payload="online"`,
          })
        }
        const retained = await retainedStatus(h)
        if (retained.text !== 'online' || !retained.isRetained) {
          fail({ message: `A subscriber that connects now is told ${retained.text}, not the retained "online".`, expected: 'retain=1 payload="online"', received: retained.text })
        }
      },
    },
    {
      id: 'will-on-power-loss',
      title: 'When the connection dies without a DISCONNECT, the status topic says "offline" to everyone, later subscribers too',
      points: 2,
      covers: [1],
      hint: 'The broker publishes the will exactly as you wrote it in the CONNECT. For it to replace the retained "online", the will itself must be retained: retain: true.',
      lessonSection: 'when-the-broker-sends-the-will',
      async run(h) {
        const { STATUS_TOPIC } = h.inputs
        const observer = await h.observer()
        const after = observer.trace.cursor
        // Your client reconnects by itself after a cut; keep it out until the grader has looked at the status.
        h.tap.holdNewConnections()
        try {
          h.taskConnection().cut()
          await h.expectMessage(observer, {
            description: `"offline" on ${STATUS_TOPIC}, published by the broker as your will when the grader cut your connection`,
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
      },
    },
    {
      id: 'back-online',
      title: 'After your client reconnects, it announces "online" again',
      points: 1,
      covers: [2],
      hint: 'MQTT.js reconnects by itself and emits "connect" again: publish "online" inside client.on("connect", ...), not once after mqtt.connect().',
      lessonSection: 'the-online-offline-pattern',
      timeoutMs: 8000,
      async run(h) {
        const { STATUS_TOPIC } = h.inputs
        // The cut happened in the previous check; the reconnection may already be in the trace (the tap held it).
        const cutAt = h.studentTrace().findLast((e) => e.kind === 'connection' && e.state === 'closed' && e.closedBy === 'tap')?.seq ?? 0
        const reconnect = await h.expectConnect({ description: `a new CONNECT as ${h.inputs.DEVICE_ID} after the cut (MQTT.js reconnects by itself unless reconnectPeriod is 0: leave it at its default)`, after: cutAt })
        const after = h.tap.trace.packets((e) => e.packet === reconnect, cutAt)[0]?.seq ?? cutAt
        await h.expectPacket({ from: 'program', description: `a PUBLISH of "online" to ${STATUS_TOPIC} after reconnecting`, match: isPublishTo(STATUS_TOPIC, 'online'), after })
      },
    },
    {
      id: 'graceful-offline',
      title: 'Stopped with SIGTERM, your program publishes "offline" itself, retained, then disconnects cleanly',
      points: 2,
      covers: [3],
      hint: 'process.on("SIGTERM", async () => { await client.publishAsync(topic, "offline", { qos: 1, retain: true }); await client.endAsync(); process.exit(0) }). A clean DISCONNECT tells the broker to discard the will.',
      lessonSection: 'a-clean-goodbye',
      timeoutMs: 8000,
      async run(h) {
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
            message: 'You publish "offline" without the retain flag, so the retained status stays "online" after your device is gone.',
            expected: `PUBLISH topic="${STATUS_TOPIC}" retain=1 payload="offline"`,
            received: `PUBLISH topic="${STATUS_TOPIC}" retain=0 payload="offline"`,
          })
        }
        await h.expectPacket({
          from: 'program',
          description: 'a DISCONNECT after publishing "offline" (call client.end() and wait for it before exiting)',
          match: isDisconnect,
          after,
        })
        const exit = await h.expectExit('exited once disconnected')
        if (exit.exitCode !== 0) {
          fail({ message: `Your program disconnected but then exited with ${exit.signal ?? `code ${exit.exitCode}`}; a clean stop exits with code 0.`, expected: 'exit code 0', received: `${exit.signal ?? `exit code ${exit.exitCode}`}` })
        }
        const retained = await retainedStatus(h)
        if (retained.text !== 'offline') {
          fail({ message: `After your program stopped, the retained status is "${retained.text}".`, expected: 'retained "offline"', received: `retained "${retained.text}"` })
        }
      },
    },
  ],
})
