import type { IPublishPacket } from 'mqtt-packet'
import { fail } from '../../grader/checks/check-failure.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { settleCheck } from '../../grader/checks/settle-check.ts'
import { isPublishTo, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { quoteText } from '../../grader/wiretap/format-packet.ts'
import type { Random } from '../../grader/runner/random.ts'

type Inputs = { DEVICE_ID: string }
type Led = 'on' | 'off'

const topics = (h: Harness<Inputs>) => ({
  commands: `home/${h.inputs.DEVICE_ID}/commands`,
  led: `home/${h.inputs.DEVICE_ID}/led`,
  errors: `home/${h.inputs.DEVICE_ID}/errors`,
})

/** The LED's state as the grader tracks it, from the commands it has sent: the device must agree. */
const ledByRun = new WeakMap<object, Led>()

/**
 * Sends one command and returns the first thing the device published in answer, read from its own trace: the
 * command reaches it, then it publishes, in that order, on one connection.
 */
async function answerTo(h: Harness<Inputs>, payload: string, description: string): Promise<IPublishPacket> {
  const { commands, led, errors } = topics(h)
  const after = h.cursor()
  const observer = await h.observer()
  await observer.publish(commands, payload, { qos: 1 }, h.signal)
  await h.expectPacket({
    from: 'broker',
    description: `the command ${quoteText(payload)} delivered to your device`,
    match: (p): p is IPublishPacket => p.cmd === 'publish' && p.topic === commands && payloadText(p) === payload,
    after,
  })
  return h.expectPacket({
    from: 'program',
    description,
    match: (p): p is IPublishPacket => isPublishTo(led)(p) || isPublishTo(errors)(p),
    after,
  })
}

/** Sends a valid command and expects the new state, retained, on the led topic. */
async function expectState(h: Harness<Inputs>, command: string, state: Led): Promise<void> {
  const { led, errors } = topics(h)
  const answer = await answerTo(
    h,
    command,
    `a PUBLISH of "${state}" on ${led}, after the command ${quoteText(command)}`,
  )
  if (answer.topic === errors) {
    fail({
      message: `Your device refused the valid command ${quoteText(command)}, reporting ${quoteText(payloadText(answer))}.`,
      expected: `PUBLISH topic="${led}" payload="${state}"`,
      received: `PUBLISH topic="${errors}" payload=${quoteText(payloadText(answer))}`,
    })
  }
  if (payloadText(answer) !== state) {
    fail({
      message: `After ${quoteText(command)} your device says "${payloadText(answer)}" on ${led}; it should say "${state}".`,
      expected: `"${state}"`,
      received: quoteText(payloadText(answer)),
    })
  }
  if (!answer.retain) {
    fail({
      message: `You publish the new state "${state}" without the retain flag: a dashboard that opens later would not know whether the LED is on.`,
      expected: `PUBLISH topic="${led}" retain=1 payload="${state}"`,
      received: `PUBLISH topic="${led}" retain=0 payload="${state}"`,
    })
  }
}

/** Sends garbage and expects an error report that quotes it, and no state change. */
async function expectError(h: Harness<Inputs>, payload: string, what: string): Promise<void> {
  const { led, errors } = topics(h)
  const answer = await answerTo(h, payload, `an error report on ${errors} for ${what} ${quoteText(payload)}`)
  if (answer.topic === led) {
    fail({
      message: `After ${what} ${quoteText(payload)} your device published ${quoteText(payloadText(answer))} on ${led}: a rejected command must not change the state; report it on ${errors}.`,
      expected: `PUBLISH topic="${errors}"`,
      received: `PUBLISH topic="${led}" payload=${quoteText(payloadText(answer))}`,
    })
  }
  let parsed: { error?: unknown; input?: unknown }
  try {
    parsed = JSON.parse(payloadText(answer)) as typeof parsed
  } catch {
    fail({
      message: `Your error report is not JSON: ${quoteText(payloadText(answer))}.`,
      expected: '{"error": "...", "input": "<what was received>"}',
      received: payloadText(answer),
    })
  }
  if (typeof parsed.input === 'string' && parsed.input !== payload && isSameJson(parsed.input, payload)) {
    fail({
      message: `Your error report for ${what} quotes ${quoteText(parsed.input)}: the same JSON, written out again, but not what arrived. Whoever sent ${quoteText(payload)} looks for their own text: quote the payload as you received it (payload.toString()), not the parsed value.`,
      expected: JSON.stringify({ error: '<what went wrong>', input: payload }),
      received: payloadText(answer),
    })
  }
  if (typeof parsed.error !== 'string' || parsed.error.length === 0 || parsed.input !== payload) {
    fail({
      message: `Your error report for ${what} must say what went wrong ("error") and quote what was received, exactly ("input"), so that whoever sent it can find the mistake.`,
      expected: JSON.stringify({ error: '<what went wrong>', input: payload }),
      received: payloadText(answer),
    })
  }
}

/**
 * A command in one of the layouts people and libraries write JSON in: compact, spaced, across lines. A device
 * that compares the raw text with '{"led":"on"}', or quotes a command it parsed and wrote out again, fails one.
 */
type Layout = 'compact' | 'spaced' | 'lines'
function writeJson(value: unknown, layout: Layout): string {
  if (layout === 'compact') return JSON.stringify(value)
  if (layout === 'lines') return JSON.stringify(value, null, 2)
  // As a person types it: a space after each colon and comma, and inside the braces.
  const compact = JSON.stringify(value)
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? `{ ${compact.slice(1, -1).replace(/":/g, '": ').replace(/,"/g, ', "')} }`
    : compact
}

/** Whether two texts are the same JSON value, whatever their layout. */
function isSameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b))
  } catch {
    return false
  }
}

