import { Duplex } from 'node:stream'

/** One end of an in-memory connection, as a socket would be: bytes written here are read at the other end. */
export interface PipeEnd extends Duplex {}

export interface DuplexPair {
  /** The client's end (MQTT.js writes its packets here). */
  client: PipeEnd
  /** The broker's end (aedes reads them here). */
  broker: PipeEnd
  /**
   * Holds every byte in both directions until `thaw()`, like a process stopped with Ctrl-Z: the connection
   * stays open, nothing moves.
   */
  freeze(): void
  thaw(): void
  readonly isFrozen: boolean
}

/**
 * Two connected in-memory streams, the browser's stand-in for a TCP connection between MQTT.js and aedes.
 * Ending one end ends the other's reading side; destroying one (a power cut) closes the other, as a reset
 * socket would.
 */
export function createDuplexPair(): DuplexPair {
  let isFrozen = false
  const held: Array<{ to: PipeEnd; chunk: Buffer | null }> = []
  const deliver = (to: PipeEnd, chunk: Buffer | null) => {
    if (to.destroyed) return
    if (isFrozen) held.push({ to, chunk })
    else to.push(chunk)
  }
  const makeEnd = (other: () => PipeEnd): PipeEnd =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        deliver(other(), chunk)
        callback()
      },
      final(callback) {
        deliver(other(), null)
        callback()
      },
      destroy(error, callback) {
        const peer = other()
        if (!peer.destroyed) peer.destroy()
        callback(error)
      },
    })
  const client: PipeEnd = makeEnd(() => broker)
  const broker: PipeEnd = makeEnd(() => client)
  return {
    client,
    broker,
    freeze() {
      isFrozen = true
    },
    thaw() {
      isFrozen = false
      for (const { to, chunk } of held.splice(0)) deliver(to, chunk)
    },
    get isFrozen() {
      return isFrozen
    },
  }
}
