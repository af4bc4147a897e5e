import { describe, expect, it } from 'vitest'
import { startEmbeddedBroker } from '../../grader/broker/embedded-broker.ts'
import { GraderClient } from '../../grader/checks/grader-client.ts'
import { WireTap } from '../../grader/wiretap/wire-tap.ts'
import { formatTraceEvent } from '../../grader/wiretap/format-packet.ts'
import type { TraceEvent } from '../../grader/wiretap/wire-trace.ts'

const deadline = () => AbortSignal.timeout(5000)

/** A broker, a tap in front of it, a client through the tap (the "student") and an observer beside it. */
async function setUp() {
  const broker = await startEmbeddedBroker({ port: 0, signal: deadline() })
  const tap = await WireTap.start({ upstream: { host: broker.host, port: broker.port } })
  const observer = await GraderClient.connect({ host: broker.host, port: broker.port, name: 'observer' }, deadline())
  await observer.subscribe([{ topic: 'status/#', qos: 1 }], deadline())
  const connectStudent = () =>
    GraderClient.connect(
      {
        host: tap.host,
        port: tap.port,
        clientId: 'student',
        will: { topic: 'status/student', payload: Buffer.from('offline'), qos: 1, retain: false },
      },
      deadline(),
    )
  const student = await connectStudent()
  return {
    broker,
    tap,
    observer,
    student,
    connectStudent,
    async [Symbol.asyncDispose]() {
      student.destroy()
      observer.destroy()
      await tap.close()
      await broker.stop()
    },
  }
}

const lines = (events: readonly TraceEvent[]) =>
  events.map((event) => formatTraceEvent(event).replace(/^\+\d+\.\d+s\s+/, ''))

describe('WireTap', () => {
  it('forwards both directions and records them, decoded, in order', async () => {
    await using t = await setUp()
    await t.student.subscribe([{ topic: 'cmd/student', qos: 1 }], deadline())
    await t.student.publish('status/student', 'online', { qos: 1, retain: true }, deadline())
    expect(lines(t.tap.trace.events())).toEqual([
      '#1 connection opened',
      '#1 you → broker  CONNECT clientId="student" protocol=MQTT 3.1.1 keepalive=0 clean=true will={topic="status/student" payload="offline" qos=1 retain=0}',
      '#1 broker → you  CONNACK rc=0 (Connection Accepted) sessionPresent=false',
      '#1 you → broker  SUBSCRIBE id=1 "cmd/student" qos=1',
      '#1 broker → you  SUBACK id=1 granted=[1]',
      '#1 you → broker  PUBLISH topic="status/student" qos=1 retain=1 dup=0 id=2 payload="online"',
      '#1 broker → you  PUBACK id=2',
    ])
  })

  it('barrier(): the broker answers an injected PINGREQ the client never sees', async () => {
    await using t = await setUp()
    await t.tap.latest!.barrier(deadline())
    // The client's own ping still gets its answer: the tap tells its PINGRESPs from the barrier's.
    await t.student.barrier(deadline())
    const pings = t.tap.trace.packets((event) => event.packet.cmd === 'pingreq' || event.packet.cmd === 'pingresp')
    expect(pings.map((event) => [event.packet.cmd, event.isInjected ?? false, event.isSwallowed ?? false])).toEqual([
      ['pingreq', true, false],
      ['pingresp', true, true],
      ['pingreq', false, false],
      ['pingresp', false, false],
    ])
    expect(t.student.trace.packets((event) => event.packet.cmd === 'pingresp')).toHaveLength(1)
  })

  it('cut(): the broker sees a dead client and publishes its will', async () => {
    await using t = await setUp()
    const after = t.observer.trace.cursor
    t.tap.latest!.cut()
    const will = await t.observer.waitForMessage((m) => m.topic === 'status/student', deadline(), after)
    expect(will.payload.toString()).toBe('offline')
    const closed = t.tap.trace.events().find((event) => event.kind === 'connection' && event.state === 'closed')
    expect(closed).toMatchObject({ closedBy: 'tap' })
  })

  it('a clean DISCONNECT through the tap reaches the broker: no will', async () => {
    await using t = await setUp()
    const after = t.observer.trace.cursor
    await t.student.disconnect()
    await t.tap.latest!.closed
    // Proof of absence: a message published after the disconnect arrives, the will never did.
    await t.observer.publish('status/marker', 'after', { qos: 1 }, deadline())
    await t.observer.waitForMessage((m) => m.topic === 'status/marker', deadline(), after)
    expect(t.observer.messages(after).map((m) => m.topic)).toEqual(['status/marker'])
  })

  it('hold(): nothing crosses until release(), then everything, in order', async () => {
    await using t = await setUp()
    const after = t.observer.trace.cursor
    t.tap.latest!.hold()
    await t.student.publish('status/held', 'first', { qos: 0 }, deadline())
    await t.student.publish('status/held', 'second', { qos: 0 }, deadline())
    await t.observer.barrier(deadline())
    expect(t.observer.messages(after)).toHaveLength(0)
    t.tap.latest!.release()
    await t.observer.waitForMessage((m) => m.payload.toString() === 'second', deadline(), after)
    expect(t.observer.messages(after).map((m) => m.payload.toString())).toEqual(['first', 'second'])
  })

  it('holdNewConnections(): a reconnecting client waits until released', async () => {
    await using t = await setUp()
    t.tap.holdNewConnections()
    const second = t.connectStudent()
    let isConnected = false
    void second.then(() => (isConnected = true))
    await t.student.barrier(deadline()) // a round trip on the first connection while the second waits
    expect(isConnected).toBe(false)
    expect(t.tap.connections).toHaveLength(1)
    t.tap.releaseNewConnections()
    const client = await second
    expect(client.isConnected).toBe(true)
    client.destroy()
  })
})
