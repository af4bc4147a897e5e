import { describe, expect, it } from 'vitest'
import { formatPacket } from '../../grader/wiretap/format-packet.ts'

describe('formatPacket', () => {
  it('shows the MQTT 5 properties of a PUBLISH that checks talk about, binary correlation data in hex', () => {
    const line = formatPacket(
      {
        cmd: 'publish',
        topic: 'apps/dash-1/replies',
        payload: Buffer.from('{"result":5}'),
        qos: 1,
        messageId: 7,
        retain: false,
        dup: false,
        properties: {
          responseTopic: 'a/b',
          correlationData: Buffer.from([0xff, 0x01]),
          userProperties: { 'trace-id': '7f' },
          messageExpiryInterval: 30,
        },
      },
      5,
    )
    expect(line).toBe(
      'PUBLISH topic="apps/dash-1/replies" qos=1 retain=0 dup=0 id=7 payload="{\\"result\\":5}" responseTopic="a/b" correlationData=<ff 01> user={"trace-id":"7f"} expiry=30s',
    )
  })

  it('adds nothing to an MQTT 3.1.1 PUBLISH', () => {
    const line = formatPacket({
      cmd: 'publish',
      topic: 'a',
      payload: Buffer.from('x'),
      qos: 0,
      retain: true,
      dup: false,
    })
    expect(line).toBe('PUBLISH topic="a" qos=0 retain=1 dup=0 payload="x"')
  })

  it('names reason codes after the packet that carries them: a CONNACK is not a SUBACK (issue 20)', () => {
    // aedes 1.x answers an MQTT 5 CONNECT with the MQTT 3.1.1 return code 1, decoded as an MQTT 5 CONNACK.
    expect(formatPacket({ cmd: 'connack', reasonCode: 1, sessionPresent: false }, 5)).toBe(
      "CONNACK reason=0x01 (not an MQTT 5 CONNACK code: MQTT 3.1.1's return code 1, unacceptable protocol version, from a broker that does not speak MQTT 5) sessionPresent=false",
    )
    expect(formatPacket({ cmd: 'connack', reasonCode: 0x87, sessionPresent: false }, 5)).toBe(
      'CONNACK reason=0x87 (Not authorized) sessionPresent=false',
    )
    expect(formatPacket({ cmd: 'connack', returnCode: 5, sessionPresent: false }, 4)).toBe(
      'CONNACK rc=5 (not authorized) sessionPresent=false',
    )
    expect(formatPacket({ cmd: 'suback', messageId: 3, granted: [0, 1, 0x87] }, 5)).toBe(
      'SUBACK id=3 granted=[0x00 (Granted QoS 0), 0x01 (Granted QoS 1), 0x87 (Not authorized)]',
    )
    expect(formatPacket({ cmd: 'puback', messageId: 4, reasonCode: 0x10 }, 5)).toBe(
      'PUBACK id=4 reason=0x10 (No matching subscribers)',
    )
    expect(formatPacket({ cmd: 'disconnect', reasonCode: 0x8e }, 5)).toBe('DISCONNECT reason=0x8e (Session taken over)')
    expect(formatPacket({ cmd: 'disconnect', reasonCode: 0 }, 5)).toBe('DISCONNECT reason=0x00 (Normal disconnection)')
    expect(formatPacket({ cmd: 'puback', messageId: 4, reasonCode: 0x01 }, 5)).toBe(
      'PUBACK id=4 reason=0x01 (not a PUBACK reason code)',
    )
  })
})
