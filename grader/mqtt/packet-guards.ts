import type { IConnackPacket, IConnectPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet'

/** Type guards for the packets checks look for, so `h.expectPacket({ match: ... })` returns a typed packet. */
export const isConnect = (packet: Packet): packet is IConnectPacket => packet.cmd === 'connect'
export const isConnack = (packet: Packet): packet is IConnackPacket => packet.cmd === 'connack'
export const isPublish = (packet: Packet): packet is IPublishPacket => packet.cmd === 'publish'
export const isDisconnect = (packet: Packet): packet is IDisconnectPacket => packet.cmd === 'disconnect'

/** A PUBLISH to `topic`, optionally with exactly `payload`. */
export function isPublishTo(topic: string, payload?: string) {
  return (packet: Packet): packet is IPublishPacket =>
    packet.cmd === 'publish' &&
    packet.topic === topic &&
    (payload === undefined || packet.payload.toString() === payload)
}

/** The CONNACK's code whatever the protocol version: 0 means accepted. */
export function connackCode(packet: IConnackPacket): number {
  return packet.reasonCode ?? packet.returnCode ?? 0
}

export function payloadText(packet: { payload: Buffer | string }): string {
  return packet.payload.toString()
}
