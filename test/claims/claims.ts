/**
 * What the lessons say brokers do, each with the experiment that shows it. A claim quotes the lesson's own words
 * (`says`, found in the lesson with its whitespace folded) and says what each broker is expected to do
 * (`expected`, by product and version, so that a lesson that says "fixed in 2.0.13" is checked on both sides of
 * 2.0.13). broker-claims.test.ts runs every experiment on aedes, the local Mosquitto and the container: a lesson
 * changed without its claim, or a broker that stopped doing what the lesson says, fails it.
 */
import { randomUUID } from 'node:crypto'
import mqtt from 'mqtt'
import type { Packet } from 'mqtt-packet'
import { type BrokerIdentity, isMosquittoSince } from './broker-identity.ts'
import { RawClient } from './raw-client.ts'

export interface Claim {
  id: string
  /** The lesson (or exercise README) file, from the course root. */
  file: string
  /** Words of that file that make the claim; each must be there. */
  says: string[]
  /** MQTT 5 experiments do not run on aedes 1.x, which refuses MQTT 5 (the lesson says so). */
  isMqtt5?: boolean
  /** Runs the experiment on the broker listening on `port` and says what it did, in a few words. */
  experiment(port: number): Promise<string>
  /** What the file says this broker does. */
  expected(broker: BrokerIdentity): string
}

const unique = () => randomUUID().slice(0, 8)
const deadlineMs = 5000

/** A subscriber to `topic`, ready: its SUBSCRIBE has been answered. */
async function watcher(port: number, topic: string, protocolVersion: 4 | 5 = 4): Promise<RawClient> {
  const { client } = await RawClient.connect(port, { clientId: `watch-${unique()}`, protocolVersion })
  await client.subscribe([{ topic, qos: 1 }])
  return client
}

async function willOnTakeover(
  port: number,
  first: { clean: boolean; v5ExpirySeconds?: number },
  protocolVersion: 4 | 5,
): Promise<string> {
  const id = `device-${unique()}`
  const status = `claims/${id}/status`
  await using watch = await watcher(port, status)
  const properties =
    first.v5ExpirySeconds === undefined ? {} : { properties: { sessionExpiryInterval: first.v5ExpirySeconds } }
  const will = { topic: status, payload: Buffer.from('offline'), qos: 1 as const, retain: false }
  const { client: old } = await RawClient.connect(port, {
    clientId: id,
    clean: first.clean,
    protocolVersion,
    will,
    ...properties,
  })
  await using _old = old
  // The new connection resumes the session when the old one kept it (Clean Start 0 / clean session 0).
  const { client: next } = await RawClient.connect(port, {
    clientId: id,
    clean: first.clean,
    protocolVersion,
    ...properties,
  })
  await using _next = next
  await old.waitForClose(deadlineMs)
  await watch.barrier()
  return watch.publishes(status).length > 0 ? 'will published' : 'no will'
}

async function retainedAtSubscribe(
  subscriber: RawClient,
  filter: string,
  options: { rh?: number } = {},
): Promise<number> {
  const from = subscriber.received.length
  await subscriber.subscribe([{ topic: filter, qos: 1, ...options }])
  await subscriber.barrier()
  return subscriber.received.slice(from).filter((packet) => packet.cmd === 'publish').length
}

async function publishRetained(
  port: number,
  topic: string,
  payload: string,
  protocolVersion: 4 | 5 = 4,
): Promise<void> {
  const { client } = await RawClient.connect(port, { clientId: `pub-${unique()}`, protocolVersion })
  await using _client = client
  const messageId = client.messageId()
  client.send({
    cmd: 'publish',
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: true,
    dup: false,
    messageId,
  } as Packet)
  await client.waitFor((packet) => packet.cmd === 'puback' && packet.messageId === messageId, deadlineMs, 'a PUBACK')
  await client.disconnect()
}

