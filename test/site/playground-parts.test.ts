import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { parseBrokerChoice } from '../../site/components/playground/broker-choice.ts'
import { createDuplexPair } from '../../site/components/playground/duplex-pair.ts'
import { randomUUID } from '../../site/components/playground/node-crypto.ts'
import {
  clearTimeout as clearRefreshable,
  setTimeout as setRefreshable,
} from '../../site/components/playground/refreshable-timeout.ts'
import { type Scenario, scenarios } from '../../site/components/playground/scenarios.ts'
import { validateTopicFilter, validateTopicName } from '../../grader/mqtt/topic-filter.ts'

/** The small pieces under the in-page broker, each with the Node behaviour it stands in for. */
const inherits = createRequire(import.meta.url)('../../site/components/playground/inherits.cjs') as (
  ctor: unknown,
  superCtor: unknown,
) => void

describe('the broker selector', () => {
  it('takes the in-page broker and ws:// or wss:// URLs', () => {
    expect(parseBrokerChoice('in-page')).toEqual({ kind: 'in-page' })
    expect(parseBrokerChoice('  ws://localhost:8080 ')).toEqual({ kind: 'websocket', url: 'ws://localhost:8080' })
    expect(parseBrokerChoice('wss://broker.example:8081/mqtt')).toEqual({
      kind: 'websocket',
      url: 'wss://broker.example:8081/mqtt',
    })
  })

  it('says what a browser needs for every other kind of address', () => {
    expect(parseBrokerChoice('localhost:8080')).toEqual({
      problem: expect.stringContaining('write ws://localhost:8080'),
    })
    expect(parseBrokerChoice('mqtt://localhost:1883')).toEqual({
      problem: expect.stringContaining('for example ws://localhost:8080'),
    })
    expect(parseBrokerChoice('mqtts://broker:8883')).toEqual({
      problem: expect.stringContaining('cannot open mqtts:// (raw TCP) connections'),
    })
    expect(parseBrokerChoice('http://localhost:8080')).toEqual({
      problem: expect.stringContaining('http:// is not an MQTT over WebSockets URL'),
    })
    expect(parseBrokerChoice('ws://')).toEqual({ problem: expect.stringMatching(/no host|not a valid URL/) })
  })
})

describe('the in-memory connection', () => {
  const read = (stream: NodeJS.ReadableStream) => new Promise<Buffer>((resolve) => stream.once('data', resolve))

  it('carries bytes both ways, and holds them while frozen', async () => {
    const pair = createDuplexPair()
    pair.client.write(Buffer.from('to broker'))
    expect((await read(pair.broker)).toString()).toBe('to broker')
    pair.broker.write(Buffer.from('to client'))
    expect((await read(pair.client)).toString()).toBe('to client')

    pair.freeze()
    const received: string[] = []
    pair.broker.on('data', (chunk: Buffer) => received.push(chunk.toString()))
    pair.client.write(Buffer.from('held'))
    // Barrier: a turn of the event loop, in which an unfrozen write arrives (as 'thaw' below shows).
    await new Promise((resolve) => setImmediate(resolve))
    expect(received).toEqual([])
    expect(pair.isFrozen).toBe(true)
    pair.thaw()
    await new Promise((resolve) => setImmediate(resolve))
    expect(received).toEqual(['held'])
  })

  it('closes the other end when one end is destroyed, as a reset socket does (a power cut)', async () => {
    const pair = createDuplexPair()
    const closed = new Promise((resolve) => pair.broker.once('close', resolve))
    pair.client.destroy()
    await closed
    expect(pair.broker.destroyed).toBe(true)
  })

  it("ends the other end's reading side when one end ends (a clean close)", async () => {
    const pair = createDuplexPair()
    const ended = new Promise((resolve) => pair.broker.once('end', resolve))
    pair.broker.resume()
    pair.client.end()
    await ended
  })
})

describe('the timers aedes gets in the browser', () => {
  it('refresh() starts the same timer again from now', async () => {
    const startedAt = performance.now()
    const fired = new Promise<number>((resolve) => {
      const timer = setRefreshable(() => resolve(performance.now() - startedAt), 60)
      globalThis.setTimeout(() => timer.refresh(), 40)
    })
    // Refreshed at 40 ms: it fires 60 ms after that, not at 60 ms.
    expect(await fired).toBeGreaterThanOrEqual(95)
  })

  it('clearTimeout() cancels one, and still cancels a plain timer id', async () => {
    let calls = 0
    const refreshable = setRefreshable(() => calls++, 5)
    clearRefreshable(refreshable)
    const plain = globalThis.setTimeout(() => calls++, 5)
    clearRefreshable(plain)
    clearRefreshable(null)
    await new Promise((resolve) => globalThis.setTimeout(resolve, 30))
    expect(calls).toBe(0)
  })
})

describe('the node:crypto and util.inherits stand-ins', () => {
  it('randomUUID() gives version 4 UUIDs even where crypto.randomUUID is missing (plain http)', () => {
    const fromRandomValues = randomUUID({ getRandomValues: (array) => globalThis.crypto.getRandomValues(array) })
    expect(fromRandomValues).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(randomUUID()).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('inherits() makes an ES class an EventEmitter, as Node does (the inherits package throws)', () => {
    class Client {
      name = 'client'
    }
    inherits(Client, EventEmitter)
    const client = new Client() as Client & EventEmitter
    expect(client).toBeInstanceOf(EventEmitter)
    EventEmitter.call(client)
    let heard = ''
    client.on('x', (value: string) => (heard = value))
    client.emit('x', 'yes')
    expect(heard).toBe('yes')
    expect((Client as unknown as { super_: unknown }).super_).toBe(EventEmitter)
  })
})

describe("the lessons' scenarios", () => {
  it('use valid topics, filters and wills, and distinct client names', () => {
    for (const [name, { clients }] of Object.entries(scenarios as Record<string, Scenario>)) {
      expect(new Set(clients.map((c) => c.name)).size, name).toBe(clients.length)
      for (const client of clients) {
        for (const subscription of client.subscriptions ?? [])
          expect(validateTopicFilter(subscription.filter), `${name}/${client.name}`).toBeUndefined()
        if (client.filter) expect(validateTopicFilter(client.filter), `${name}/${client.name}`).toBeUndefined()
        if (client.publish) expect(validateTopicName(client.publish.topic), `${name}/${client.name}`).toBeUndefined()
        if (client.will) expect(validateTopicName(client.will.topic), `${name}/${client.name}`).toBeUndefined()
      }
    }
  })
})
