import type { IPublishPacket } from 'mqtt-packet'
import { fail } from '../../grader/checks/check-failure.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isDisconnect, isPublishTo, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { describeExit } from '../../grader/runner/student-program.ts'
import { formatDuration } from '../../grader/time/deadline.ts'
import { quoteText } from '../../grader/wiretap/format-packet.ts'
import type { PacketEvent } from '../../grader/wiretap/wire-trace.ts'
import type { TapConnection } from '../../grader/wiretap/wire-tap.ts'

type Inputs = { ORG: string; SITE: string; DEVICE_ID: string; COUNT: string; INTERVAL_MS: string }

/** The ranges a simulated reading must stay in (README): a thermometer indoors or out, a hygrometer. */
const tempRange = [-20, 50] as const
const humRange = [0, 100] as const

const topicsOf = (h: Harness<Inputs>) => {
  const base = `${h.inputs.ORG}/${h.inputs.SITE}/${h.inputs.DEVICE_ID}`
  return { telemetry: `${base}/telemetry`, status: `${base}/status` }
}

/** The student's PUBLISH events to the telemetry topic, with their times. */
function readings(h: Harness<Inputs>): Array<PacketEvent & { packet: IPublishPacket }> {
  const { telemetry } = topicsOf(h)
  return h.tap.trace.packets((e) => e.direction === 'to-broker' && isPublishTo(telemetry)(e.packet)) as Array<
    PacketEvent & { packet: IPublishPacket }
  >
}

/** All readings have arrived (or the program exited): the telemetry checks judge the complete series. */
async function waitForReadings(h: Harness<Inputs>): Promise<void> {
  const { telemetry } = topicsOf(h)
  const count = Number(h.inputs.COUNT)
  for (let index = readings(h).length; index < count; index = readings(h).length) {
    const before = h.cursor()
    await h
      .expectPacket({
        from: 'program',
        description: `reading ${index + 1} of ${count}, a PUBLISH to ${telemetry}`,
        match: (p): p is IPublishPacket => isPublishTo(telemetry)(p),
        after: before,
      })
      .catch((error: unknown) => {
        const sent = h.tap.trace
          .packets((e) => e.direction === 'to-broker' && e.packet.cmd === 'publish')
          .map((e) => (e.packet as IPublishPacket).topic)
        const elsewhere = [...new Set(sent.filter((topic) => topic !== telemetry && topic !== topicsOf(h).status))]
        if (index === 0 && elsewhere.length > 0) {
          fail({
            message: `Your program publishes to ${elsewhere.map(quoteText).join(', ')}, not to ${telemetry}. The convention is organisation/site/device-id/metric: ${h.inputs.ORG}/${h.inputs.SITE}/${h.inputs.DEVICE_ID}/telemetry.`,
            expected: `PUBLISH topic="${telemetry}"`,
            received: elsewhere.map((t) => `PUBLISH topic="${t}"`).join('\n'),
          })
        }
        throw error
      })
  }
}

/** How long the grader holds reading 1's PUBACK back: long enough that a sensor that does not wait sends reading 2. */
const probeWindowMs = (h: Harness<Inputs>) => 2 * Number(h.inputs.INTERVAL_MS) + 250

/** Per run: whether the sensor waited for reading 1's PUBACK before reading 2 (see probeAckWaiting). */
const ackProbes = new WeakMap<object, Promise<boolean>>()

/**
 * Whether the sensor waits for each PUBACK. The moment reading 1 reaches the tap, the tap holds that connection
 * (a slow network: nothing moves either way, and the PUBACK cannot come), until reading 2 arrives anyway (the
 * sensor did not wait) or the window passes (it waited). Then everything held is delivered, in order.
 */
function probeAckWaiting(h: Harness<Inputs>): Promise<boolean> {
  const { telemetry } = topicsOf(h)
  return new Promise((resolve) => {
    let held: TapConnection | undefined
    let timer: NodeJS.Timeout | undefined
    const finish = (waited: boolean) => {
      clearTimeout(timer)
      stop()
      held?.release()
      resolve(waited)
    }
    const stop = h.tap.trace.subscribe((event) => {
      if (event.kind !== 'packet' || event.direction !== 'to-broker' || !isPublishTo(telemetry)(event.packet)) return
      const connection = h.tap.connections[event.connection - 1]
      if (!held) {
        held = connection
        connection.hold()
        timer = setTimeout(() => finish(true), probeWindowMs(h)).unref()
      } else if (connection === held) finish(false)
    })
  })
}

