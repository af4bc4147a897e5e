import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { BrokerSetup } from '../../grader/broker/broker.ts'
import { containerBackend } from '../../grader/broker/container-broker.ts'
import { mosquittoBackend } from '../../grader/broker/mosquitto-broker.ts'
import { StudentConfigError, renderMosquittoConf, renderStudentConf } from '../../grader/broker/mosquitto-conf.ts'
import { hashPasswordLine, verifyPasswordLine } from '../../grader/broker/password-file.ts'
import { GraderClient } from '../../grader/checks/grader-client.ts'
import { connackCode } from '../../grader/mqtt/packet-guards.ts'
import { describeEachBroker, detectBrokers } from '../support/brokers.ts'

const deadline = () => AbortSignal.timeout(10_000)

/** The course's security setup: sensor may only publish to home/sensors/#, dashboard may only read home/#. */
const setup: BrokerSetup = {
  users: [
    { username: 'sensor', password: 's3nsor-pass' },
    { username: 'dashboard', password: 'dash-pass' },
  ],
  acl: 'user sensor\ntopic write home/sensors/#\n\nuser dashboard\ntopic read home/#\n',
}

describe('the password file', () => {
  it('writes the $7$ PBKDF2-SHA512 format of mosquitto_passwd, and verifies', () => {
    const line = hashPasswordLine({ username: 'sensor', password: 'secret' }, 101, Buffer.alloc(12, 7))
    expect(line).toMatch(/^sensor:\$7\$101\$BwcHBwcHBwcHBwcH\$[A-Za-z0-9+/]{86}==$/)
    expect(verifyPasswordLine(line, 'sensor', 'secret')).toBe(true)
    expect(verifyPasswordLine(line, 'sensor', 'Secret')).toBe(false)
  })

  it('is checked against the real mosquitto_passwd when it is installed', async () => {
    const { execFileSync } = await import('node:child_process')
    const { mkdtempSync } = await import('node:fs')
    const dir = mkdtempSync('/tmp/mqtt-course-passwd-')
    try {
      execFileSync('mosquitto_passwd', ['-c', '-b', `${dir}/passwd`, 'alice', 'wonderland'], { stdio: 'ignore' })
    } catch {
      return expect(process.env.CI, 'mosquitto_passwd must be installed in CI').not.toBe('true')
    }
    const line = readFileSync(`${dir}/passwd`, 'utf8').trim()
    expect(verifyPasswordLine(line, 'alice', 'wonderland')).toBe(true)
    expect(verifyPasswordLine(line, 'alice', 'looking-glass')).toBe(false)
  })
})

describe('renderMosquittoConf', () => {
  it("appends the grader's own user after the exercise's ACL, so the ACL keeps its meaning", () => {
    const files = renderMosquittoConf({
      port: 1883,
      bindAddress: '127.0.0.1',
      brokerConfigDir: '/conf',
      setup,
      graderCredentials: { username: 'mqtt-course-grader', password: 'x' },
      isRoot: false,
    })
    expect(files['mosquitto.conf']).toContain(
      'listener 1883 127.0.0.1\nallow_anonymous false\npassword_file /conf/passwd\nacl_file /conf/acl\n',
    )
    expect(files.acl).toBe(
      `${setup.acl!.trimEnd()}\n\n# the grader's own observer\nuser mqtt-course-grader\ntopic readwrite #\n`,
    )
    expect(
      files
        .passwd!.trim()
        .split('\n')
        .map((line) => line.split(':')[0]),
    ).toEqual(['sensor', 'dashboard', 'mqtt-course-grader'])
  })
})

describe('renderStudentConf with WebSocket listeners', () => {
  const options = {
    port: 41000,
    webSocketPorts: { ws: 41001, wss: 41002 },
    bindAddress: '127.0.0.1',
    brokerConfigDir: '/conf',
    graderCredentials: undefined,
    isRoot: false,
  }
  const files = { 'ca.crt': 'CA', 'server.crt': 'CERT', 'server.key': 'KEY' }

  it('moves each listener, in any order, to the port of its kind: plain MQTT, ws, wss (a certfile under it)', () => {
    const conf =
      'listener 443\nprotocol websockets\ncertfile /etc/x/server.crt\nkeyfile server.key\ncafile ca.crt\nlistener 1883\nlistener 80\nprotocol websockets\nallow_anonymous true\n'
    const rendered = renderStudentConf({ conf, files, webSockets: ['ws', 'wss'] }, options)['mosquitto.conf'].split(
      '\n',
    )
    expect(rendered.slice(0, 9)).toEqual([
      'listener 41002 127.0.0.1',
      'protocol websockets',
      'certfile /conf/server.crt',
      'keyfile /conf/server.key',
      'cafile /conf/ca.crt',
      'listener 41000 127.0.0.1',
      'listener 41001 127.0.0.1',
      'protocol websockets',
      'allow_anonymous true',
    ])
  })

  it('names, by line, a listener kind the exercise does not ask for, a second of a kind, and each kind missing', () => {
    const conf =
      'listener 1883\ncertfile server.crt\nlistener 8080\nprotocol websockets\nlistener 8081\nprotocol websockets\n'
    const render = () => renderStudentConf({ conf, files, webSockets: ['ws', 'wss'] }, options)
    expect(render).toThrow(StudentConfigError)
    const issues = (() => {
      try {
        render()
      } catch (error) {
        return (error as StudentConfigError).issues
      }
    })()
    expect(issues?.map((issue) => `${issue.line}: ${issue.problem}`)).toEqual([
      "1: this MQTT listener has a certificate: keep the MQTT listener plain (the grader's own client uses it); TLS goes on a WebSockets listener here",
      '5: a second WebSockets listener: keep one of each kind (MQTT listener, WebSockets listener, WebSockets listener with TLS)',
      '0: no MQTT listener: add one, like "listener 1883": Mosquitto 2.0.11 does not start with WebSockets listeners alone, and the grader\'s own client speaks plain MQTT to it',
      '0: no WebSockets listener with TLS: add one: "listener 8443", and under it "protocol websockets", "cafile ca.crt", "certfile server.crt", "keyfile server.key"',
    ])
  })
})

