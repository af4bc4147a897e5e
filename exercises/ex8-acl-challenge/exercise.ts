import { StudentConfigError } from '../../grader/broker/mosquitto-conf.ts'
import { hashPasswordLine } from '../../grader/broker/password-file.ts'
import { fail } from '../../grader/checks/check-failure.ts'
import type { GraderClient } from '../../grader/checks/grader-client.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { connackCode, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { describeConnackCode, describeReasonCode } from '../../grader/mqtt/reason-codes.ts'

type Inputs = { ROOM: string; WRONG_PASSWORD: string; READING: string; OUTSIDE: string }

/** The passwords the README gives; the student's passwd must hold them. */
const passwords = { sensor: 'sensor-secret', dashboard: 'dashboard-secret' } as const

/** Logs in as one of the exercise's users, with MQTT 5 so that refusals come with a reason code. */
async function logIn(h: Harness<Inputs>, user: keyof typeof passwords): Promise<GraderClient> {
  const client = await h.open({
    name: user,
    username: user,
    password: passwords[user],
    protocolVersion: 5,
    clientId: `${user}-${h.random.hex(4)}`,
  })
  if (!client.isConnected) {
    fail({
      message: `${user} could not log in with the password from the README ("${passwords[user]}"): Mosquitto answered ${describeConnackCode(connackCode(client.connack!), 5)}. Is ${user} in your passwd file, with that password?`,
      expected: 'CONNACK reason=0x00 (Success)',
      received: `CONNACK reason=${describeConnackCode(connackCode(client.connack!), 5)}`,
    })
  }
  return client
}

/** The PUBACK's reason code for a QoS 1 publish (MQTT 5): 0x87 means the ACL said no. */
async function publishReason(
  h: Harness<Inputs>,
  client: GraderClient,
  topic: string,
  payload: string,
): Promise<number> {
  const ack = (await client.publish(topic, payload, { qos: 1 }, h.signal)) as { reasonCode?: number }
  return ack.reasonCode ?? 0
}

/** A topic the ACL forbids a user to publish to, and why, for the failure message. */
interface ForbiddenPublish {
  topic: string
  payload: string
  because: string
}

/**
 * `user` publishes to every topic the ACL forbids it, one of each kind: each message must reach nobody (proven
 * with barriers), and under MQTT 5 each PUBACK must say 0x87 (Not authorized).
 */
async function expectRefusedPublishes(
  h: Harness<Inputs>,
  user: keyof typeof passwords,
  forbidden: readonly ForbiddenPublish[],
): Promise<void> {
  const client = await logIn(h, user)
  const observer = await h.observer()
  const after = observer.trace.cursor
  const reasons: number[] = []
  for (const { topic, payload } of forbidden) reasons.push(await publishReason(h, client, topic, payload))
  for (const { topic, payload, because } of forbidden) {
    await h.expectNoMessage(observer, {
      description: `the ${user}'s "${payload}" on ${topic}`,
      match: (m) => m.topic === topic && payloadText(m) === payload,
      after,
      because,
    })
  }
  for (const [index, reason] of reasons.entries()) {
    if (reason !== 0x87) {
      const { topic } = forbidden[index]
      fail({
        message: `The ${user}'s publish to ${topic} was answered ${describeReasonCode(reason, 5)}, not 0x87 (Not authorized).`,
        expected: 'PUBACK reason=0x87 (Not authorized)',
        received: `PUBACK reason=${describeReasonCode(reason, 5)}`,
      })
    }
  }
}

/** The three kinds of topic an ACL check must try, with this run's room: each lane, and outside home/. */
function topicKinds(h: Harness<Inputs>): { sensorLane: string; dashboardLane: string; outsideHome: string } {
  const { ROOM, OUTSIDE } = h.inputs
  return {
    sensorLane: `home/sensors/${ROOM}/humidity`,
    dashboardLane: `home/lights/${ROOM}`,
    outsideHome: `${OUTSIDE}/${ROOM}/door`,
  }
}

/** A paragraph of NOTES.md that explains why a granted SUBSCRIBE delivers nothing (headings and comments aside). */
function explainsSilentSubscription(notes: string): boolean {
  const paragraphs = notes.split(/\n\s*\n/).map((paragraph) =>
    paragraph
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join(' '),
  )
  return paragraphs.some(
    (text) =>
      /subscri/i.test(text) &&
      /(deliver|read access|arriv|receiv|silent)/i.test(text) &&
      /(SUBACK|grant|accept|refus)/i.test(text),
  )
}

/**
 * Plain `user:password` lines become `$7$` hashes, as `mosquitto_passwd -U passwd` would make them: the
 * README lets students write the users list by hand.
 */