export default defineExercise<Inputs>({
  id: 'ex6',
  slug: 'sensor-telemetry',
  title: 'Sensor telemetry',
  summary:
    'The course sensor: a retained online/offline status with a will, then JSON readings at QoS 1 on org/site/device/telemetry, at a steady pace.',
  lesson: '06-telemetry-and-commands',
  run: {
    entry: 'main.ts',
    inputs: (random) => ({
      ORG: random.pick(['acme', 'globex', 'initech', 'umbrella', 'hooli']),
      SITE: `${random.pick(['plant', 'depot', 'campus', 'farm'])}-${random.int(1, 9)}`,
      DEVICE_ID: random.id('sensor'),
      COUNT: String(random.int(3, 6)),
      INTERVAL_MS: String(random.int(4, 8) * 10),
    }),
    deadlineMs: 45_000,
    startsEarly: true,
    clientIdInput: 'DEVICE_ID',
  },
  hints: [
    'The order matters: connect with a will, announce "online", send the readings one by one, then say "offline" yourself and disconnect.',
    'A reading is JSON.stringify({ device, temp, hum, seq }) with numbers for temp (-20 to 50) and hum (0 to 100), and seq counting 1, 2, 3... Publish it with { qos: 1 } and await it.',
    "Pace the readings: wait INTERVAL_MS between two publishes (await new Promise((resolve) => setTimeout(resolve, interval)) in the device is fine: it is the device's clock, not a test waiting).",
  ],
  async setUp(h) {
    ackProbes.set(h.tap, probeAckWaiting(h))
    const observer = await h.observer()
    const { telemetry, status } = topicsOf(h)
    await observer.subscribe(
      [
        { topic: telemetry, qos: 1 },
        { topic: status, qos: 1 },
      ],
      h.signal,
    )
  },
  checks: [
    {
      id: 'connects-with-status-will',
      title: 'Your program connects as DEVICE_ID with a will: "offline", retained, on ORG/SITE/DEVICE_ID/status',
      points: 1,
      covers: [1],
      hint: 'mqtt.connect(url, { clientId, will: { topic: statusTopic, payload: "offline", qos: 1, retain: true } }); with paho: client.will_set(topic, "offline", qos=1, retain=True) before connect().',
      lessonSection: 'a-sensor-program',
      async run(h) {
        await h.program()
        const { status } = topicsOf(h)
        const connect = await h.expectConnect()
        const will = connect.will
        if (!will || will.topic !== status || payloadText(will) !== 'offline' || !will.retain) {
          fail({
            message: will
              ? `Your will is ${quoteText(payloadText(will))} on ${will.topic} (retain=${will.retain ? 1 : 0}); it should be "offline" on ${status}, retained, so a dashboard sees a dead sensor as offline.`
              : `Your CONNECT has no will: if the sensor loses power, its status stays "online" forever. Give mqtt.connect() a will: "offline" on ${status}, retained.`,
            expected: `will={topic="${status}" payload="offline" qos=1 retain=1}`,
            received: will
              ? `will={topic="${will.topic}" payload=${quoteText(payloadText(will))} qos=${will.qos} retain=${will.retain ? 1 : 0}}`
              : 'will=none',
          })
        }
      },
    },
    {
      id: 'announces-online',
      title: 'Once connected, your program publishes "online", retained, on its status topic',
      points: 1,
      covers: [2],
      hint: 'Before the first reading: publish "online" with { qos: 1, retain: true } on ORG/SITE/DEVICE_ID/status.',
      lessonSection: 'a-sensor-program',
      async run(h) {
        const { status } = topicsOf(h)
        const online = await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of "online" on ${status}`,
          match: isPublishTo(status, 'online'),
        })
        if (online.qos !== 1)
          fail({
            message: `You publish "online" at QoS ${online.qos}; the task asks for QoS 1, so the broker acknowledges the status.`,
            expected: 'qos=1',
            received: `qos=${online.qos}`,
          })
        if (!online.retain)
          fail({
            message:
              'You publish "online" without the retain flag: a dashboard that starts later would not know the sensor is up.',
            expected: 'retain=1',
            received: 'retain=0',
          })
      },
    },
    {
      id: 'publishes-telemetry',
      title:
        'Your program publishes COUNT readings {device, temp, hum, seq} as JSON, at QoS 1, on ORG/SITE/DEVICE_ID/telemetry',
      points: 3,
      covers: [3],
      hint: 'Each reading: JSON.stringify({ device: DEVICE_ID, temp, hum, seq }) with temp and hum as numbers (not strings), seq 1, 2, 3 ..., published with { qos: 1 }.',
      lessonSection: 'json-payloads',
      timeoutMs: 10_000,
      async run(h) {
        await waitForReadings(h)
        const count = Number(h.inputs.COUNT)
        const sent = readings(h)
        for (const [index, { packet }] of sent.entries()) {
          const text = payloadText(packet)
          // The reading itself goes in "received": its values come from the student's simulated sensor.
          const where = `Reading ${index + 1}`
          let reading: Record<string, unknown>
          try {
            reading = JSON.parse(text) as Record<string, unknown>
          } catch {
            fail({
              message: `${where} is not JSON: dashboards and databases downstream cannot read it. Publish JSON.stringify({ device, temp, hum, seq }).`,
              expected: '{"device": "...", "temp": 21.5, "hum": 40, "seq": 1}',
              received: text,
            })
          }
          if (packet.qos !== 1)
            fail({
              message: `${where} went out at QoS ${packet.qos}; sensor data is sent at QoS 1, so a reading lost on the way is sent again.`,
              expected: 'qos=1',
              received: `qos=${packet.qos}`,
            })
          if (reading.device !== h.inputs.DEVICE_ID)
            fail({
              message: `${where} says "device": ${JSON.stringify(reading.device)}; it should be ${JSON.stringify(h.inputs.DEVICE_ID)}.`,
              expected: `"device": "${h.inputs.DEVICE_ID}"`,
              received: text,
            })
          for (const [field, [low, high], unit] of [
            ['temp', tempRange, '°C'],
            ['hum', humRange, '%'],
          ] as const) {
            const value = reading[field]
            if (typeof value !== 'number')
              fail({
                message: `${where} has ${value === undefined ? `no "${field}"` : `a "${field}" that is a ${typeof value}`}: a measurement is a JSON number, like 21.5.`,
                expected: `"${field}": a number`,
                received: text,
              })
            if (value < low || value > high)
              fail({
                message: `${where} has a "${field}" outside ${low}..${high} ${unit}: is it in the right unit?`,
                expected: `${low} <= ${field} <= ${high}`,
                received: text,
              })
          }
          if (reading.seq !== index + 1) {
            fail({
              message: `${where} has "seq": ${JSON.stringify(reading.seq)}, but it is reading number ${index + 1}: seq counts 1, 2, 3 ... without gaps or repeats, so a consumer can tell when one is missing.`,
              expected: `"seq": ${index + 1}`,
              received: text,
            })
          }
        }
        if (sent.length !== count)
          fail({
            message: `Your program sent ${sent.length} readings; COUNT was ${count}.`,
            expected: `${count} readings`,
            received: `${sent.length}`,
          })
        if (!(await ackProbes.get(h.tap))) {
          fail({
            message: `Reading 2 left while reading 1 was still waiting for its PUBACK (the grader held it back for ${formatDuration(probeWindowMs(h))}): your sensor does not wait for each publish to be acknowledged, so on a slow network it piles up readings nobody has confirmed. Await each publish (publishAsync resolves on the PUBACK; paho: wait for on_publish with that message id) before the next.`,
            expected: 'PUBLISH (reading 1) → PUBACK → PUBLISH (reading 2)',
            received: 'PUBLISH (reading 1) → PUBLISH (reading 2), before the PUBACK',
          })
        }
      },
    },
    {
      id: 'respects-interval',
      title: 'Your program waits INTERVAL_MS between two readings',
      points: 1,
      covers: [3],
      hint: 'A sensor reports at a steady pace: after each reading, wait INTERVAL_MS before the next (setTimeout in the device, time.sleep in Python).',
      lessonSection: 'a-sensor-program',
      async run(h) {
        const interval = Number(h.inputs.INTERVAL_MS)
        const times = readings(h).map((e) => e.atMs)
        // A lower bound only, with slack for timers: a slow machine can only make the gaps longer.
        const gaps = times.slice(1).map((time, index) => time - times[index])
        const short = gaps.findIndex((gap) => gap < interval * 0.6)
        if (short >= 0) {
          fail({
            message: `Readings ${short + 1} and ${short + 2} left less than INTERVAL_MS (${formatDuration(interval)}) apart. Wait between readings: a sensor that floods the broker on start-up is a small denial of service.`,
            expected: `at least ${interval} ms between readings`,
            received: gaps.map((gap) => `${Math.round(gap)} ms`).join(', '),
          })
        }
      },
    },
    {
      id: 'goes-offline-cleanly',
      title:
        'After the last reading is acknowledged, your program publishes "offline", retained, disconnects and exits 0',
      points: 2,
      covers: [4],
      hint: 'Await the last publish, then publish "offline" with { qos: 1, retain: true }, await it, await client.endAsync(); in Python: wait for its on_publish (not wait_for_publish(), which raises while the connection is down), then disconnect() and loop_stop().',
      lessonSection: 'a-sensor-program',
      timeoutMs: 8000,
      async run(h) {
        const { status } = topicsOf(h)
        const last = readings(h).at(-1)!
        const offline = await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of "offline" on ${status} after the last reading`,
          match: isPublishTo(status, 'offline'),
          after: last.seq,
        })
        if (!offline.retain)
          fail({
            message:
              'You publish "offline" without the retain flag: the retained status stays "online" after the sensor is gone.',
            expected: 'retain=1',
            received: 'retain=0',
          })
        await h.expectPacket({
          from: 'program',
          description: 'a DISCONNECT after "offline"',
          match: isDisconnect,
          after: last.seq,
        })
        const exit = await h.expectExit('exited once disconnected')
        if (exit.exitCode !== 0)
          fail({
            message: `Your program disconnected, then ${describeExit(exit)}; finish with exit code 0.`,
            expected: 'exit code 0',
            received: describeExit(exit),
          })
        const retained = await h.retainedMessage(status)
        if (!retained || payloadText(retained) !== 'offline')
          fail({
            message: `After your sensor stopped, a dashboard is told ${retained ? quoteText(payloadText(retained)) : 'nothing'} about it.`,
            expected: 'retained "offline"',
            received: retained ? payloadText(retained) : 'nothing',
          })
      },
    },
  ],
})
