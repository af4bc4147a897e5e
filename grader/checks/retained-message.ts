import type { IPublishPacket } from 'mqtt-packet'
import type { CheckContext } from './check-context.ts'

/** Harness.retainedMessage, for a check's harness (harness.ts says what it waits for). */
export async function retainedMessage(h: CheckContext, topic: string): Promise<IPublishPacket | undefined> {
  // Brokers send a new subscription's retained messages filter by filter, in the order of the SUBSCRIBE
  // (Mosquitto queues them per filter; aedes streams its retained store pattern by pattern). So subscribe to
  // [topic, sentinel], where the grader has just retained a sentinel: once the sentinel arrives, a retained
  // message for `topic` would have arrived before it. A barrier would not do: aedes answers a PINGREQ while
  // it is still streaming retained messages.
  const observer = await h.observer()
  const sentinel = `mqtt-course/sentinel/${h.random.hex(8)}`
  await observer.publish(sentinel, 'sentinel', { qos: 1, retain: true }, h.signal)
  const late = await h.connect({ name: 'a subscriber connecting now' })
  try {
    await late.subscribe(
      [
        { topic, qos: 1 },
        { topic: sentinel, qos: 1 },
      ],
      h.signal,
    )
    await late.waitForMessage((m) => m.topic === sentinel, h.signal)
    return late.messages().find((m) => m.topic === topic)
  } finally {
    await late.disconnect()
    await observer.publish(sentinel, '', { qos: 1, retain: true }, h.signal)
  }
}
