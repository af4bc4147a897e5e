import { fail } from '../../grader/checks/check-failure.ts'
import {
  deviceStatusInputs,
  expectBackOnline,
  expectGracefulOffline,
  expectRetainedOnline,
  expectStatusWill,
  expectWillOnPowerLoss,
  retainedStatus,
} from '../../grader/checks/device-status.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isPublishTo } from '../../grader/mqtt/packet-guards.ts'

type Inputs = { DEVICE_ID: string; STATUS_TOPIC: string }

export default defineExercise<Inputs>({
  id: 'ex5',
  slug: 'last-will',
  title: 'Last Will and Testament',
  summary:
    'Report a device online and offline with a retained status: a will for power loss, a goodbye for a clean stop.',
  lesson: '05-last-will',
  run: {
    entry: 'main.ts',
    inputs: deviceStatusInputs,
    deadlineMs: 45_000,
    startsEarly: true,
    clientIdInput: 'DEVICE_ID',
  },
  hints: [
    'The will is part of the CONNECT: you give it to mqtt.connect() in the options, before anything goes wrong. The broker keeps it and publishes it only if your connection dies without a DISCONNECT.',
    'Make both the will and your "online" message retained, on the same topic: whoever subscribes later gets the last one, so the topic always tells the truth about the device.',
    'Publish "online" inside client.on("connect", ...), which runs after every reconnect. For a clean stop, handle process.on("SIGTERM"): await client.publishAsync(topic, "offline", { qos: 1, retain: true }), then await client.endAsync().',
  ],
  setUp: observeTopics((h) => [h.inputs.STATUS_TOPIC]),
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
        expectStatusWill(h, connect, {
          missing:
            'Your CONNECT has no will, so if the device loses power nobody is told. A will can only be set when connecting: add a `will` to the options of mqtt.connect().',
          wrongQos: (qos) =>
            `Your will has QoS ${qos}; the exercise asks for QoS 1, so that the broker delivers it at least once.`,
          expected: {
            missing: `will={topic="${STATUS_TOPIC}" payload="offline" qos=1 retain=1}`,
            mismatch: `will={topic="${STATUS_TOPIC}" payload="offline" qos=1 ...}`,
          },
        })
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
        const publish = await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of "online" to ${STATUS_TOPIC}`,
          match: isPublishTo(STATUS_TOPIC, 'online'),
        })
        if (publish.qos !== 1) {
          fail({
            message: `You publish "online" at QoS ${publish.qos}; the task asks for QoS 1, like the will, so the status is acknowledged and sent again if it is lost.`,
            expected: `PUBLISH topic="${STATUS_TOPIC}" qos=1 retain=1 payload="online"`,
            received: `PUBLISH topic="${STATUS_TOPIC}" qos=${publish.qos} retain=${publish.retain ? 1 : 0} payload="online"`,
          })
        }
        if (!publish.retain) {
          fail({
            message:
              'You publish "online" without the retain flag: only subscribers connected at that very moment see it, and a dashboard that starts later never learns the device is up.',
            expected: `PUBLISH topic="${STATUS_TOPIC}" retain=1 payload="online"`,
            received: `PUBLISH topic="${STATUS_TOPIC}" retain=0 payload="online"`,
          })
        }
        await expectRetainedOnline(h)
      },
    },
    {
      id: 'will-on-power-loss',
      title:
        'When the connection dies without a DISCONNECT, the status topic says "offline" to everyone, later subscribers too',
      points: 2,
      covers: [1],
      hint: 'The broker publishes the will exactly as you wrote it in the CONNECT. For it to replace the retained "online", the will itself must be retained: retain: true.',
      lessonSection: 'when-the-broker-sends-the-will',
      async run(h) {
        await expectWillOnPowerLoss(h, 'connection')
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
        await expectBackOnline(h)
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
        await expectGracefulOffline(h, 'call client.end() and wait for it before exiting')
        const retained = await retainedStatus(h)
        if (retained.text !== 'offline') {
          fail({
            message: `After your program stopped, the retained status is "${retained.text}".`,
            expected: 'retained "offline"',
            received: `retained "${retained.text}"`,
          })
        }
      },
    },
  ],
})