/** One payload of each kind of malformed JSON, in a random order: a device must survive them all. */
function malformedJson(random: Random): string[] {
  const value = random.pick(['on', 'off', 'toggle'])
  return random.shuffle([
    `{"led": "${value}"`, // cut short
    `led=${value}`, // not JSON at all
    `{'led': '${value}'}`, // single quotes
    '', // empty
    `{"led": "${value}"}}`, // trailing garbage
    `{"led": ${value}}`, // a bare word
    `{"led": "${random.pick(['grün', 'ön', 'éteint', 'вкл'])}"`, // cut short, with letters beyond ASCII
  ])
}

/**
 * One payload of each kind of well-formed but unknown command, in a random order: a wrong LED value of every
 * type, every JSON value that is not an object, another key, an extra key. Which kinds are tried never depends
 * on the seed; only the words and numbers do.
 */
function unknownCommands(random: Random): string[] {
  const layouts: Layout[] = ['spaced', 'lines']
  return random.shuffle([
    // Laid out as people write them: the report must quote these exactly as they arrived.
    writeJson({ led: random.pick(['blink', 'dim', 'flash']) }, random.pick(layouts)), // an unknown word, spaced or across lines
    writeJson({ led: random.pick(['grün', 'éteint', 'вкл', 'アン']) }, 'spaced'), // an unknown word beyond ASCII
    writeJson({ led: random.pick(['on', 'off']), [random.pick(['fan', 'dimmer'])]: random.int(1, 9) }, 'lines'), // an extra key, across lines
    JSON.stringify({ led: random.pick(['blink', 'dim', 'flash', 'pulse']) }), // an unknown word
    JSON.stringify({ led: random.pick(['ON', 'Off', 'TOGGLE', 'On']) }), // the right word in the wrong case
    JSON.stringify({ led: random.int(0, 9) }), // a number
    JSON.stringify({ led: random.pick([true, false]) }), // a boolean
    JSON.stringify({ led: null }),
    JSON.stringify({ led: [random.pick(['on', 'off'])] }), // an array
    JSON.stringify({ led: { state: random.pick(['on', 'off']) } }), // an object
    JSON.stringify([random.pick(['on', 'off'])]), // an array, not an object
    String(random.int(1, 99)), // a number
    JSON.stringify(random.pick(['on', 'off', 'toggle'])), // a string
    random.pick(['true', 'false']), // a boolean
    'null',
    JSON.stringify({}), // no key at all
    JSON.stringify({ [random.pick(['fan', 'heater', 'lamp', 'light'])]: random.pick(['on', 'off']) }), // another key
    JSON.stringify({
      led: random.pick(['on', 'off']),
      [random.pick(['fan', 'brightness', 'colour'])]: random.pick(['on', 50, 'red']),
    }), // an extra key
  ])
}

