import { describe, expect, it } from 'vitest'
import { WireTrace } from '../../grader/wiretap/wire-trace.ts'

/** A flood costs the grader a fixed amount of memory: the trace keeps its two ends and counts the middle. */
describe('WireTrace', () => {
  const publish = (trace: WireTrace, n: number) =>
    trace.record({
      kind: 'packet',
      connection: 1,
      direction: 'to-broker',
      protocolVersion: 4,
      packet: { cmd: 'publish', topic: `t/${n}`, payload: Buffer.alloc(1024), qos: 0, dup: false, retain: false },
    })

  it('keeps the first and the last events, counts the rest by kind, and says so', () => {
    const trace = new WireTrace({ headLimit: 3, tailLimit: 4 })
    trace.record({ kind: 'connection', connection: 1, state: 'opened' })
    for (let n = 1; n <= 100; n++) publish(trace, n)
    trace.record({ kind: 'connection', connection: 1, state: 'closed', closedBy: 'client' })
    expect(trace.cursor).toBe(102)
    expect(trace.droppedCount).toBe(102 - 3 - 4)
    const kept = trace.events()
    expect(kept.map((event) => event.seq)).toEqual([1, 2, 3, 99, 100, 101, 102])
    expect(trace.describeDropped()).toBe(
      'The trace kept the first 3 and the last 4 of 102 events; the 95 between them (95 PUBLISH) were counted, not kept.',
    )
  })

  it('reads "after a cursor" by sequence number, also once events were dropped', async () => {
    const trace = new WireTrace({ headLimit: 2, tailLimit: 2 })
    for (let n = 1; n <= 10; n++) publish(trace, n)
    expect(trace.events(8).map((event) => event.seq)).toEqual([9, 10])
    expect(trace.events(1).map((event) => event.seq)).toEqual([2, 9, 10])
    const next = trace.waitFor(
      (event) => event.kind === 'packet' && event.packet.cmd === 'publish' && event.packet.topic === 't/11',
      AbortSignal.timeout(1000),
      trace.cursor,
    )
    publish(trace, 11)
    expect((await next).seq).toBe(11)
  })

  it('holds 100,000 publishes of 1 KB in the memory of its limits, not of the flood', () => {
    const trace = new WireTrace()
    for (let n = 1; n <= 100_000; n++) publish(trace, n)
    expect(trace.events().length).toBe(10_000)
    expect(trace.droppedCount).toBe(90_000)
  })
})
