/**
 * mqtt-packet, as the grader uses it. On its first write mqtt-packet fills a cache of 65,536 two-byte buffers
 * (about 90 ms with the garbage collection it causes): worth it for a broker sending millions of packets,
 * a third of a grading run's time here. Turned off before anything is written.
 */
import mqttPacket, { type Packet } from 'mqtt-packet'

mqttPacket.writeToStream.cacheNumbers = false

export const generatePacket = mqttPacket.generate

/** Decodes exactly one framed packet. A fresh parser per frame: an error never poisons the next packet. */
export function decodeFrame(frame: Buffer, protocolVersion: number): { packet: Packet } | { error: string } {
  const parser = mqttPacket.parser({ protocolVersion })
  let packet: Packet | undefined
  let error: string | undefined
  parser.on('packet', (decoded: Packet) => (packet = decoded))
  parser.on('error', (cause: Error) => (error = cause.message))
  parser.parse(frame)
  if (packet) return { packet }
  return { error: error ?? 'incomplete packet' }
}
