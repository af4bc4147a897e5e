// aedes schedules with Node's global setImmediate; browsers have none. This installs the standard polyfill.
import 'setimmediate'
import { Aedes } from 'aedes'
import { type DuplexPair, createDuplexPair } from './duplex-pair.ts'

export interface InPageBroker {
  readonly aedes: Aedes
  /** A new connection to the broker: give `pair.client` to MQTT.js; the broker already reads `pair.broker`. */
  openConnection(): DuplexPair
  close(): Promise<void>
}

/**
 * aedes, running in this page: the Playground's default broker, so that a lesson's "Try it" works on the
 * static site with nothing installed. MQTT.js clients join it over in-memory streams instead of sockets;
 * everything else (keepalive, wills, retained messages, QoS 1/2, persistent sessions) is aedes' own code, the
 * same as `npm run broker` runs in Node.
 */
export async function startInPageBroker(): Promise<InPageBroker> {
  const aedes = await Aedes.createBroker()
  return {
    aedes,
    openConnection() {
      const pair = createDuplexPair()
      aedes.handle(pair.broker as never)
      return pair
    },
    close: () => new Promise<void>((resolve) => aedes.close(() => resolve())),
  }
}
