import mqttPacket from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { PacketFramer } from '../../grader/mqtt/packet-framer.ts'
import { decodeFrame } from '../../grader/mqtt/packet-codec.ts'

const publish = (payloadBytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'a/b',
    payload: Buffer.alloc(payloadBytes, 0x41),
    qos: 0,
    retain: false,
    dup: false,
  })

describe('PacketFramer', () => {
  it('splits a chunk holding several packets into exact frames', () => {
    const bytes = Buffer.concat([publish(3), mqttPacket.generate({ cmd: 'pingreq' }), publish(200)])
    const { frames, error } = new PacketFramer().push(bytes)
    expect(error).toBeUndefined()
    expect(frames.map((frame) => frame.length)).toEqual([publish(3).length, 2, publish(200).length])
    expect(Buffer.concat(frames).equals(bytes)).toBe(true)
  })

  it('waits for the rest of a packet split across chunks, byte by byte', () => {
    const bytes = publish(20_000) // a 3-byte Remaining Length
    const framer = new PacketFramer()
    const frames = [...bytes].flatMap((byte) => framer.push(Buffer.from([byte])).frames)
    expect(frames).toHaveLength(1)
    expect(frames[0].equals(bytes)).toBe(true)
    expect(framer.pendingBytes).toBe(0)
    expect(decodeFrame(frames[0], 4)).toMatchObject({ packet: { cmd: 'publish', topic: 'a/b' } })
  })

  it('reports a Remaining Length longer than 4 bytes as malformed', () => {
    const { error } = new PacketFramer().push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))
    expect(error).toBe('the Remaining Length of a packet is longer than 4 bytes (malformed packet)')
  })

  it('decodes MQTT 5 packets once told the protocol version, and reports garbage', () => {
    const frame = mqttPacket.generate({ cmd: 'puback', messageId: 7, reasonCode: 0x87 }, { protocolVersion: 5 })
    expect(decodeFrame(frame, 5)).toMatchObject({ packet: { cmd: 'puback', messageId: 7, reasonCode: 0x87 } })
    expect(decodeFrame(Buffer.from([0x00, 0x00]), 4)).toEqual({ error: expect.stringMatching(/./) })
  })
})
