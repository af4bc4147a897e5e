import type { QoS } from 'mqtt-packet'
import type { Harness, Inputs } from './harness.ts'

/**
 * An exercise's setUp that subscribes the grader's observer to the topics its checks watch, before the program
 * starts, so that nothing the program publishes is missed. @example setUp: observeTopics((h) => [h.inputs.TOPIC])
 */
export function observeTopics<I extends Inputs>(
  topicsOf: (h: Harness<I>) => string[],
  options: { qos?: QoS } = {},
): (h: Harness<I>) => Promise<void> {
  return async (h) => {
    const observer = await h.observer()
    await observer.subscribe(
      topicsOf(h).map((topic) => ({ topic, qos: options.qos ?? 1 })),
      h.signal,
    )
  }
}
