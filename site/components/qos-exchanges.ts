/** One packet of a QoS exchange, from one party to another; `lost` when the network drops it. */
export interface ExchangeStep {
  from: string
  to: string
  packet: string
  /** What the step means, in a sentence. */
  note: string
  lost?: boolean
}

export interface Exchange {
  /** The label of its tab. */
  tab: string
  title: string
  summary: string
  steps: ExchangeStep[]
}

export type ExchangeId = '0' | '1' | '2' | '1-lost-puback' | '2-resent-publish' | 'two-hops'

/**
 * The QoS exchanges of MQTT (3.1.1 section 4.3) as the QosSequence component steps through them: the three
 * levels, what happens when an acknowledgement is lost at QoS 1 and at QoS 2, and the two hops of a message
 * with the subscriber's QoS lower than the publisher's. Each level holds on one hop: publisher → broker, or
 * broker → one subscriber.
 */
export const qosExchanges: Record<ExchangeId, Exchange> = {
  '0': {
    tab: 'QoS 0',
    title: 'QoS 0: at most once',
    summary: 'One packet, no acknowledgement. If it is lost, nobody knows and nobody resends it.',
    steps: [
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBLISH (QoS 0, no packet id)',
        note: 'The sender forgets the message as soon as it is written to the network.',
      },
    ],
  },
  '1': {
    tab: 'QoS 1',
    title: 'QoS 1: at least once',
    summary:
      'The sender keeps the message until a PUBACK arrives, and resends it (DUP=1) if the connection drops first. The receiver may see it twice.',
    steps: [
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBLISH (QoS 1, id 7)',
        note: 'The sender stores the message under packet id 7 until it is acknowledged.',
      },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBACK (id 7)',
        note: 'The receiver has the message: the sender may now discard it.',
      },
    ],
  },
  '1-lost-puback': {
    tab: 'QoS 1, PUBACK lost',
    title: 'QoS 1 with a lost PUBACK: a duplicate',
    summary:
      'The message arrived, but its acknowledgement did not. The sender cannot tell the difference from a lost PUBLISH, so it sends the message again: at least once means possibly twice.',
    steps: [
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBLISH (QoS 1, id 7, DUP=0)',
        note: 'The receiver gets the message and passes it on (to the application, or to subscribers).',
      },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBACK (id 7)',
        lost: true,
        note: 'The connection drops: the PUBACK never arrives. The sender still holds message 7.',
      },
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBLISH (QoS 1, id 7, DUP=1)',
        note: 'After reconnecting (same session), the sender resends message 7 with DUP=1: "you may have seen this before".',
      },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBACK (id 7)',
        note: 'The receiver passes it on again: a duplicate. Make the processing tolerate it (a sequence number, an idempotent effect).',
      },
    ],
  },
  '2': {
    tab: 'QoS 2',
    title: 'QoS 2: exactly once',
    summary:
      'Four packets, two acknowledgements: the receiver remembers the packet id until the exchange ends, so a resent PUBLISH is recognised and not delivered twice.',
    steps: [
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBLISH (QoS 2, id 9)',
        note: 'The sender stores the message under packet id 9.',
      },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBREC (id 9)',
        note: 'Received: the receiver stores id 9 and will not deliver a resent PUBLISH 9 again.',
      },
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBREL (id 9)',
        note: 'Release: the sender discards the message and keeps only the id.',
      },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBCOMP (id 9)',
        note: 'Complete: both sides forget id 9. The message was delivered exactly once.',
      },
    ],
  },
  '2-resent-publish': {
    tab: 'QoS 2, PUBREC lost',
    title: 'QoS 2 with a lost PUBREC: recognised by its packet id',
    summary:
      'The same loss as at QoS 1, but no duplicate: the receiver has written down packet id 9, so the resent PUBLISH 9 is acknowledged and not delivered again.',
    steps: [
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBLISH (QoS 2, id 9, DUP=0)',
        note: 'The receiver stores id 9 and delivers the message (or keeps it until PUBREL: both are allowed).',
      },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBREC (id 9)',
        lost: true,
        note: 'The connection drops: the PUBREC never arrives. The sender still holds message 9.',
      },
      {
        from: 'sender',
        to: 'receiver',
        packet: 'PUBLISH (QoS 2, id 9, DUP=1)',
        note: 'After reconnecting (same session), the sender resends message 9 with DUP=1.',
      },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBREC (id 9)',
        note: 'Id 9 is known: the receiver answers PUBREC again and does not deliver the message a second time.',
      },
      { from: 'sender', to: 'receiver', packet: 'PUBREL (id 9)', note: 'Release: the sender discards the message.' },
      {
        from: 'receiver',
        to: 'sender',
        packet: 'PUBCOMP (id 9)',
        note: 'Both sides forget id 9: delivered exactly once, despite the loss.',
      },
    ],
  },
  'two-hops': {
    tab: 'Two hops',
    title: 'Publisher → broker → subscriber: two hops, two QoS levels',
    summary:
      'The publisher publishes at QoS 2; the subscriber subscribed at QoS 1. Each hop runs its own exchange, with its own packet ids, and the broker delivers at the lower of the two levels.',
    steps: [
      {
        from: 'publisher',
        to: 'broker',
        packet: 'PUBLISH (QoS 2, id 9)',
        note: 'Hop 1 at QoS 2: between the publisher and the broker.',
      },
      {
        from: 'broker',
        to: 'publisher',
        packet: 'PUBREC (id 9)',
        note: 'The broker has the message; it starts delivering it at once.',
      },
      {
        from: 'broker',
        to: 'subscriber',
        packet: 'PUBLISH (QoS 1, id 3)',
        note: 'Hop 2 at QoS 1 (the subscription\u2019s maximum): a new packet id, chosen by the broker for this subscriber.',
      },
      {
        from: 'subscriber',
        to: 'broker',
        packet: 'PUBACK (id 3)',
        note: 'Hop 2 is done. At QoS 1 this hop could deliver a duplicate: the end-to-end promise is the weaker of the two.',
      },
      { from: 'publisher', to: 'broker', packet: 'PUBREL (id 9)', note: 'Hop 1 goes on independently of hop 2.' },
      {
        from: 'broker',
        to: 'publisher',
        packet: 'PUBCOMP (id 9)',
        note: 'Hop 1 is done. The publisher never learns whether, or how, any subscriber received the message.',
      },
    ],
  },
}

export const exchangeIds = Object.keys(qosExchanges) as ExchangeId[]
