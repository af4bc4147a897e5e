import { CheckFailure, fail } from '../../grader/checks/check-failure.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { connackCode, isConnack } from '../../grader/mqtt/packet-guards.ts'
import { describeBytes, isSamePayload, payloadSamples } from '../../grader/checks/payload-kinds.ts'
import { settleCheck } from '../../grader/checks/settle-check.ts'

export default defineExercise<{ CLIENT_ID: string; TOPIC_PREFIX: string }>({
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
  setUp: observeTopics((h) => [`${h.inputs.TOPIC_PREFIX}/#`]),
  checks: [
    {
      id: 'connects',
      title: 'Your program connects to MQTT_URL with the client id CLIENT_ID',
      points: 1,
      covers: [1],
      hint: 'Pass the URL from process.env.MQTT_URL to mqtt.connect(), and { clientId: process.env.CLIENT_ID } as its options.',
      lessonSection: 'clients-and-client-ids',
      async run(h) {
        await h.program()
        await h.expectConnect()
        const connack = await h.expectPacket({ from: 'broker', description: 'a CONNACK', match: isConnack })
        if (connackCode(connack) !== 0) {
          fail({
            message: 'The broker refused your connection.',
            expected: 'CONNACK rc=0',
            received: `CONNACK rc=${connackCode(connack)}`,
          })
        }
      },
    },
    {
      id: 'subscribes',
      title: 'Your program subscribes to TOPIC_PREFIX/inbox',
      points: 1,
      covers: [2],
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
      covers: [3],
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
      title: 'Your program sends every message from TOPIC_PREFIX/inbox back, byte for byte, on TOPIC_PREFIX/echo',
      points: 1,
      covers: [4],
      hint: 'Handle client.on("message", (topic, payload) => ...) once, outside the connect handler, and publish every payload that arrives on the inbox, not just the first: the Buffer as it is (payload.toString() changes bytes that are not text).',
      lessonSection: 'publish-and-subscribe',
      timeoutMs: 8000,
      async run(h) {
        const observer = await h.observer()
        const inbox = `${h.inputs.TOPIC_PREFIX}/inbox`
        const echo = `${h.inputs.TOPIC_PREFIX}/echo`
        // Every kind of payload, every run: an echo that turns bytes into text, or skips an empty message, fails on
        // every seed. The ASCII one goes last: once it is back, the program has handled every message before it
        // (it gets them in order, and publishes in order).
        const samples = payloadSamples(h.random)
        const last = samples.find((sample) => sample.kind === 'ascii')!
        const sent = [...h.random.shuffle(samples.filter((sample) => sample !== last)), last]
        const after = observer.trace.cursor
        for (const sample of sent) await observer.publish(inbox, sample.payload, { qos: 1 }, h.signal)
        await h
          .expectMessage(observer, {
            description: `${last.description} on ${echo} (the last of ${sent.length} messages the grader sent to ${inbox})`,
            match: (message) => message.topic === echo && isSamePayload(message.payload, last.payload),
            isRelevant: (message) => message.topic === echo,
            after,
          })
          .catch((error: unknown) => {
            const echoed = observer.messages(after).filter((message) => message.topic === echo).length
            if (!(error instanceof CheckFailure) || echoed === 0 || echoed >= sent.length) throw error
            fail({
              ...error.details,
              message: `The grader did not receive ${JSON.stringify(last.payload.toString())} back on ${echo}, the last of the ${sent.length} messages it sent to ${inbox}: your program echoed ${echoed} of them, then no more. Handle every message that arrives (client.on("message", ...), not client.once), for as long as the program runs.`,
            })
          })
        await observer.barrier(h.signal)
        const echoes = observer.messages(after).filter((message) => message.topic === echo)
        for (const [index, sample] of sent.entries()) {
          const copies = echoes.filter((message) => isSamePayload(message.payload, sample.payload)).length
          if (copies === 1) continue
          const changed = copies === 0 && echoes.length === sent.length ? echoes[index] : undefined
          fail({
            message: changed
              ? `The grader sent ${sample.description} to ${inbox}, and your echo on ${echo} came back as ${describeBytes(changed.payload)}. A payload is bytes, not text: publish the Buffer you received as it is, without turning it into a string and back.`
              : copies === 0
                ? `The grader sent ${sample.description} to ${inbox}, and nothing came back on ${echo} for it, though the messages after it were echoed. ${sample.kind === 'empty' ? 'An empty payload is a message too: echo it as it is.' : 'Echo every message, whatever it holds.'}`
                : `The grader sent ${sample.description} to ${inbox} once, and your program echoed it ${copies} times: echo each message once.`,
            expected: `${describeBytes(sample.payload)} on ${echo}, once`,
            received: echoes.map((message) => describeBytes(message.payload)).join('\n') || 'nothing',
          })
        }
      },
    },
    settleCheck({ covers: [5], lessonSection: 'publish-and-subscribe' }),
  ],
})
