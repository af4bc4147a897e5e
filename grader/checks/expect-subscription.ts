import type { ISubackPacket, ISubscribePacket } from 'mqtt-packet'
import { topicMatches } from '../mqtt/topic-filter.ts'
import type { CheckContext } from './check-context.ts'
import { CheckFailure, fail } from './check-failure.ts'

/** Harness.expectSubscription, for a check's harness (harness.ts says what it waits for). */
export async function expectSubscription(
  h: CheckContext,
  topic: string,
  options: { after?: number; description?: string } = {},
): Promise<{ granted: number }> {
  const after = options.after ?? 0
  const subscribe = await h
    .expectPacket({
      from: 'program',
      description: options.description ?? `a SUBSCRIBE to ${JSON.stringify(topic)}`,
      match: (packet): packet is ISubscribePacket =>
        packet.cmd === 'subscribe' && packet.subscriptions.some((s) => s.topic === topic),
      after,
    })
    .catch((error: unknown) => {
      // Say what was subscribed instead, and why it is not what the task asks.
      const made = h.tap.trace
        .packets(
          (e) =>
            e.direction === 'to-broker' && e.packet.cmd === 'subscribe' && h.session.isTaskConnection(e.connection),
          after,
        )
        .flatMap((e) => (e.packet as ISubscribePacket).subscriptions.map((s) => s.topic))
      if (!(error instanceof CheckFailure) || made.length === 0) throw error
      const wildcard = made.find((filter) => filter !== topic && topicMatches(filter, topic))
      fail({
        message: wildcard
          ? `You subscribed to ${JSON.stringify(wildcard)}, a filter that matches ${JSON.stringify(topic)} but also every other topic it covers; the task asks for exactly ${JSON.stringify(topic)}. Subscribe to that topic itself: a wider filter brings your program messages that are not meant for it.`
          : `You subscribed to ${made.map((t) => JSON.stringify(t)).join(', ')}, not to ${JSON.stringify(topic)}. Topic names are exact and case-sensitive: build the topic from the environment, letter for letter.`,
        expected: `SUBSCRIBE ${JSON.stringify(topic)}`,
        received: made.map((t) => `SUBSCRIBE ${JSON.stringify(t)}`).join('\n'),
        trace: h.tap.trace.events(after),
        ...(error.details.isCrash ? { isCrash: true } : {}),
      })
    })
  const onConnection = h.tap.trace.packets((e) => e.packet === subscribe, after)[0]?.connection
  const suback = await h.expectPacket({
    from: 'broker',
    description: `the SUBACK for your subscription to ${JSON.stringify(topic)}`,
    match: (packet): packet is ISubackPacket => packet.cmd === 'suback' && packet.messageId === subscribe.messageId,
    after,
    onConnection,
  })
  const granted = suback.granted[subscribe.subscriptions.findIndex((s) => s.topic === topic)]
  return { granted: typeof granted === 'number' ? granted : (granted as { qos: number }).qos }
}