export default defineExercise<Inputs>({
  id: 'ex7',
  slug: 'device-commands',
  title: 'Device commands',
  summary:
    'Obey JSON commands from the cloud, publish the device state retained, report bad commands on an error topic, and never crash.',
  lesson: '06-telemetry-and-commands',
  run: {
    entry: 'main.ts',
    inputs: (random) => ({ DEVICE_ID: random.id(random.pick(['lamp', 'desk-light', 'porch-light', 'strip'])) }),
    deadlineMs: 60_000,
    startsEarly: true,
    clientIdInput: 'DEVICE_ID',
  },
  hints: [
    'Three topics: commands come in on home/<device>/commands; the state goes out, retained, on home/<device>/led; problems go out on home/<device>/errors.',
    'JSON.parse throws on malformed input: wrap it in try/catch, or one bad message kills your device. Then check the shape: an object with exactly one key, "led", whose value is "on", "off" or "toggle".',
    'For every input, publish exactly one message: the new state (retained) or an error {"error": "...", "input": "<the payload as received>"}.',
  ],
  setUp: observeTopics((h) => {
    const { led, errors } = topics(h)
    return [led, errors]
  }),
  checks: [
    {
      id: 'announces-state',
      title:
        'Your program subscribes to home/DEVICE_ID/commands and publishes its state "off", retained, on home/DEVICE_ID/led',
      points: 1,
      covers: [1],
      hint: 'Once connected: subscribe to the commands topic, then publish "off" with { qos: 1, retain: true } on the led topic.',
      lessonSection: 'device-commands',
      async run(h) {
        await h.program()
        await h.expectConnect()
        const { commands, led } = topics(h)
        await h.expectSubscription(commands)
        const state = await h.expectPacket({
          from: 'program',
          description: `a PUBLISH of the initial state on ${led}`,
          match: isPublishTo(led),
        })
        if (payloadText(state) !== 'off' || !state.retain || state.qos !== 1) {
          fail({
            message: `Your first state message is ${JSON.stringify(payloadText(state))} with qos=${state.qos} retain=${state.retain ? 1 : 0}; the LED starts "off", and the state is always published at QoS 1, retained.`,
            expected: `PUBLISH topic="${led}" qos=1 retain=1 payload="off"`,
            received: `PUBLISH topic="${led}" qos=${state.qos} retain=${state.retain ? 1 : 0} payload=${JSON.stringify(payloadText(state))}`,
          })
        }
        ledByRun.set(h.tap, 'off')
      },
    },
    {
      id: 'obeys-commands',
      title:
        'Each {"led": "on" | "off" | "toggle"} changes the state, published retained; a late dashboard gets the latest',
      points: 2,
      covers: [2],
      hint: 'Keep the LED state in a variable; "toggle" flips it. After every valid command publish the new state with retain: true.',
      lessonSection: 'device-commands',
      timeoutMs: 10_000,
      async run(h) {
        let led: Led = ledByRun.get(h.tap) ?? 'off'
        const sequence: Array<Led | 'toggle'> = [
          'on',
          'toggle',
          'toggle',
          'off',
          ...h.random.shuffle<Led | 'toggle'>(['on', 'off', 'toggle', 'toggle']),
        ]
        // Every layout on every run, each at least twice.
        const layouts = h.random.shuffle<Layout>([
          'compact',
          'spaced',
          'lines',
          'compact',
          'spaced',
          'lines',
          'spaced',
          'lines',
        ])
        for (const [index, value] of sequence.entries()) {
          led = value === 'toggle' ? (led === 'on' ? 'off' : 'on') : value
          await expectState(h, writeJson({ led: value }, layouts[index]), led)
        }
        ledByRun.set(h.tap, led)
        const retained = await h.retainedMessage(topics(h).led)
        if (!retained || payloadText(retained) !== led) {
          fail({
            message: `A dashboard that connects now is told ${retained ? JSON.stringify(payloadText(retained)) : 'nothing'} about the LED, which is "${led}": publish every state with retain: true.`,
            expected: `retained "${led}"`,
            received: retained ? JSON.stringify(payloadText(retained)) : 'no retained message',
          })
        }
      },
    },
    {
      id: 'reports-bad-json',
      title: 'Malformed JSON gets an error report on home/DEVICE_ID/errors, and your program keeps running',
      points: 2,
      covers: [3],
      hint: 'try { JSON.parse(text) } catch { publish {"error": "not JSON", "input": text} to the errors topic; return }. Never let an exception escape a message handler.',
      lessonSection: 'handling-bad-input',
      timeoutMs: 10_000,
      async run(h) {
        // Every kind of malformed JSON, every run; only the details are random.
        for (const payload of malformedJson(h.random)) await expectError(h, payload, 'the malformed JSON')
        // Still alive and still obeying:
        const led = ledByRun.get(h.tap) === 'on' ? 'off' : 'on'
        await expectState(h, JSON.stringify({ led }), led)
        ledByRun.set(h.tap, led)
      },
    },
    {
      id: 'reports-unknown-commands',
      title: 'Well-formed but unknown commands get an error report too, and change nothing',
      points: 1,
      covers: [3],
      hint: 'Valid JSON is not a valid command: accept only an object with exactly the key "led" and one of the values "on", "off", "toggle". Report everything else.',
      lessonSection: 'handling-bad-input',
      timeoutMs: 10_000,
      async run(h) {
        // Every kind of mistake, every run; only the details are random.
        for (const payload of unknownCommands(h.random)) await expectError(h, payload, 'the unknown command')
      },
    },
    settleCheck({ covers: [4], lessonSection: 'device-commands' }),
  ],
})
