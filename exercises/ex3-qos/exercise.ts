import type { IConnackPacket, IPublishPacket, Packet } from 'mqtt-packet'
import { fail } from '../../grader/checks/check-failure.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isDisconnect, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { describeExit } from '../../grader/runner/student-program.ts'
import { settleCheck } from '../../grader/checks/settle-check.ts'
import { formatPacket } from '../../grader/wiretap/format-packet.ts'
import type { PacketEvent } from '../../grader/wiretap/wire-trace.ts'

type Inputs = { CLIENT_ID: string; TOPIC: string; COUNT: string; COMMANDS_TOPIC: string }
type QoS = 0 | 1 | 2

/** One run of the program in publish mode at `qos`, and what crossed the wire during it. */
interface PublishRun {
  qos: QoS
  events: PacketEvent[]
  publishes: IPublishPacket[]
}

/** Runs the program with MODE=publish at each QoS in turn; the checks read the runs, the program runs once per QoS. */
async function runPublishMode(h: Harness<Inputs>, qos: QoS): Promise<PublishRun> {
  const after = h.cursor()
  await h.startProgram({ MODE: 'publish', QOS: String(qos) })
  await h.expectExit(`published ${h.inputs.COUNT} readings at QoS ${qos} and exited`)
  const events = h.tap.trace.packets(() => true, after)
  const publishes = events
    .filter(
      (e) =>
        e.direction === 'to-broker' &&
        e.packet.cmd === 'publish' &&
        (e.packet as IPublishPacket).topic === h.inputs.TOPIC,
    )
    .map((e) => e.packet as IPublishPacket)
  return { qos, events, publishes }
}

/** The readings the program should have sent: {"seq": 1} .. {"seq": COUNT}, in order. */
function expectReadings(h: Harness<Inputs>, run: PublishRun): void {
  const count = Number(h.inputs.COUNT)
  const readings = run.publishes.filter((p) => p.topic === h.inputs.TOPIC)
  const seqs = readings.map((p) => {
    try {
      return (JSON.parse(payloadText(p)) as { seq?: unknown }).seq
    } catch {
      return payloadText(p)
    }
  })
  const expectedSeqs = Array.from({ length: count }, (_, index) => index + 1)
  if (readings.length === 0) {
    fail({
      message: `With QOS=${run.qos} your program exited before a single reading left it. client.publish() only starts sending: await client.publishAsync() for each reading, and await client.endAsync(), before process.exit().`,
      expected: `seq ${JSON.stringify(expectedSeqs)}`,
      received: 'no PUBLISH at all',
      trace: run.events,
    })
  }
  const isCutShort = seqs.length < count && seqs.every((seq, index) => seq === index + 1)
  if (isCutShort) {
    fail({
      message: `With QOS=${run.qos} your program sent ${seqs.length} of its ${count} readings, then exited: the others were still queued inside MQTT.js and died with the process. ${run.qos === 0 ? 'At QoS 0 publishAsync() resolves when a message is queued, not when it is sent: ' : ''}await client.endAsync() before process.exit(), so the queue is flushed.`,
      expected: `seq ${JSON.stringify(expectedSeqs)}`,
      received: `seq ${JSON.stringify(seqs)}`,
      trace: run.events,
    })
  }
  if (JSON.stringify(seqs) !== JSON.stringify(expectedSeqs)) {
    fail({
      message: `With QOS=${run.qos} your program sent ${readings.length} readings to ${h.inputs.TOPIC} with seq ${JSON.stringify(seqs)}; COUNT was ${count}, so seq should run from 1 to ${count}.`,
      expected: `seq ${JSON.stringify(expectedSeqs)}`,
      received: `seq ${JSON.stringify(seqs)}`,
      trace: run.events,
    })
  }
  const wrong = readings.find((p) => p.qos !== run.qos)
  if (wrong) {
    fail({
      message: `With QOS=${run.qos} your PUBLISH of ${payloadText(wrong)} went out at qos=${wrong.qos}. Publish at the QoS the environment asks for: { qos: Number(process.env.QOS) }.`,
      expected: `PUBLISH qos=${run.qos}`,
      received: `PUBLISH qos=${wrong.qos}`,
      trace: run.events,
    })
  }
}

