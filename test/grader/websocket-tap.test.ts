import net from 'node:net'
import { expect, it } from 'vitest'
import mqtt from 'mqtt'
import { WebSocket } from 'ws'
import type { Broker, BrokerSetup } from '../../grader/broker/broker.ts'
import { containerBackend } from '../../grader/broker/container-broker.ts'
import { mosquittoBackend, startMosquittoRetrying } from '../../grader/broker/mosquitto-broker.ts'
import { findMosquittoBinary } from '../../grader/broker/find-mosquitto.ts'
import { StudentConfigError } from '../../grader/broker/mosquitto-conf.ts'
import { createTlsMaterial } from '../../grader/broker/tls-material.ts'
import { GraderClient } from '../../grader/checks/grader-client.ts'
import { formatTraceEvent } from '../../grader/wiretap/format-packet.ts'
import { WireTap } from '../../grader/wiretap/wire-tap.ts'
import type { TraceEvent } from '../../grader/wiretap/wire-trace.ts'
import { describeEachBroker, detectBrokers } from '../support/brokers.ts'

const deadline = () => AbortSignal.timeout(10_000)
const brokers = (await detectBrokers()).filter((broker) => broker.kind !== 'embedded')
const backends = { mosquitto: mosquittoBackend, container: containerBackend }

const conf = `listener 1883
listener 8080
protocol websockets
listener 8443
protocol websockets
cafile ca.crt
certfile server.crt
keyfile server.key
allow_anonymous true
`

const lines = (events: readonly TraceEvent[]) =>
  events.map((event) => formatTraceEvent(event).replace(/^\+\d+\.\d+s\s+/, ''))

/** An MQTT.js client through the tap; resolves once connected. */
async function connectThrough(url: string, options: mqtt.IClientOptions): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options })
  await new Promise((resolve, reject) => client.once('connect', resolve).once('error', reject))
  return client
}

/** Resolves with the trace's next refusal (a client turned away before it became a connection). */
function nextRefusal(tap: WireTap, after: number): Promise<TraceEvent> {
  return tap.trace.waitFor((e) => e.kind === 'connection' && e.connection === 0, deadline(), after)
}