export const claims: Claim[] = [
  {
    id: 'will-on-socket-close',
    file: 'lessons/05-last-will.mdx',
    says: [
      'the TCP connection closes without DISCONNECT: the process crashed, was killed (`kill -9`), or exited without closing | yes, at once',
    ],
    async experiment(port) {
      const status = `claims/${unique()}/status`
      await using watch = await watcher(port, status)
      const { client } = await RawClient.connect(port, {
        clientId: `dev-${unique()}`,
        will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: false },
      })
      client.destroy()
      await watch.waitFor((packet) => packet.cmd === 'publish' && packet.topic === status, deadlineMs, 'the will')
      return 'will published'
    },
    expected: () => 'will published',
  },
  {
    id: 'no-will-after-disconnect',
    file: 'lessons/05-last-will.mdx',
    says: [
      'the client sends **DISCONNECT** (MQTT 5: reason code 0x00, *Normal disconnection*) | **no**: the broker discards it',
    ],
    async experiment(port) {
      const status = `claims/${unique()}/status`
      await using watch = await watcher(port, status)
      const { client } = await RawClient.connect(port, {
        clientId: `dev-${unique()}`,
        will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: false },
      })
      await client.disconnect()
      await watch.barrier()
      return watch.publishes(status).length > 0 ? 'will published' : 'no will'
    },
    expected: () => 'no will',
  },
  {
    id: 'will-after-disconnect-0x04',
    file: 'lessons/05-last-will.mdx',
    says: ['the client sends an MQTT 5 DISCONNECT with reason code **0x04**, *Disconnect with Will Message* | yes'],
    isMqtt5: true,
    async experiment(port) {
      const status = `claims/${unique()}/status`
      await using watch = await watcher(port, status)
      const { client } = await RawClient.connect(port, {
        clientId: `dev-${unique()}`,
        protocolVersion: 5,
        will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: false },
      })
      await client.disconnect(0x04)
      await watch.waitFor((packet) => packet.cmd === 'publish' && packet.topic === status, deadlineMs, 'the will')
      return 'will published'
    },
    expected: () => 'will published',
  },
  {
    id: 'will-on-takeover-of-clean-session',
    file: 'lessons/05-last-will.mdx',
    says: [
      'another client connects with the **same client id**, and the old session was clean (or the new connection starts clean) | yes',
    ],
    experiment: (port) => willOnTakeover(port, { clean: true }, 4),
    expected: () => 'will published',
  },
  {
    id: 'no-will-on-takeover-of-resumed-session',
    file: 'lessons/05-last-will.mdx',
    says: [
      'another client connects with the **same client id** and resumes the old persistent session | **no** on Mosquitto',
      'aedes 1.2 publishes it',
    ],
    experiment: (port) => willOnTakeover(port, { clean: false }, 4),
    expected: (broker) => (broker.product === 'mosquitto' ? 'no will' : 'will published'),
  },
  {
    id: 'no-will-on-takeover-of-resumed-session-v5',
    file: 'lessons/05-last-will.mdx',
    says: ['MQTT 5 with a Session Expiry Interval, then Clean Start 0'],
    isMqtt5: true,
    experiment: (port) => willOnTakeover(port, { clean: false, v5ExpirySeconds: 300 }, 5),
    expected: () => 'no will',
  },
  {
    id: 'takeover-disconnect-0x8e',
    file: 'lessons/09-mqtt-5-in-practice.mdx',
    says: ['Mosquitto 2.0.11 just closed the old connection; since 2.0.15 it first sends it DISCONNECT 0x8E'],
    isMqtt5: true,
    async experiment(port) {
      const id = `dev-${unique()}`
      const { client: old } = await RawClient.connect(port, { clientId: id, protocolVersion: 5 })
      await using _old = old
      const { client: next } = await RawClient.connect(port, { clientId: id, protocolVersion: 5 })
      await using _next = next
      await old.waitForClose(deadlineMs)
      const disconnect = old.received.find((packet) => packet.cmd === 'disconnect')
      return disconnect ? `DISCONNECT 0x${(disconnect.reasonCode ?? 0).toString(16)}` : 'closed without DISCONNECT'
    },
    expected: (broker) => (isMosquittoSince(broker, '2.0.15') ? 'DISCONNECT 0x8e' : 'closed without DISCONNECT'),
  },
  {
    id: 'retained-on-shared-subscription',
    file: 'lessons/09-mqtt-5-in-practice.mdx',
    says: ['Mosquitto 2.0.11 sends them anyway', 'Mosquitto 2.0.13 and later send none'],
    isMqtt5: true,
    async experiment(port) {
      const topic = `claims/${unique()}/jobs`
      await publishRetained(port, topic, 'job', 5)
      const { client } = await RawClient.connect(port, { clientId: `worker-${unique()}`, protocolVersion: 5 })
      await using _client = client
      const count = await retainedAtSubscribe(client, `$share/workers/${topic}`)
      return count > 0 ? 'retained message sent' : 'no retained message'
    },
    expected: (broker) => (isMosquittoSince(broker, '2.0.13') ? 'no retained message' : 'retained message sent'),
  },
  {
    id: 'no-local-on-shared-subscription',
    file: 'lessons/09-mqtt-5-in-practice.mdx',
    says: ['Mosquitto 2.0.11 accepted No Local on a shared subscription', 'since 2.0.12 it disconnects the client'],
    isMqtt5: true,
    async experiment(port) {
      const { client } = await RawClient.connect(port, { clientId: `worker-${unique()}`, protocolVersion: 5 })
      await using _client = client
      const messageId = client.messageId()
      client.send({
        cmd: 'subscribe',
        messageId,
        subscriptions: [{ topic: `$share/g/claims/${unique()}`, qos: 1, nl: true }],
      } as Packet)
      const answer = await Promise.race([
        client
          .waitFor((packet) => packet.cmd === 'suback', deadlineMs, 'a SUBACK')
          .then(
            (suback) =>
              `SUBACK ${(suback as { granted: number[] }).granted.map((code) => `0x${code.toString(16)}`).join(',')}`,
          ),
        client.waitForClose(deadlineMs).then(() => 'disconnected'),
      ]).catch((error: Error) => (client.isClosed ? 'disconnected' : error.message))
      return answer
    },
    expected: (broker) => (isMosquittoSince(broker, '2.0.12') ? 'disconnected' : 'SUBACK 0x1'),
  },
  {
    id: 'receive-maximum',
    file: 'lessons/09-mqtt-5-in-practice.mdx',
    says: [
      'got **two**',
      'after one PUBACK, Mosquitto 2.0.11 sent **two** more',
      'Mosquitto 2.0.13 and later send one',
    ],
    isMqtt5: true,
    async experiment(port) {
      const topic = `claims/${unique()}/window`
      const { client: slow } = await RawClient.connect(port, {
        clientId: `slow-${unique()}`,
        protocolVersion: 5,
        properties: { receiveMaximum: 2 },
      })
      await using _slow = slow
      await slow.subscribe([{ topic, qos: 1 }])
      const { client: publisher } = await RawClient.connect(port, { clientId: `pub-${unique()}`, protocolVersion: 5 })
      await using _publisher = publisher
      for (let i = 0; i < 5; i++) {
        const messageId = publisher.messageId()
        publisher.send({
          cmd: 'publish',
          topic,
          payload: Buffer.from(`m${i}`),
          qos: 1,
          retain: false,
          dup: false,
          messageId,
        } as Packet)
        await publisher.waitFor(
          (packet) => packet.cmd === 'puback' && packet.messageId === messageId,
          deadlineMs,
          'a PUBACK',
        )
      }
      await slow.barrier()
      const first = slow.publishes(topic)
      slow.send({ cmd: 'puback', messageId: first[0]!.messageId } as Packet)
      await slow.barrier()
      const afterOne = slow.publishes(topic).length - first.length
      return `first ${first.length}, after one PUBACK ${afterOne} more`
    },
    expected: (broker) =>
      isMosquittoSince(broker, '2.0.13') ? 'first 2, after one PUBACK 1 more' : 'first 2, after one PUBACK 2 more',
  },
  {
    id: 'repeated-subscribe-resends-retained',
    file: 'lessons/04-retained-messages.mdx',
    says: ['Every SUBSCRIBE packet sends the retained messages again, even a repeated one'],
    async experiment(port) {
      const topic = `claims/${unique()}/state`
      await publishRetained(port, topic, 'on')
      const { client } = await RawClient.connect(port, { clientId: `sub-${unique()}` })
      await using _client = client
      const first = await retainedAtSubscribe(client, topic)
      const second = await retainedAtSubscribe(client, topic)
      return `${first} then ${second}`
    },
    expected: () => '1 then 1',
  },
  {
    id: 'retain-handling-on-repeat',
    file: 'lessons/09-mqtt-5-in-practice.mdx',
    says: [
      '| `rh: 1`, subscribed twice (raw packets) | retained value once |',
      '| `rh: 0`, subscribed twice (raw packets) | retained value twice |',
    ],
    isMqtt5: true,
    async experiment(port) {
      const topic = `claims/${unique()}/state`
      await publishRetained(port, topic, 'on', 5)
      const { client } = await RawClient.connect(port, { clientId: `sub-${unique()}`, protocolVersion: 5 })
      await using _client = client
      const rh1 =
        (await retainedAtSubscribe(client, topic, { rh: 1 })) + (await retainedAtSubscribe(client, topic, { rh: 1 }))
      const { client: other } = await RawClient.connect(port, { clientId: `sub-${unique()}`, protocolVersion: 5 })
      await using _other = other
      const rh0 =
        (await retainedAtSubscribe(other, topic, { rh: 0 })) + (await retainedAtSubscribe(other, topic, { rh: 0 }))
      return `rh 1: ${rh1}, rh 0: ${rh0}`
    },
    expected: () => 'rh 1: 1, rh 0: 2',
  },
  {
    id: 'mqttjs-skips-a-repeated-subscribe',
    file: 'lessons/04-retained-messages.mdx',
    says: ['MQTT.js sends no second SUBSCRIBE for a filter it already holds'],
    async experiment(port) {
      const topic = `claims/${unique()}/state`
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 1000 })
      try {
        const first = await client.subscribeAsync(topic, { qos: 1 })
        const second = await client.subscribeAsync(topic, { qos: 1 })
        return `first granted ${first.length}, second granted ${second.length}`
      } finally {
        await client.endAsync()
      }
    },
    expected: () => 'first granted 1, second granted 0',
  },
  {
    id: 'retain-flag-live-and-stored',
    file: 'lessons/04-retained-messages.mdx',
    says: ['empty retained message'],
    async experiment(port) {
      const topic = `claims/${unique()}/state`
      await using live = await watcher(port, topic)
      await publishRetained(port, topic, 'on')
      await live.waitFor((packet) => packet.cmd === 'publish' && packet.topic === topic, deadlineMs, 'the live message')
      const { client: late } = await RawClient.connect(port, { clientId: `late-${unique()}` })
      await using _late = late
      await retainedAtSubscribe(late, topic)
      await publishRetained(port, topic, '')
      const { client: after } = await RawClient.connect(port, { clientId: `after-${unique()}` })
      await using _after = after
      const afterClear = await retainedAtSubscribe(after, topic)
      return `live retain=${live.publishes(topic)[0]!.retain ? 1 : 0}, new subscriber retain=${late.publishes(topic)[0]?.retain ? 1 : 0}, after an empty retained message ${afterClear}`
    },
    expected: () => 'live retain=0, new subscriber retain=1, after an empty retained message 0',
  },
  {
    id: 'overlapping-subscriptions',
    file: 'lessons/02-topics-and-wildcards.mdx',
    says: [
      'Mosquitto 2.0.11 gave an MQTT 3.1.1 client one copy',
      'an MQTT 5 client one copy per subscription',
      'aedes 1.2 gave one copy',
    ],
    async experiment(port) {
      const base = `claims/${unique()}`
      const { client } = await RawClient.connect(port, { clientId: `sub-${unique()}` })
      await using _client = client
      await client.subscribe([{ topic: `${base}/#`, qos: 1 }])
      await client.subscribe([{ topic: `${base}/+`, qos: 0 }])
      const { client: publisher } = await RawClient.connect(port, { clientId: `pub-${unique()}` })
      await using _publisher = publisher
      const messageId = publisher.messageId()
      publisher.send({
        cmd: 'publish',
        topic: `${base}/x`,
        payload: Buffer.from('1'),
        qos: 1,
        retain: false,
        dup: false,
        messageId,
      } as Packet)
      await publisher.waitFor((packet) => packet.cmd === 'puback', deadlineMs, 'a PUBACK')
      await client.waitFor((packet) => packet.cmd === 'publish', deadlineMs, 'a copy')
      await client.barrier()
      return client
        .publishes(`${base}/x`)
        .map((packet) => `QoS ${packet.qos}`)
        .join(' + ')
    },
    expected: (broker) => (broker.product === 'mosquitto' ? 'QoS 0' : 'QoS 1'),
  },
  {
    id: 'overlapping-subscriptions-v5',
    file: 'lessons/02-topics-and-wildcards.mdx',
    says: ['an MQTT 5 client one copy per subscription'],
    isMqtt5: true,
    async experiment(port) {
      const base = `claims/${unique()}`
      const { client } = await RawClient.connect(port, { clientId: `sub-${unique()}`, protocolVersion: 5 })
      await using _client = client
      await client.subscribe([{ topic: `${base}/#`, qos: 1 }])
      await client.subscribe([{ topic: `${base}/+`, qos: 0 }])
      const { client: publisher } = await RawClient.connect(port, { clientId: `pub-${unique()}`, protocolVersion: 5 })
      await using _publisher = publisher
      const messageId = publisher.messageId()
      publisher.send({
        cmd: 'publish',
        topic: `${base}/x`,
        payload: Buffer.from('1'),
        qos: 1,
        retain: false,
        dup: false,
        messageId,
      } as Packet)
      await publisher.waitFor((packet) => packet.cmd === 'puback', deadlineMs, 'a PUBACK')
      await client.waitFor((packet) => packet.cmd === 'publish', deadlineMs, 'a copy')
      await client.barrier()
      return `${client.publishes(`${base}/x`).length} copies`
    },
    expected: () => '2 copies',
  },
  {
    id: 'qos0-not-queued-offline',
    file: 'lessons/03-qos.mdx',
    says: ['Mosquitto does not do it unless `queue_qos0_messages true` is set (aedes 1.2 does not either)'],
    async experiment(port) {
      const id = `away-${unique()}`
      const topic = `claims/${id}/data`
      const first = await RawClient.connect(port, { clientId: id, clean: false })
      await first.client.subscribe([{ topic, qos: 1 }])
      await first.client.disconnect()
      const { client: publisher } = await RawClient.connect(port, { clientId: `pub-${unique()}` })
      await using _publisher = publisher
      publisher.send({ cmd: 'publish', topic, payload: Buffer.from('q0'), qos: 0, retain: false, dup: false } as Packet)
      const messageId = publisher.messageId()
      publisher.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from('q1'),
        qos: 1,
        retain: false,
        dup: false,
        messageId,
      } as Packet)
      await publisher.waitFor((packet) => packet.cmd === 'puback', deadlineMs, 'a PUBACK')
      const { client: back } = await RawClient.connect(port, { clientId: id, clean: false })
      await using _back = back
      await back.waitFor(
        (packet) => packet.cmd === 'publish' && packet.payload.toString() === 'q1',
        deadlineMs,
        'the queued QoS 1 message',
      )
      await back.barrier()
      const kept = back.publishes(topic).map((packet) => packet.payload.toString())
      return kept.includes('q0') ? 'QoS 0 kept' : 'QoS 0 dropped'
    },
    expected: () => 'QoS 0 dropped',
  },
  {
    id: 'redelivery-dup-flag',
    file: 'lessons/03-qos.mdx',
    says: ['aedes, the broker in the page, leaves DUP at 0 on that re-send', 'Mosquitto sets it'],
    async experiment(port) {
      const id = `phone-${unique()}`
      const topic = `claims/${id}/door`
      const first = await RawClient.connect(port, { clientId: id, clean: false })
      await first.client.subscribe([{ topic, qos: 1 }])
      const { client: publisher } = await RawClient.connect(port, { clientId: `pub-${unique()}` })
      await using _publisher = publisher
      const messageId = publisher.messageId()
      publisher.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from('opened'),
        qos: 1,
        retain: false,
        dup: false,
        messageId,
      } as Packet)
      await first.client.waitFor((packet) => packet.cmd === 'publish', deadlineMs, 'the message')
      // No PUBACK: the connection dies with the message in flight.
      first.client.destroy()
      const { client: back } = await RawClient.connect(port, { clientId: id, clean: false })
      await using _back = back
      const resent = (await back.waitFor((packet) => packet.cmd === 'publish', deadlineMs, 'the re-sent message')) as {
        dup: boolean
      }
      return `re-sent with dup=${resent.dup ? 1 : 0}`
    },
    expected: (broker) => `re-sent with dup=${broker.product === 'mosquitto' ? 1 : 0}`,
  },
  {
    id: 'empty-client-id',
    file: 'lessons/01-mqtt-in-a-nutshell.mdx',
    says: [
      'Mosquitto and aedes do',
      'An empty id with a persistent session must be refused with code 2 [MQTT-3.1.3-8]: Mosquitto does, aedes 1.2 accepts it',
    ],
    async experiment(port) {
      const clean = await RawClient.connect(port, { clientId: '', clean: true })
      clean.client.destroy()
      // mqtt-packet will not encode this CONNECT (a client must not send it): encoded clean, then the Clean
      // Session flag (bit 1 of the connect flags, the 10th byte of this short packet) cleared.
      const kept = await RawClient.connect(port, { clientId: '', clean: true }, deadlineMs, (bytes) => {
        const copy = Buffer.from(bytes)
        copy[9] = copy[9]! & ~0x02
        return copy
      })
      kept.client.destroy()
      const code = (packet: Packet) => (packet as { returnCode: number }).returnCode
      return `clean session: CONNACK ${code(clean.connack)}, persistent session: CONNACK ${code(kept.connack)}`
    },
    expected: (broker) =>
      `clean session: CONNACK 0, persistent session: CONNACK ${broker.product === 'mosquitto' ? 2 : 0}`,
  },
]