const brokers = (await detectBrokers()).filter((broker) => broker.kind !== 'embedded')
const backends = { mosquitto: mosquittoBackend, container: containerBackend }

describeEachBroker(brokers, (kind) => {
  it('enforces the generated password file and ACL exactly as Mosquitto documents', async () => {
    await using broker = await backends[kind as 'mosquitto' | 'container'].start(setup, deadline())
    const open = (options: Partial<Parameters<typeof GraderClient.open>[0]>) =>
      GraderClient.open({ host: broker.host, port: broker.port, ...options }, deadline())

    // Refused: anonymous and a wrong password get CONNACK 5 (v3.1.1) / 0x87 (v5), never 4 / 0x86.
    expect(connackCode((await open({})).connack!)).toBe(5)
    expect(connackCode((await open({ username: 'sensor', password: 'wrong' })).connack!)).toBe(5)
    expect(connackCode((await open({ username: 'sensor', password: 'wrong', protocolVersion: 5 })).connack!)).toBe(0x87)

    const sensor = await open({ username: 'sensor', password: 's3nsor-pass', name: 'sensor' })
    const dashboard = await open({
      username: 'dashboard',
      password: 'dash-pass',
      protocolVersion: 5,
      name: 'dashboard',
    })
    expect([sensor.isConnected, dashboard.isConnected]).toEqual([true, true])

    await dashboard.subscribe([{ topic: 'home/#', qos: 1 }], deadline())
    await sensor.subscribe([{ topic: 'home/#', qos: 1 }], deadline()) // granted, but sensor may not read
    await sensor.publish('home/sensors/kitchen', '21.5', { qos: 1 }, deadline())
    const delivered = await dashboard.waitForMessage((m) => m.topic === 'home/sensors/kitchen', deadline())
    expect(delivered.payload.toString()).toBe('21.5')

    // The dashboard may not write: MQTT 5 says so in the PUBACK.
    const ack = (await dashboard.publish('home/lights', 'on', { qos: 1 }, deadline())) as { reasonCode?: number }
    expect(ack.reasonCode).toBe(0x87)

    // Neither message reached the sensor's own subscription: proven with a barrier, not a wait.
    await sensor.barrier(deadline())
    expect(sensor.messages()).toHaveLength(0)
    for (const client of [sensor, dashboard]) client.destroy()
  })
})

describeEachBroker(brokers, (kind) => {
  it('the wire tap decodes MQTT 5 both ways, reason codes included', async () => {
    const { WireTap } = await import('../../grader/wiretap/wire-tap.ts')
    const { formatTraceEvent } = await import('../../grader/wiretap/format-packet.ts')
    await using broker = await backends[kind as 'mosquitto' | 'container'].start(setup, deadline())
    await using tap = await WireTap.start({ upstream: { host: broker.host, port: broker.port } })
    const dashboard = await GraderClient.connect(
      {
        host: tap.host,
        port: tap.port,
        username: 'dashboard',
        password: 'dash-pass',
        protocolVersion: 5,
        clientId: 'v5-dashboard',
      },
      deadline(),
    )
    await dashboard.publish('home/lights', 'on', { qos: 1 }, deadline())
    await tap.latest!.barrier(deadline())
    const lines = tap.trace.events().map((event) => formatTraceEvent(event).replace(/^\+\d+\.\d+s\s+/, ''))
    expect(lines).toContain(
      '#1 you → broker  CONNECT clientId="v5-dashboard" protocol=MQTT 5 keepalive=0 clean=true username="dashboard" password=*** will=none',
    )
    expect(lines.some((line) => line.startsWith('#1 broker → you  CONNACK reason=0x00 (Success)'))).toBe(true)
    expect(lines).toContain('#1 broker → you  PUBACK id=1 reason=0x87 (Not authorized)')
    dashboard.destroy()
  })
})
