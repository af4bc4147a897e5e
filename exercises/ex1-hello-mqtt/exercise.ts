import { fail } from '../../grader/checks/check-failure.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { connackCode, isConnack } from '../../grader/mqtt/packet-guards.ts'

export default defineExercise({
  id: 'ex1',
  slug: 'hello-mqtt',
  title: 'Hello, broker',
  summary: 'Connect with a client id, subscribe to a topic, publish a greeting, and echo what you receive.',
  lesson: '01-mqtt-in-a-nutshell',
  run: {
    entry: 'main.ts',
    inputs: (random) => ({
      CLIENT_ID: random.id('student'),
      TOPIC_PREFIX: `course/${random.word()}-${random.hex(4)}`,
    }),
    deadlineMs: 40_000,
    startsEarly: true,
    clientIdInput: 'CLIENT_ID',
  },
  hints: [
    'Read the three environment variables first: MQTT_URL, CLIENT_ID and TOPIC_PREFIX. The grader changes their values on every run.',
    'Do everything that needs the broker inside client.on("connect", ...): subscribe, then publish the greeting.',
    'client.on("message", (topic, payload) => ...) is called for every message of every subscription: check the topic, then client.publish(`${prefix}/echo`, payload).',
  ],
  async setUp(h) {
    const observer = await h.observer()
    await observer.subscribe([{ topic: `${h.inputs.TOPIC_PREFIX}/#`, qos: 1 }], h.signal)
  },
  checks: [
    {
      id: 'connects',
      title: 'Your program connects to MQTT_URL with the client id CLIENT_ID',
      points: 1,
      hint: 'Pass the URL from process.env.MQTT_URL to mqtt.connect(), and { clientId: process.env.CLIENT_ID } as its options.',
      lessonSection: 'clients-and-client-ids',
      async run(h) {
        await h.program()
        await h.expectConnect()
        const connack = await h.expectPacket({ from: 'broker', description: 'a CONNACK', match: isConnack })
        if (connackCode(connack) !== 0) {
          fail({ message: 'The broker refused your connection.', expected: 'CONNACK rc=0', received: `CONNACK rc=${connackCode(connack)}` })
        }
      },
    },
    {
      id: 'subscribes',
      title: 'Your program subscribes to TOPIC_PREFIX/inbox',
      points: 1,
      hint: 'Inside the connect handler: client.subscribe(`${process.env.TOPIC_PREFIX}/inbox`). Topic names are case-sensitive and exact: no trailing slash.',
      lessonSection: 'publish-and-subscribe',
      async run(h) {
        await h.expectSubscription(`${h.inputs.TOPIC_PREFIX}/inbox`)
      },
    },
    {
      id: 'says-hello',
      title: 'Your program publishes "hello from CLIENT_ID" to TOPIC_PREFIX/hello',
      points: 1,
      hint: 'client.publish(`${prefix}/hello`, `hello from ${clientId}`): the payload is exactly that text, with the client id of this run.',
      lessonSection: 'publish-and-subscribe',
      async run(h) {
        const topic = `${h.inputs.TOPIC_PREFIX}/hello`
        const text = `hello from ${h.inputs.CLIENT_ID}`
        const observer = await h.observer()
        await h.expectMessage(observer, {
          description: `"${text}" on ${topic}`,
          match: (message) => message.topic === topic && message.payload.toString() === text,
        })
      },
    },
    {
      id: 'echoes',
      title: 'Your program sends every message from TOPIC_PREFIX/inbox back, unchanged, on TOPIC_PREFIX/echo',
      points: 2,
      hint: 'Handle client.on("message", (topic, payload) => ...) once, outside the connect handler, and publish every payload that arrives on the inbox, not just the first.',
      lessonSection: 'publish-and-subscribe',
      timeoutMs: 8000,
      async run(h) {
        const observer = await h.observer()
        const inbox = `${h.inputs.TOPIC_PREFIX}/inbox`
        const echo = `${h.inputs.TOPIC_PREFIX}/echo`
        for (let round = 1; round <= 3; round++) {
          const payload = `${h.random.word()} ${h.random.int(100, 999)}`
          const after = observer.trace.cursor
          await observer.publish(inbox, payload, { qos: 1 }, h.signal)
          await h.expectMessage(observer, {
            description: `"${payload}" on ${echo} (message ${round} of 3 the grader sent to ${inbox})`,
            match: (message) => message.topic === echo && message.payload.toString() === payload,
            isRelevant: (message) => message.topic === echo,
            after,
          })
        }
      },
    },
  ],
})
