/** One packet of a QoS exchange between a sender (publisher or broker) and a receiver. */
export interface ExchangeStep {
  from: 'sender' | 'receiver'
  packet: string
  /** What the step means, in a sentence. */
  note: string
}

/**
 * The three QoS exchanges of MQTT (3.1.1 section 4.3), as the QosSequence component steps through them.
 * They hold on both legs: publisher → broker, and broker → each subscriber.
 */
export const qosExchanges: Record<0 | 1 | 2, { title: string; summary: string; steps: ExchangeStep[] }> = {
  0: {
    title: 'QoS 0: at most once',
    summary: 'One packet, no acknowledgement. If it is lost, nobody knows and nobody resends it.',
    steps: [{ from: 'sender', packet: 'PUBLISH (QoS 0, no packet id)', note: 'The sender forgets the message as soon as it is written to the network.' }],
  },
  1: {
    title: 'QoS 1: at least once',
    summary: 'The sender keeps the message until a PUBACK arrives, and resends it (DUP=1) if the connection drops first. The receiver may see it twice.',
    steps: [
      { from: 'sender', packet: 'PUBLISH (QoS 1, id 7)', note: 'The sender stores the message under packet id 7 until it is acknowledged.' },
      { from: 'receiver', packet: 'PUBACK (id 7)', note: 'The receiver has the message: the sender may now discard it. Lost PUBACK? The sender resends PUBLISH with DUP=1, and the receiver gets a duplicate.' },
    ],
  },
  2: {
    title: 'QoS 2: exactly once',
    summary: 'Four packets, two acknowledgements: the receiver remembers the packet id until the exchange ends, so a resent PUBLISH is recognised and not delivered twice.',
    steps: [
      { from: 'sender', packet: 'PUBLISH (QoS 2, id 9)', note: 'The sender stores the message under packet id 9.' },
      { from: 'receiver', packet: 'PUBREC (id 9)', note: 'Received: the receiver stores id 9 and will not deliver a resent PUBLISH 9 again.' },
      { from: 'sender', packet: 'PUBREL (id 9)', note: 'Release: the sender discards the message and keeps only the id.' },
      { from: 'receiver', packet: 'PUBCOMP (id 9)', note: 'Complete: both sides forget id 9. The message was delivered exactly once.' },
    ],
  },
}