/**
 * Every handshake of a QoS 1 or 2 run finished before the client said goodbye, and the client did say it. Read
 * per connection: packet ids and the DISCONNECT belong to the connection a reading went out on (a program may
 * open another connection, a subscriber of its own, say).
 */
function expectCompletedHandshakes(run: PublishRun): void {
  const ends: Array<Packet['cmd']> = run.qos === 1 ? ['puback'] : ['pubrec', 'pubrel', 'pubcomp']
  const readingEvents = run.events.filter(
    (e) =>
      e.direction === 'to-broker' && e.packet.cmd === 'publish' && run.publishes.includes(e.packet as IPublishPacket),
  )
  const connections = [...new Set(readingEvents.map((e) => e.connection))]
  const disconnectOf = (connection: number) =>
    run.events.find((e) => e.connection === connection && e.direction === 'to-broker' && isDisconnect(e.packet))
  // Without a DISCONNECT whether the last acknowledgement made it before the connection closed is a race
  // (the program exits as the broker answers): the message names the missing DISCONNECT either way, and what
  // was still open goes in "received".
  let openWhenClosed: string | undefined
  for (const { packet: publish, connection } of readingEvents) {
    const disconnect = disconnectOf(connection)
    const id = (publish as { messageId?: number }).messageId
    const steps = ends.map((cmd) =>
      run.events.find(
        (e) =>
          e.connection === connection && e.packet.cmd === cmd && (e.packet as { messageId?: number }).messageId === id,
      ),
    )
    const missing = ends.find((_, index) => !steps[index] || (disconnect && steps[index]!.seq > disconnect.seq))
    if (missing && !disconnect)
      openWhenClosed ??= `the connection closed before the QoS ${run.qos} exchange for message id ${id} was complete (no ${missing.toUpperCase()} reached it), with no DISCONNECT`
    else if (missing) {
      fail({
        message: `Your client disconnected before the QoS ${run.qos} exchange for message id ${id} was complete (no ${missing.toUpperCase()} yet): the reading may be lost. Wait for every publish (await client.publishAsync) before client.endAsync().`,
        expected:
          run.qos === 1
            ? 'PUBLISH → PUBACK for every reading, then DISCONNECT'
            : 'PUBLISH → PUBREC → PUBREL → PUBCOMP for every reading, then DISCONNECT',
        received: `message id ${id} without ${missing.toUpperCase()}`,
        trace: run.events,
      })
    }
  }
  if (connections.some((connection) => !disconnectOf(connection))) {
    fail({
      message:
        'Your client never sent DISCONNECT: end the session cleanly with await client.endAsync() before exiting.',
      expected:
        run.qos === 1
          ? 'PUBLISH → PUBACK for every reading (await each publish), then DISCONNECT'
          : 'PUBLISH → PUBREC → PUBREL → PUBCOMP for every reading (await each publish), then DISCONNECT',
      received: openWhenClosed ?? 'the connection just closed',
      trace: run.events,
    })
  }
}

/**
 * One run at `qos`: the readings go out at that QoS, every exchange completes before DISCONNECT (QoS 1, 2),
 * the program exits 0, and the subscriber gets every reading exactly once, in order.
 */
async function expectRun(h: Harness<Inputs>, qos: QoS): Promise<void> {
  const observer = await h.observer()
  const after = observer.trace.cursor
  const run = await runPublishMode(h, qos)
  expectReadings(h, run)
  if (qos > 0) expectCompletedHandshakes(run)
  const exit = h.currentProgram!.exitInfo!
  if (exit.exitCode !== 0)
    fail({
      message: `With QOS=${qos} your program ${describeExit(exit)}; exit with code 0 once everything is delivered.`,
      expected: 'exit code 0',
      received: describeExit(exit),
      trace: run.events,
    })
  // Whatever the broker accepted it has routed by now: a barrier on the observer proves nothing is on its way.
  await observer.barrier(h.signal)
  const received = observer
    .messages(after)
    .filter((m) => m.topic === h.inputs.TOPIC)
    .map((m) => {
      try {
        return JSON.stringify(JSON.parse(payloadText(m)))
      } catch {
        return payloadText(m)
      }
    })
  const expected = Array.from({ length: Number(h.inputs.COUNT) }, (_, index) => JSON.stringify({ seq: index + 1 }))
  if (JSON.stringify(received) !== JSON.stringify(expected)) {
    fail({
      message:
        received.length < expected.length
          ? `With QOS=${qos} the subscriber received ${received.length} of your ${expected.length} readings: the rest were lost when your program exited. ${qos === 0 ? 'At QoS 0 publishAsync() resolves when the message is queued, not sent: await client.endAsync() before exiting, so the queue is flushed.' : 'Wait for every exchange and for client.endAsync() before exiting.'}`
          : `With QOS=${qos} the subscriber received ${JSON.stringify(received)}; it should get every reading exactly once, in order.`,
      expected: expected.join(', '),
      received: received.join(', ') || 'nothing',
      trace: run.events,
    })
  }
}

