/**
 * Splits a TCP byte stream into whole MQTT control packets without decoding them, so the tap can forward the
 * student's exact bytes and still slip its own packets in between two of them (a barrier never lands inside a
 * half-forwarded PUBLISH). Fixed header: one byte, then the Remaining Length as a variable byte integer of at
 * most four bytes [MQTT-2.2.3], [MQTT 5.0 1.5.5].
 */
export class PacketFramer {
  #pending: Buffer = Buffer.alloc(0)

  /** Feeds bytes; returns every packet completed by them, and an error text if the stream cannot be framed. */
  push(chunk: Buffer): { frames: Buffer[]; error?: string } {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    const frames: Buffer[] = []
    for (;;) {
      const header = readFixedHeader(this.#pending)
      if (header === 'incomplete') break
      if (header === 'malformed') {
        const error = 'the Remaining Length of a packet is longer than 4 bytes (malformed packet)'
        return { frames, error }
      }
      const total = header.headerLength + header.remainingLength
      if (this.#pending.length < total) break
      frames.push(this.#pending.subarray(0, total))
      this.#pending = this.#pending.subarray(total)
    }
    return { frames }
  }

  /** Bytes received that do not yet form a whole packet. */
  get pendingBytes(): number {
    return this.#pending.length
  }
}

function readFixedHeader(
  bytes: Buffer,
): { headerLength: number; remainingLength: number } | 'incomplete' | 'malformed' {
  if (bytes.length < 2) return 'incomplete'
  let remainingLength = 0
  let multiplier = 1
  for (let index = 1; index <= 4; index++) {
    if (index >= bytes.length) return 'incomplete'
    const byte = bytes[index]
    remainingLength += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) return { headerLength: index + 1, remainingLength }
    multiplier *= 128
  }
  return 'malformed'
}
