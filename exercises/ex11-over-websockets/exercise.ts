import { StudentConfigError } from '../../grader/broker/mosquitto-conf.ts'
import { describeListeners } from '../../grader/broker/student-listeners.ts'
import { expectImpostorRefused } from '../../grader/checks/impostor-check.ts'
import { settleCheck } from '../../grader/checks/settle-check.ts'
import { fail } from '../../grader/checks/check-failure.ts'
import {
  deviceStatusInputs,
  expectBackOnline,
  expectGracefulOffline,
  expectRetainedOnline,
  expectStatusWill,
  expectWillOnPowerLoss,
} from '../../grader/checks/device-status.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isPublishTo } from '../../grader/mqtt/packet-guards.ts'

type Inputs = { DEVICE_ID: string; STATUS_TOPIC: string }

/** The ports the task gives each WebSocket listener (README, point 1): what browsers and the README's commands dial. */
const taskPorts = { ws: 8080, wss: 8443 } as const

/**
 * The grader moves every listener to a port of its own, so a config that swaps the two WebSocket ports would
 * pass unseen: it is compared with the task here, line by line, before Mosquitto starts.
 */
function expectTaskPorts(conf: string): void {
  const lines = conf.split(/\r?\n/)
  const listeners = [...describeListeners(conf)]
  // A missing or doubled kind is the config writer's to explain (it says which line to change): ports come after.
  if (
    listeners.filter(([, kind]) => kind === 'ws').length !== 1 ||
    listeners.filter(([, kind]) => kind === 'wss').length !== 1
  )
    return
  const issues = []
  for (const [line, kind] of listeners) {
    if (kind !== 'ws' && kind !== 'wss') continue
    const text = lines[line - 1].trim()
    const port = Number(text.split(/\s+/)[1])
    if (port === taskPorts[kind]) continue
    const other = kind === 'ws' ? 'wss' : 'ws'
    issues.push({
      line,
      text,
      problem: `this is your ${kind}:// listener (WebSockets ${kind === 'wss' ? 'with' : 'without'} TLS), but the task puts ${kind}:// on port ${taskPorts[kind]}${port === taskPorts[other] ? ` (${port} is for ${other}://)` : ''}: dashboards dial ${kind}://host:${taskPorts[kind]}/mqtt`,
    })
  }
  if (issues.length > 0)
    throw new StudentConfigError('Your WebSocket listeners are not on the ports the task gives them', issues)
}

export default defineExercise<Inputs>({
  id: 'ex11',
  slug: 'over-websockets',
  title: 'Over WebSockets',
  summary:
    'Add ws:// and wss:// listeners to Mosquitto, and move the device of exercise 5 onto them: the same will and retained status, inside WebSocket frames.',
  lesson: '09-mqtt-5-in-practice',
  requires: ['tls', 'mosquitto-conf', 'websockets'],
  run: {
    entry: 'main.ts',
    inputs: deviceStatusInputs,
    deadlineMs: 60_000,
    programRuns: 4,
    startsEarly: true,
    clientIdInput: 'DEVICE_ID',
  },
  broker: ({ readSubmissionFile, tls }) => {
    const conf = readSubmissionFile('mosquitto.conf')
    if (conf === undefined) throw new StudentConfigError('There is no mosquitto.conf in your submission', [])
    expectTaskPorts(conf)
    return {
      studentConfig: { conf, files: tls!.brokerFiles, webSockets: ['ws', 'wss'] },
      webSocketCa: tls!.ca.certificatePem,
    }
  },
  hints: [
    'Two halves. Mosquitto: a WebSockets listener is a listener line followed by "protocol websockets"; keep the plain MQTT listener too. The client: MQTT.js picks the transport from the URL, so ws:// and wss:// need no code of their own.',
    'For wss://, the WebSockets listener gets the same three TLS lines as in exercise 9 (cafile ca.crt, certfile server.crt, keyfile server.key), and the client must trust the course CA: mqtt.connect(url, { ca: readFileSync(process.env.CA_FILE) }).',
    'Pass MQTT_URL to mqtt.connect() exactly as it is: its scheme picks WebSockets, and its path (/mqtt) is where the broker serves MQTT. An option like protocol: "mqtt" or path: "/ws" overrides the URL.',
  ],
  setUp: observeTopics((h) => [h.inputs.STATUS_TOPIC]),
  checks: [
    {
      id: 'connects-over-websockets',
      title: 'Your program connects as DEVICE_ID over ws://, at the path of MQTT_URL',
      points: 2,
      covers: [2],
      hint: 'mqtt.connect(process.env.MQTT_URL, { clientId }): the ws:// scheme makes MQTT.js open a WebSocket, and the URL carries the path. Do not override protocol, port or path.',
      lessonSection: 'mqtt-over-websockets',
      async run(h) {
        await h.program()
        const connect = await h.expectConnect({
          description: `a CONNECT with the client id DEVICE_ID ("${h.inputs.DEVICE_ID}") over ws://`,
        })
        const connection = h.connectionOf(connect)
        const transport = connection === undefined ? undefined : h.transportOf(connection)
        if (transport !== 'ws') {
          fail({
            message: `Your CONNECT arrived, but not over the ws:// endpoint in MQTT_URL (it came over ${transport ?? 'another way'}).`,
            expected: 'a CONNECT over ws://',
            received: `a CONNECT over ${transport ?? 'an unknown transport'}`,
          })
        }
      },
    },
    {
      id: 'connects-with-will',
      title: 'Your CONNECT carries a will: "offline" on STATUS_TOPIC at QoS 1',
      points: 1,
      covers: [2],
      hint: 'The will goes in the options of mqtt.connect(): will: { topic, payload: "offline", qos: 1, retain: true }. WebSockets change the transport, not what is inside the CONNECT.',
      lessonSection: 'mqtt-over-websockets',
      async run(h) {
        const connect = await h.expectConnect()
        const { STATUS_TOPIC } = h.inputs
        const expected = `will={topic="${STATUS_TOPIC}" payload="offline" qos=1 retain=1}`
        expectStatusWill(h, connect, {
          missing:
            'Your CONNECT has no will, so if the device loses power nobody is told. Over WebSockets it works exactly as in exercise 5: add a `will` to the options of mqtt.connect().',
          wrongQos: (qos) => `Your will has QoS ${qos}; the task asks for QoS 1.`,
          expected: { missing: expected, mismatch: expected },
        })
      },
    },
    {
      id: 'announces-online',
      title: 'Once connected, your program publishes "online" to STATUS_TOPIC at QoS 1, retained',
      points: 1,
      covers: [3],
      hint: 'In client.on("connect", ...): client.publish(topic, "online", { qos: 1, retain: true }).',
      lessonSection: 'mqtt-over-websockets',
      async run(h) {
        const { STATUS_TOPIC } = h.inputs
        const publish = await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of "online" to ${STATUS_TOPIC}`,
          match: isPublishTo(STATUS_TOPIC, 'online'),
        })
        if (publish.qos !== 1 || !publish.retain) {
          fail({
            message: `You publish "online" at QoS ${publish.qos}${publish.retain ? '' : ' without the retain flag'}: a dashboard that starts later must be told the device is up, so publish it at QoS 1, retained.`,
            expected: `PUBLISH topic="${STATUS_TOPIC}" qos=1 retain=1 payload="online"`,
            received: `PUBLISH topic="${STATUS_TOPIC}" qos=${publish.qos} retain=${publish.retain ? 1 : 0} payload="online"`,
          })
        }
        await expectRetainedOnline(h)
      },
    },
    {
      id: 'will-on-power-loss',
      title:
        'When the WebSocket dies without a DISCONNECT, the status topic says "offline" to everyone, later subscribers too',
      points: 2,
      covers: [2],
      hint: 'The broker publishes the will exactly as you wrote it in the CONNECT. For it to replace the retained "online", the will itself must be retained: retain: true.',
      lessonSection: 'mqtt-over-websockets',
      async run(h) {
        await expectWillOnPowerLoss(h, 'WebSocket')
      },
    },
    {
      id: 'back-online',
      title: 'After your client reconnects over ws://, it announces "online" again',
      points: 1,
      covers: [3],
      hint: 'MQTT.js reconnects by itself and emits "connect" again: publish "online" inside client.on("connect", ...), not once after mqtt.connect().',
      lessonSection: 'mqtt-over-websockets',
      timeoutMs: 8000,
      async run(h) {
        await expectBackOnline(h)
      },
    },
    {
      id: 'graceful-offline',
      title: 'Stopped with SIGTERM, your program publishes "offline" itself, retained, disconnects and exits 0',
      points: 1,
      covers: [4],
      hint: 'process.on("SIGTERM", async () => { await client.publishAsync(topic, "offline", { qos: 1, retain: true }); await client.endAsync(); process.exit(0) }).',
      lessonSection: 'mqtt-over-websockets',
      timeoutMs: 8000,
      async run(h) {
        await expectGracefulOffline(h, 'await client.endAsync() before exiting')
      },
    },
    {
      id: 'connects-over-wss',
      title:
        'Started again with a wss:// MQTT_URL, your program connects over TLS, trusting the course CA, and announces "online"',
      points: 2,
      covers: [5],
      hint: "For wss://, MQTT.js checks the broker's certificate like for mqtts://: give it the course CA, { ca: readFileSync(process.env.CA_FILE) }. Never turn the check off (rejectUnauthorized: false).",
      lessonSection: 'mqtt-over-websockets',
      timeoutMs: 8000,
      async run(h) {
        const { STATUS_TOPIC } = h.inputs
        const after = h.cursor()
        await h.startProgram({ MQTT_URL: h.tap.secureUrl! })
        const connect = await h.expectConnect({
          description: `a CONNECT as ${h.inputs.DEVICE_ID} over wss:// (MQTT_URL is now ${h.tap.secureUrl})`,
          after,
        })
        const connection = h.connectionOf(connect)
        const transport = connection === undefined ? undefined : h.transportOf(connection)
        if (transport !== 'wss') {
          fail({
            message: `Given a wss:// MQTT_URL, your program connected over ${transport ?? 'something else'}: connect to the URL it is given.`,
            expected: 'a CONNECT over wss://',
            received: `a CONNECT over ${transport ?? 'an unknown transport'}`,
          })
        }
        await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of "online" to ${STATUS_TOPIC} over wss://`,
          match: isPublishTo(STATUS_TOPIC, 'online'),
          after,
        })
      },
    },
    settleCheck({ covers: [6], lessonSection: 'mqtt-over-websockets' }),
    {
      id: 'refuses-unknown-ca',
      title: 'Given a wss:// URL of a server whose certificate another CA signed, your client refuses it',
      points: 2,
      covers: [7],
      hint: 'Never set rejectUnauthorized: false. With the course CA as `ca`, Node refuses every certificate that CA did not sign, over wss:// as over mqtts://.',
      lessonSection: 'mqtt-over-websockets',
      // An impostor says nothing about a client that cannot reach the real broker over wss:// either.
      needs: ['connects-over-wss'],
      async run(h) {
        await expectImpostorRefused(h, 'unknown-ca', {
          scheme: 'wss',
          what: 'a wss:// server whose certificate the course CA did not sign',
          fix: 'Remove whatever turns the certificate check off (rejectUnauthorized: false in MQTT.js, cert_reqs=ssl.CERT_NONE in paho): the CA check is what makes wss:// safer than ws://.',
          mustExitWithError: false,
        })
      },
    },
    {
      id: 'refuses-wrong-name',
      title:
        'Given a wss:// URL of a server with a course-CA certificate for another host name, your client refuses it',
      points: 1,
      covers: [7],
      hint: "A valid certificate for another name is someone else's: keep Node's default checkServerIdentity, which compares the certificate's names with the host you dialled.",
      lessonSection: 'mqtt-over-websockets',
      // A client that trusts every certificate fails the check above: this one is about the name alone.
      needs: ['connects-over-wss', 'refuses-unknown-ca'],
      async run(h) {
        await expectImpostorRefused(h, 'wrong-name', {
          scheme: 'wss',
          what: 'a wss:// server whose certificate (signed by the course CA) is for broker.invalid, not for the address you dialled',
          fix: 'Remove whatever turns the host-name check off (a checkServerIdentity override in MQTT.js, tls_insecure_set(True) in paho): the host-name check is what stops one valid certificate from impersonating another server.',
          mustExitWithError: false,
        })
      },
    },
  ],
})