describeEachBroker(brokers, (kind) => {
  it("a WebSocket tap forwards ws:// and wss:// to Mosquitto's WebSocket listeners, decodes the MQTT inside, and cut() fires the will", async () => {
    await using tlsMaterial = await createTlsMaterial()
    const setup: BrokerSetup = {
      studentConfig: { conf, files: tlsMaterial.brokerFiles, webSockets: ['ws', 'wss'] },
      webSocketCa: tlsMaterial.ca.certificatePem,
    }
    await using broker: Broker = await backends[kind as 'mosquitto' | 'container'].start(setup, deadline())
    expect(Object.keys(broker.webSocketUrls ?? {}).sort()).toEqual(['ws', 'wss'])
    await using tap = await WireTap.start({
      upstream: { host: broker.host, port: broker.port, webSocketUrls: broker.webSocketUrls },
      webSocket: { path: '/mqtt', tls: { ...tlsMaterial.server, upstreamCa: tlsMaterial.ca.certificatePem } },
    })
    expect(tap.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    expect(tap.secureUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    await using observer = await GraderClient.connect(
      { host: broker.host, port: broker.port, name: 'observer' },
      deadline(),
    )
    await observer.subscribe([{ topic: 'status/#', qos: 1 }], deadline())

    const device = await connectThrough(tap.url, {
      clientId: 'device',
      will: { topic: 'status/device', payload: Buffer.from('offline'), qos: 1, retain: false },
    })
    await device.publishAsync('status/device', 'online', { qos: 1 })
    expect(lines(tap.trace.events())).toEqual([
      '#1 connection opened (ws://)',
      '#1 you → broker  CONNECT clientId="device" protocol=MQTT 3.1.1 keepalive=60 clean=true will={topic="status/device" payload="offline" qos=1 retain=0}',
      '#1 broker → you  CONNACK rc=0 (Connection Accepted) sessionPresent=false',
      expect.stringMatching(
        /^#1 you → broker {2}PUBLISH topic="status\/device" qos=1 retain=0 dup=0 id=\d+ payload="online"$/,
      ),
      expect.stringMatching(/^#1 broker → you {2}PUBACK id=\d+/),
    ])
    // The barrier is a PINGREQ inside a WebSocket frame; the broker's PINGRESP never reaches the client.
    await tap.latest!.barrier(deadline())
    const after = observer.trace.cursor
    tap.latest!.cut()
    const will = await observer.waitForMessage(
      (m) => m.topic === 'status/device' && m.payload.toString() === 'offline',
      deadline(),
      after,
    )
    expect(will.payload.toString()).toBe('offline')
    device.end(true)

    // wss:// ends at the tap with the broker's certificate, and goes on to the broker's wss listener.
    const secure = await connectThrough(tap.secureUrl!, {
      clientId: 'secure-device',
      protocolVersion: 5,
      ca: tlsMaterial.ca.certificatePem,
    })
    await secure.endAsync()
    const secureLines = lines(tap.trace.events()).filter((line) => line.startsWith('#2'))
    expect(secureLines.slice(0, 3)).toEqual([
      '#2 connection opened (wss://)',
      '#2 you → broker  CONNECT clientId="secure-device" protocol=MQTT 5 keepalive=60 clean=true will=none',
      '#2 broker → you  CONNACK reason=0x00 (Success) sessionPresent=false',
    ])
  })

  it('a WebSocket tap turns away plain TCP, another path and a handshake without the mqtt subprotocol, each with a sentence, and Mosquitto never sees them', async () => {
    await using tlsMaterial = await createTlsMaterial()
    const setup: BrokerSetup = {
      studentConfig: { conf, files: tlsMaterial.brokerFiles, webSockets: ['ws', 'wss'] },
      webSocketCa: tlsMaterial.ca.certificatePem,
    }
    await using broker: Broker = await backends[kind as 'mosquitto' | 'container'].start(setup, deadline())
    await using tap = await WireTap.start({
      upstream: { host: broker.host, port: broker.port, webSocketUrls: broker.webSocketUrls },
      webSocket: { path: '/mqtt' },
    })
    const port = Number(new URL(tap.url).port)

    let after = tap.trace.cursor
    const tcp = mqtt.connect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: 'tcp' }).on('error', () => {})
    const tcpRefusal = await nextRefusal(tap, after)
    tcp.end(true)
    expect(tcpRefusal).toMatchObject({
      closedBy: 'tap',
      detail: 'not a WebSocket handshake: the first byte, 0x10, starts an MQTT CONNECT sent over plain TCP',
    })

    after = tap.trace.cursor
    const wrongPath = mqtt
      .connect(tap.url.replace('/mqtt', '/ws'), { reconnectPeriod: 0, clientId: 'path' })
      .on('error', () => {})
    const pathRefusal = await nextRefusal(tap, after)
    wrongPath.end(true)
    expect(pathRefusal).toMatchObject({
      detail: 'the WebSocket handshake asked for the path /ws; MQTT is served at /mqtt',
    })

    // Mosquitto 2.0.11 answered such a handshake, dropped it, and then refused its WebSockets listener's next
    // clients: the tap must not pass it on.
    after = tap.trace.cursor
    const bare = new WebSocket(tap.url)
    bare.on('error', () => {})
    const bareRefusal = await nextRefusal(tap, after)
    expect(bareRefusal).toMatchObject({ detail: 'the WebSocket handshake offered no subprotocol, not "mqtt"' })

    after = tap.trace.cursor
    const http = net
      .connect(port, '127.0.0.1', () => http.end('GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n'))
      .on('error', () => {})
    const httpRefusal = await nextRefusal(tap, after)
    http.destroy()
    expect(httpRefusal).toMatchObject({ detail: 'a plain HTTP GET /mqtt, without "Upgrade: websocket"' })

    // A handshake ws itself cannot complete (an old protocol version) is turned away too, and the tap lives on.
    after = tap.trace.cursor
    const old = net
      .connect(port, '127.0.0.1', () =>
        old.write(
          'GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n',
        ),
      )
      .on('error', () => {})
    const oldRefusal = await nextRefusal(tap, after)
    old.destroy()
    expect(oldRefusal).toMatchObject({ detail: 'the WebSocket handshake was malformed (answered 400)' })
    expect(tap.connections).toHaveLength(0)

    // And the listener still serves a proper client.
    const good = await connectThrough(tap.url, { clientId: 'good' })
    await good.endAsync()
    expect(tap.connections).toHaveLength(1)
  })

  it("a config without the WebSocket listeners an exercise asks for is the student's to fix, with the line", async () => {
    await using tlsMaterial = await createTlsMaterial()
    const withoutTls = conf.replace(/^(cafile|certfile|keyfile) .*\n/gm, '')
    const start = backends[kind as 'mosquitto' | 'container'].start(
      {
        studentConfig: { conf: withoutTls, files: tlsMaterial.brokerFiles, webSockets: ['ws', 'wss'] },
        webSocketCa: tlsMaterial.ca.certificatePem,
      },
      deadline(),
    )
    const error = await start.then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(StudentConfigError)
    expect((error as StudentConfigError).issues.map((issue) => [issue.line, issue.problem])).toEqual([
      [
        4,
        'a second WebSockets listener: keep one of each kind (MQTT listener, WebSockets listener, WebSockets listener with TLS)',
      ],
      [
        0,
        'no WebSockets listener with TLS: add one: "listener 8443", and under it "protocol websockets", "cafile ca.crt", "certfile server.crt", "keyfile server.key"',
      ],
    ])
  })
})

it.runIf(brokers.some((broker) => broker.kind === 'mosquitto'))(
  "a WebSocket port another process takes before Mosquitto binds it is a race lost, not the student's mistake: Mosquitto starts again on new ports",
  async () => {
    await using tlsMaterial = await createTlsMaterial()
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()))
    try {
      const port = (taken.address() as net.AddressInfo).port
      const setup: BrokerSetup = {
        studentConfig: { conf, files: tlsMaterial.brokerFiles, webSockets: ['ws', 'wss'] },
        webSocketCa: tlsMaterial.ca.certificatePem,
      }
      // The first try is given the taken port for ws://, as if another grade had bound it a moment before.
      await using broker = await startMosquittoRetrying(findMosquittoBinary()!, setup, deadline(), {
        ws: port,
        wss: await freePort(),
      })
      expect(Number(new URL(broker.webSocketUrls!.ws!).port)).not.toBe(port)
      await using client = await GraderClient.connect(
        { host: broker.host, port: broker.port, name: 'probe' },
        deadline(),
      )
      expect(client).toBeDefined()
    } finally {
      taken.close()
    }
  },
)

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
