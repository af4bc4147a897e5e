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
        properties: { responseTopic: 'a/b', correlationData: Buffer.from([0xff, 0x01]), userProperties: { 'trace-id': '7f' }, messageExpiryInterval: 30 },
      },
      5,
    )
    expect(line).toBe('PUBLISH topic="apps/dash-1/replies" qos=1 retain=0 dup=0 id=7 payload="{\\"result\\":5}" responseTopic="a/b" correlationData=<ff 01> user={"trace-id":"7f"} expiry=30s')
  })

  it('adds nothing to an MQTT 3.1.1 PUBLISH', () => {
    const line = formatPacket({ cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 0, retain: true, dup: false })
    expect(line).toBe('PUBLISH topic="a" qos=0 retain=1 dup=0 payload="x"')
  })
})