function hashPlainPasswords(passwd: string): string {
  return passwd
    .split(/\r?\n/)
    .map((line) => {
      const match = /^([^:#\s][^:]*):([^$].*)$/.exec(line.trim())
      return match ? hashPasswordLine({ username: match[1], password: match[2] }) : line
    })
    .join('\n')
}

/**
 * allow_anonymous false without a password_file: Mosquitto 2 then lets nobody in, whatever the password, the
 * grader's own client included. Said as a config mistake, with the line, rather than as a grader that cannot start.
 */
function refuseLockedOutConfig(conf: string): void {
  const lines = conf.split(/\r?\n/)
  const setting = (option: string) =>
    lines
      .map((text, index) => ({ text, line: index + 1 }))
      .filter(({ text }) => new RegExp(`^\\s*${option}\\s`).test(text))
  const anonymous = setting('allow_anonymous').at(-1)
  if (!anonymous || !/\sfalse\s*$/.test(anonymous.text) || setting('password_file').length > 0) return
  throw new StudentConfigError(
    "Your mosquitto.conf refuses anonymous clients but names no password_file, so Mosquitto lets nobody in: it has no passwords to check, not even sensor's",
    [
      {
        line: anonymous.line,
        text: anonymous.text.trim(),
        problem:
          'add "password_file passwd" (your passwd file) after it, so that users can log in with their passwords',
      },
    ],
  )
}

export default defineExercise<Inputs>({
  id: 'ex8',
  slug: 'acl-challenge',
  title: 'The ACL challenge',
  summary:
    'Secure a Mosquitto: no anonymous clients, a password file, and an ACL where the sensor may only publish and the dashboard may only read.',
  lesson: '07-securing-mosquitto',
  requires: ['mosquitto-conf', 'auth', 'acl', 'mqtt5'],
  run: {
    inputs: (random) => ({
      ROOM: random.pick(['kitchen', 'attic', 'garage', 'cellar', 'study', 'porch']),
      WRONG_PASSWORD: `${random.word()}-${random.hex(6)}`,
      READING: String(random.decimal(15, 28, 1)),
      OUTSIDE: random.pick(['office', 'garden', 'shed', 'barn', 'sensors']),
    }),
    deadlineMs: 45_000,
  },
  broker: ({ readSubmissionFile }) => {
    const conf = readSubmissionFile('mosquitto.conf')
    if (conf === undefined) throw new StudentConfigError('There is no mosquitto.conf in your submission', [])
    refuseLockedOutConfig(conf)
    const files: Record<string, string> = {}
    for (const name of ['acl', 'passwd', 'acl.conf', 'passwd.txt', 'password_file', 'acl_file']) {
      const content = readSubmissionFile(name)
      if (content !== undefined)
        files[name] = name.startsWith('passwd') || name === 'password_file' ? hashPlainPasswords(content) : content
    }
    return { studentConfig: { conf, files } }
  },
  hints: [
    'Three files work together: mosquitto.conf switches the other two on (allow_anonymous, password_file, acl_file), passwd says who may log in, and acl says what each user may do.',
    'In the acl, rules belong to the `user` line above them, and rules above the first `user` line apply to anonymous clients only. `topic X` on its own means readwrite: say `read` or `write`.',
    'The sensor needs `topic write home/sensors/#` and the dashboard `topic read home/#`. Mosquitto still grants every SUBSCRIBE; the ACL is checked on each delivery, so a forbidden subscription simply stays silent.',
  ],
  setUp: observeTopics(() => ['#']),
  checks: [
    // Wrong passwords first: without a password_file (and allow_anonymous true to let the users in) every
    // password works, which this check names; with a password_file but allow_anonymous true, only clients
    // without a username get in, which the next one names. Each mistake fails one check.
    {
      id: 'wrong-password-refused',
      title: 'A known user with a wrong password is refused',
      points: 1,
      covers: [1, 2],
      hint: 'password_file must point at your passwd file. Create it with mosquitto_passwd -c passwd sensor, then mosquitto_passwd passwd dashboard (no -c the second time: -c starts a new file).',
      lessonSection: 'passwords',
      async run(h) {
        for (const [user, protocolVersion] of [
          ['sensor', 4],
          ['dashboard', 5],
        ] as const) {
          const client = await h.open({
            name: user,
            username: user,
            password: h.inputs.WRONG_PASSWORD,
            protocolVersion,
          })
          const code = connackCode(client.connack!)
          client.destroy()
          if (code === 0) {
            fail({
              message: `${user} logged in with the password "${h.inputs.WRONG_PASSWORD}", which is not theirs: Mosquitto is not checking passwords. Set password_file to your passwd file.`,
              expected: `CONNACK ${describeConnackCode(protocolVersion === 5 ? 0x87 : 5, protocolVersion)}`,
              received: `CONNACK ${describeConnackCode(code, protocolVersion)}`,
            })
          }
        }
      },
    },
    {
      id: 'anonymous-refused',
      title: 'A client without a username is refused',
      points: 1,
      covers: [1],
      hint: 'allow_anonymous false in mosquitto.conf. (Mosquitto 2 refuses anonymous clients by default, unless the config says otherwise.)',
      lessonSection: 'passwords',
      async run(h) {
        for (const protocolVersion of [4, 5] as const) {
          const client = await h.open({ name: 'anonymous', protocolVersion, username: undefined, password: undefined })
          const code = connackCode(client.connack!)
          client.destroy()
          const expected = protocolVersion === 5 ? 0x87 : 5
          if (code !== expected) {
            fail({
              message:
                code === 0
                  ? `Mosquitto accepted a client that gave no username (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}): anyone on the network could read your home and switch your lights. Set allow_anonymous false.`
                  : `An anonymous client got ${describeConnackCode(code, protocolVersion)}; Mosquitto refuses one with ${describeConnackCode(expected, protocolVersion)} when allow_anonymous is false.`,
              expected: `CONNACK ${describeConnackCode(expected, protocolVersion)}`,
              received: `CONNACK ${describeConnackCode(code, protocolVersion)}`,
            })
          }
        }
      },
    },
    {
      id: 'users-log-in',
      title: 'sensor and dashboard log in with their passwords',
      points: 1,
      covers: [2],
      hint: 'Both users must be in passwd with the passwords from the README. mosquitto_passwd -b passwd dashboard dashboard-secret adds one without a prompt.',
      lessonSection: 'passwords',
      async run(h) {
        for (const user of ['sensor', 'dashboard'] as const) (await logIn(h, user)).destroy()
      },
    },
    {
      id: 'sensor-reaches-dashboard',
      title: 'A reading the sensor publishes to home/sensors/... reaches the dashboard subscribed to home/#',
      points: 2,
      covers: [3],
      hint: 'The sensor needs write access to home/sensors/#, the dashboard read access to home/#. Rules go under the `user` line they belong to.',
      lessonSection: 'access-control-lists',
      async run(h) {
        const topic = `home/sensors/${h.inputs.ROOM}/temperature`
        const dashboard = await logIn(h, 'dashboard')
        await dashboard.subscribe([{ topic: 'home/#', qos: 1 }], h.signal)
        const sensor = await logIn(h, 'sensor')
        const reason = await publishReason(h, sensor, topic, h.inputs.READING)
        if (reason === 0x87) {
          fail({
            message: `Mosquitto refused the sensor's publish to ${topic} with ${describeReasonCode(reason, 5)}: the ACL must let sensor write home/sensors/#.`,
            expected: 'PUBACK reason=0x00',
            received: `PUBACK reason=${describeReasonCode(reason, 5)}`,
          })
        }
        await h.expectMessage(dashboard, {
          description: `the sensor's reading ${h.inputs.READING} on ${topic}, at the dashboard`,
          match: (m) => m.topic === topic && payloadText(m) === h.inputs.READING,
        })
      },
    },
    {
      id: 'dashboard-reads-only-home',
      title: 'The dashboard reads everything under home/ and nothing outside it',
      points: 1,
      covers: [3],
      hint: "The dashboard's read rule is for home/#, not #: it is the house's dashboard, and other systems may share this broker.",
      lessonSection: 'access-control-lists',
      async run(h) {
        const dashboard = await logIn(h, 'dashboard')
        await dashboard.subscribe([{ topic: '#', qos: 1 }], h.signal)
        const { sensorLane, dashboardLane, outsideHome } = topicKinds(h)
        const observer = await h.observer()
        const after = dashboard.trace.cursor
        for (const topic of [outsideHome, dashboardLane, sensorLane])
          await observer.publish(topic, `to ${topic}`, { qos: 1 }, h.signal)
        for (const topic of [dashboardLane, sensorLane]) {
          await h.expectMessage(dashboard, {
            description: `"to ${topic}" on ${topic}, at the dashboard subscribed to #`,
            match: (m) => m.topic === topic,
            after,
          })
        }
        await h.expectNoMessage(dashboard, {
          description: `the message on ${outsideHome} at the dashboard`,
          match: (m) => m.topic === outsideHome,
          after,
          because: 'the dashboard may read home/# only: "topic read home/#", not "topic read #"',
        })
      },
    },
    {
      id: 'sensor-cannot-read',
      title: "The sensor's subscription to home/# stays silent: it may not read",
      points: 2,
      covers: [3],
      hint: 'Give the sensor write access only (topic write home/sensors/#). Mosquitto grants its SUBSCRIBE anyway (acl_file never refuses one) and then checks read access for every message it would deliver.',
      lessonSection: 'access-control-lists',
      async run(h) {
        const sensor = await logIn(h, 'sensor')
        const { sensorLane, dashboardLane, outsideHome } = topicKinds(h)
        // Its own lane, the dashboard's, everything: the sensor may read none of them.
        const suback = await sensor.subscribe(
          [
            { topic: 'home/#', qos: 1 },
            { topic: 'home/sensors/#', qos: 1 },
            { topic: '#', qos: 1 },
          ],
          h.signal,
        )
        const observer = await h.observer()
        for (const topic of [sensorLane, dashboardLane, outsideHome])
          await observer.publish(topic, 'for the dashboard only', { qos: 1 }, h.signal)
        await h.expectNoMessage(sensor, {
          description: 'a message at the sensor',
          match: () => true,
          because: `the sensor may only write; Mosquitto granted its subscription (SUBACK ${suback.granted.join(', ')}) but must filter every delivery by read access: give sensor "topic write home/sensors/#", not readwrite`,
        })
      },
    },
    {
      id: 'dashboard-cannot-publish',
      title: "The dashboard's publishes are refused (MQTT 5: PUBACK 0x87) and reach nobody",
      points: 2,
      covers: [3],
      hint: '`topic home/#` on its own means readwrite. Write `topic read home/#` for the dashboard.',
      lessonSection: 'access-control-lists',
      async run(h) {
        const { sensorLane, dashboardLane, outsideHome } = topicKinds(h)
        const because = 'the dashboard may only read: give it "topic read home/#", and no write rule anywhere'
        await expectRefusedPublishes(h, 'dashboard', [
          { topic: dashboardLane, payload: 'on', because },
          { topic: `home/sensors/${h.inputs.ROOM}/temperature`, payload: '99', because },
          { topic: sensorLane, payload: '1', because },
          { topic: outsideHome, payload: 'open', because },
        ])
      },
    },
    {
      id: 'sensor-stays-in-its-lane',
      title: 'The sensor cannot publish outside home/sensors/#',
      points: 1,
      covers: [3],
      hint: "The sensor's write rule is for home/sensors/#, not home/#: a stolen sensor password must not switch the lights.",
      lessonSection: 'access-control-lists',
      async run(h) {
        const { dashboardLane, outsideHome } = topicKinds(h)
        const because =
          'the sensor may only write under home/sensors/: give it "topic write home/sensors/#", nothing wider'
        await expectRefusedPublishes(h, 'sensor', [
          { topic: dashboardLane, payload: 'off', because },
          { topic: outsideHome, payload: 'open', because },
          { topic: `home/sensor/${h.inputs.ROOM}/temperature`, payload: h.inputs.READING, because },
        ])
      },
    },
    {
      id: 'notes',
      title: 'NOTES.md explains each setting you used, for the next engineer',
      points: 1,
      covers: [4],
      hint: "One short paragraph per setting (allow_anonymous, password_file, acl_file) and per user, and a paragraph on why the sensor's SUBSCRIBE is granted (SUBACK) yet nothing is delivered to it.",
      lessonSection: 'the-acl-challenge',
      async run(h) {
        const { readFile } = await import('node:fs/promises')
        const notes = await readFile(`${h.submissionDir}/NOTES.md`, 'utf8').catch(() => undefined)
        if (notes === undefined)
          fail({ message: 'There is no NOTES.md in your submission.', expected: 'NOTES.md', received: 'no such file' })
        const text = notes.replace(/<!--[\s\S]*?-->/g, '')
        const missing = ['allow_anonymous', 'password_file', 'acl_file', 'sensor', 'dashboard'].filter(
          (word) => !text.includes(word),
        )
        const words = text.split(/\s+/).filter((word) => /\w/.test(word)).length
        if (missing.length === 0 && words >= 60 && !/TODO/.test(text) && !explainsSilentSubscription(text)) {
          fail({
            message:
              "NOTES.md does not say why the sensor's subscription is granted yet silent: the next engineer will see a SUBACK and think the sensor can read. Explain, in a paragraph, that Mosquitto grants every SUBSCRIBE and checks read access on each message it would deliver.",
            expected:
              'a paragraph on the subscription: granted (SUBACK), yet nothing delivered, because read access is checked per message',
            received: `${words} words, no such paragraph`,
          })
        }
        if (missing.length > 0 || words < 60 || /TODO/.test(text)) {
          fail({
            message: `NOTES.md should explain your setup to whoever maintains this broker next${missing.length ? `; it does not mention ${missing.join(', ')}` : ''}${words < 60 ? `; it has ${words} words, which is not enough to explain five things` : ''}${/TODO/.test(text) ? '; it still has TODOs' : ''}.`,
            expected:
              'a NOTES.md of 60 words or more that names allow_anonymous, password_file, acl_file, sensor and dashboard, without TODOs',
            received: `${words} words${missing.length ? `, missing: ${missing.join(', ')}` : ''}`,
          })
        }
      },
    },
  ],
})