export default defineExercise<Inputs>({
  id: 'ex3',
  slug: 'qos',
  title: 'Quality of Service',
  summary:
    'Publish at QoS 0, 1 and 2 and exit only when delivery is complete; keep a persistent session that receives what was sent while it was offline.',
  lesson: '03-qos',
  run: {
    entry: 'main.ts',
    inputs: (random) => {
      const device = random.id('meter')
      const base = `${random.pick(['acme', 'globex', 'initech'])}/site-${random.int(1, 9)}/${device}`
      return {
        CLIENT_ID: device,
        TOPIC: `${base}/readings`,
        COUNT: String(random.int(3, 6)),
        COMMANDS_TOPIC: `${base}/commands`,
      }
    },
    deadlineMs: 60_000,
    programRuns: 4,
    clientIdInput: 'CLIENT_ID',
  },
  hints: [
    'QoS is chosen per message, in the options of publish(): { qos: 0 | 1 | 2 }. Read it from process.env.QOS and turn it into a number.',
    'A publish at QoS 1 or 2 is finished only when its acknowledgement arrives: await client.publishAsync(...) for each reading, then await client.endAsync(), then exit.',
    'A persistent session needs three things: the same client id every time, clean: false in the connect options, and a subscription at QoS 1 or 2 (QoS 0 messages are not kept for absent clients).',
  ],
  setUp: observeTopics((h) => [h.inputs.TOPIC], { qos: 2 }),
  checks: [
    {
      id: 'qos0-fire-and-forget',
      title: 'With QOS=0, your program sends COUNT readings {"seq": n}, all of which reach the subscriber, and exits 0',
      points: 1,
      covers: [1],
      hint: 'At QoS 0, publishAsync() resolves once the message is queued, not sent: await client.endAsync() before process.exit(), or the queue dies with the process.',
      lessonSection: 'qos-0-at-most-once',
      timeoutMs: 10_000,
      run: (h) => expectRun(h, 0),
    },
    {
      id: 'qos1-at-least-once',
      title: 'With QOS=1, every reading goes PUBLISH → PUBACK before your client disconnects, and none is lost',
      points: 2,
      covers: [1],
      hint: 'Read the QoS from the environment: { qos: Number(process.env.QOS) }. Await each publishAsync(): at QoS 1 it resolves when the PUBACK arrives.',
      lessonSection: 'qos-1-at-least-once',
      timeoutMs: 10_000,
      run: (h) => expectRun(h, 1),
    },
    {
      id: 'qos2-exactly-once',
      title:
        'With QOS=2, every reading goes PUBLISH → PUBREC → PUBREL → PUBCOMP before your client disconnects, exactly once',
      points: 2,
      covers: [1],
      hint: 'QoS 2 is the only way to "exactly once": do not downgrade it. MQTT.js runs the four-packet exchange for you when you publish with { qos: 2 }.',
      lessonSection: 'qos-2-exactly-once',
      timeoutMs: 10_000,
      run: (h) => expectRun(h, 2),
    },
    {
      id: 'persistent-session',
      title: 'With MODE=session, your persistent session receives the commands published while it was cut off',
      points: 3,
      covers: [2],
      hint: 'mqtt.connect(url, { clientId, clean: false }) and subscribe to COMMANDS_TOPIC with { qos: 1 }. The broker then keeps QoS 1 messages for your client id while it is away, and delivers them when it comes back.',
      lessonSection: 'persistent-sessions',
      timeoutMs: 15_000,
      async run(h) {
        const { CLIENT_ID, COMMANDS_TOPIC } = h.inputs
        const after = h.cursor()
        await h.startProgram({ MODE: 'session' })
        const connect = await h.expectConnect({ after })
        if (connect.clean) {
          fail({
            message:
              'Your CONNECT asks for a clean session (clean=true): the broker forgets your subscriptions, and everything sent while you were away, the moment you disconnect. Connect with clean: false.',
            expected: 'CONNECT clean=false',
            received: 'CONNECT clean=true',
          })
        }
        // MQTT 5 splits clean=false in two: Clean Start 0 resumes a session, and the Session Expiry Interval says
        // how long the broker keeps it once the connection is gone. Absent, it is 0: the session ends with the
        // connection, and nothing is kept for the reconnection [MQTT-3.1.2-23].
        const expiry = connect.properties?.sessionExpiryInterval ?? 0
        if (connect.protocolVersion === 5 && expiry === 0) {
          fail({
            message:
              'Your CONNECT is MQTT 5 with Clean Start 0 (clean: false) but no Session Expiry Interval. In MQTT 5 that interval says how long the broker keeps your session once the connection is gone, and without it the session ends with the connection: nothing is kept for your reconnection. Set properties: { sessionExpiryInterval: 3600 } (seconds) in the connect options, or connect with MQTT 3.1.1, where clean: false alone keeps the session.',
            expected: 'CONNECT protocol=MQTT 5 clean=false properties={sessionExpiryInterval > 0}',
            received: `${formatPacket(connect)} sessionExpiryInterval=${connect.properties?.sessionExpiryInterval ?? '(none)'}`,
          })
        }
        const { granted } = await h.expectSubscription(COMMANDS_TOPIC, { after })
        if (granted === 0) {
          fail({
            message: `Your subscription to ${COMMANDS_TOPIC} is QoS 0: queueing QoS 0 messages for a client that is away is optional, and Mosquitto and aedes do not do it by default. Subscribe with { qos: 1 }.`,
            expected: 'SUBACK granted=[1]',
            received: 'SUBACK granted=[0]',
          })
        }

        // Offline: cut the connection, keep the reconnect out, and publish meanwhile.
        h.tap.holdNewConnections()
        const commands = Array.from({ length: 3 }, () =>
          JSON.stringify({ command: h.random.pick(['reboot', 'calibrate', 'report', 'sleep']), id: h.random.hex(4) }),
        )
        try {
          const cut = h.taskConnection()
          cut.cut()
          await cut.closed
          const observer = await h.observer()
          for (const command of commands) await observer.publish(COMMANDS_TOPIC, command, { qos: 1 }, h.signal)
        } finally {
          h.tap.releaseNewConnections()
        }
        const reconnectAt = h.cursor()
        const reconnect = await h.expectConnect({
          description: `a new CONNECT as ${CLIENT_ID} after the cut (MQTT.js reconnects by itself)`,
          after: reconnectAt,
        })
        const connack = await h.expectPacket({
          from: 'broker',
          description: 'the CONNACK of the reconnection',
          match: (p): p is IConnackPacket => p.cmd === 'connack',
          after: reconnectAt,
        })
        if (!connack.sessionPresent) {
          fail({
            message: `The broker answered your reconnection with sessionPresent=false: your session was gone${reconnect.clean ? ' because the reconnect asked for clean=true' : ''}.`,
            expected: 'CONNACK sessionPresent=true',
            received: 'CONNACK sessionPresent=false',
          })
        }
        for (const command of commands) {
          const delivery = await h.expectPacket({
            from: 'broker',
            description: `the queued command ${command}, delivered to your client after the reconnection`,
            match: (p): p is IPublishPacket =>
              p.cmd === 'publish' && p.topic === COMMANDS_TOPIC && payloadText(p) === command,
            after: reconnectAt,
          })
          await h.expectPacket({
            from: 'program',
            description: `your client's PUBACK for ${command} (proof it received it)`,
            match: (p): p is Packet =>
              p.cmd === 'puback' && (p as { messageId?: number }).messageId === delivery.messageId,
            after: reconnectAt,
          })
        }
      },
    },
    settleCheck({ covers: [2], lessonSection: 'persistent-sessions' }),
  ],
})
