import { StudentConfigError } from '../../grader/broker/mosquitto-conf.ts'
import type { IPublishPacket } from 'mqtt-packet'
import { CheckFailure, fail } from '../../grader/checks/check-failure.ts'
import { quoteText } from '../../grader/wiretap/format-packet.ts'
import { expectImpostorRefused } from '../../grader/checks/impostor-check.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { isDisconnect, isPublishTo, payloadText } from '../../grader/mqtt/packet-guards.ts'
import { describeExit } from '../../grader/runner/student-program.ts'

type Inputs = { CLIENT_ID: string; TOPIC: string; PAYLOAD: string }

export default defineExercise<Inputs>({
  id: 'ex9',
  slug: 'tls',
  title: 'TLS: encrypted, and talking to the right broker',
  summary:
    'Serve MQTT over TLS from Mosquitto, and write a client that trusts exactly the course CA: not a stranger, not a certificate for another host.',
  lesson: '07-securing-mosquitto',
  requires: ['tls', 'mosquitto-conf'],
  run: {
    entry: 'main.ts',
    inputs: (random) => {
      const device = random.id('meter')
      return {
        CLIENT_ID: device,
        TOPIC: `home/${random.pick(['kitchen', 'attic', 'garage', 'cellar'])}/${device}/energy`,
        // JSON as a person writes it, with a name beyond ASCII: "exactly" means these bytes, not the same JSON
        // written out again (JSON.stringify(JSON.parse(PAYLOAD)) drops the spaces) or re-encoded.
        PAYLOAD: `{"kwh": ${random.decimal(0.1, 9.9, 2)}, "seq": ${random.int(1, 999)}, "meter": "${random.pick(['Zähler', 'compteur', 'contador', 'счётчик'])}-${random.int(1, 9)}"}`,
      }
    },
    deadlineMs: 45_000,
    programRuns: 3,
    clientIdInput: 'CLIENT_ID',
  },
  broker: ({ readSubmissionFile, tls }) => {
    const conf = readSubmissionFile('mosquitto.conf')
    if (conf === undefined) throw new StudentConfigError('There is no mosquitto.conf in your submission', [])
    return { studentConfig: { conf, files: tls!.brokerFiles }, tlsCa: tls!.ca.certificatePem }
  },
  hints: [
    'Two sides: the broker proves who it is with a certificate (certfile, keyfile) signed by a CA (cafile); the client checks that proof against the CA it trusts, which it must be given.',
    'In mosquitto.conf, under the listener: cafile ca.crt, certfile server.crt, keyfile server.key. In the client: mqtt.connect(url, { ca: readFileSync(process.env.CA_FILE) }).',
    'Leave rejectUnauthorized and checkServerIdentity alone: their defaults check the CA and the host name. Turning either off makes the encryption worthless: anyone can pretend to be your broker.',
  ],
  setUp: observeTopics((h) => [h.inputs.TOPIC]),
  checks: [
    {
      id: 'publishes-over-tls',
      title: 'Your client connects over TLS, trusting the course CA, publishes PAYLOAD to TOPIC and exits 0',
      points: 3,
      covers: [2],
      hint: 'Pass the CA to MQTT.js: { ca: readFileSync(process.env.CA_FILE) }. Without it Node trusts only public CAs, and the course CA is not one of them.',
      lessonSection: 'tls',
      timeoutMs: 8000,
      async run(h) {
        await h.program()
        await h.expectConnect()
        const { TOPIC, PAYLOAD } = h.inputs
        const publish = await h
          .expectPacket({
            from: 'program',
            description: `a PUBLISH of ${PAYLOAD} to ${TOPIC}`,
            match: isPublishTo(TOPIC, PAYLOAD),
          })
          .catch((error: unknown) => {
            // A reading went out, but not those bytes: say how it differs.
            const sent = h.tap.trace
              .packets(
                (e) =>
                  e.direction === 'to-broker' &&
                  h.isTaskConnection(e.connection) &&
                  isPublishTo(TOPIC)(e.packet) &&
                  payloadText(e.packet) !== PAYLOAD,
              )
              .at(-1)?.packet as IPublishPacket | undefined
            if (!(error instanceof CheckFailure) || !sent) throw error
            fail({
              message: `Your program published ${quoteText(payloadText(sent))} to ${TOPIC}, not PAYLOAD exactly (${quoteText(PAYLOAD)}). Publish the text of PAYLOAD as it is: parsing it and writing it out again changes its spaces and can change its numbers.`,
              expected: `PUBLISH topic="${TOPIC}" payload=${quoteText(PAYLOAD)}`,
              received: `PUBLISH topic="${TOPIC}" payload=${quoteText(payloadText(sent))}`,
            })
          })
        if (publish.qos !== 1) {
          fail({
            message: `Your reading went out at QoS ${publish.qos}: over QoS 0 nothing tells your program it arrived before it exits. Publish with { qos: 1 } and await it (publishAsync resolves on the PUBACK).`,
            expected: `PUBLISH topic="${TOPIC}" qos=1`,
            received: `PUBLISH topic="${TOPIC}" qos=${publish.qos}`,
          })
        }
        const observer = await h.observer()
        await h.expectMessage(observer, {
          description: `${PAYLOAD} on ${TOPIC}, sent over TLS`,
          match: (m) => m.topic === TOPIC && payloadText(m) === PAYLOAD,
        })
        await h.expectPacket({
          from: 'program',
          description: 'a DISCONNECT once the PUBACK arrived (await client.endAsync() before exiting)',
          match: isDisconnect,
        })
        const exit = await h.expectExit('exited once its message was delivered')
        if (exit.exitCode !== 0) {
          fail({
            message: `Your program delivered its message but then ${describeExit(exit)}; exit with code 0 once the publish is acknowledged.`,
            expected: 'exit code 0',
            received: describeExit(exit),
          })
        }
      },
    },
    {
      id: 'refuses-unknown-ca',
      title: 'Your client refuses a server whose certificate another CA signed',
      points: 3,
      covers: [2, 3],
      hint: 'Never set rejectUnauthorized: false. With the course CA as `ca`, Node refuses every certificate that CA did not sign.',
      lessonSection: 'tls',
      async run(h) {
        await expectImpostorRefused(h, 'unknown-ca', {
          scheme: 'mqtts',
          what: 'a server whose certificate the course CA did not sign',
          fix: 'Remove rejectUnauthorized: false: the CA check is the whole point of TLS.',
          mustExitWithError: true,
        })
      },
    },
    {
      id: 'refuses-wrong-name',
      title: 'Your client refuses a course-CA certificate made for another host name',
      points: 2,
      covers: [2, 3],
      hint: "A valid certificate for another name is someone else's: keep Node's default checkServerIdentity, which compares the certificate's names with the host you dialled.",
      lessonSection: 'tls',
      async run(h) {
        await expectImpostorRefused(h, 'wrong-name', {
          scheme: 'mqtts',
          what: 'a server whose certificate (signed by the course CA) is for broker.invalid, not for the address you dialled',
          fix: 'Remove your checkServerIdentity override: the host-name check is what stops one valid certificate from impersonating another server.',
          mustExitWithError: true,
        })
      },
    },
  ],
})
