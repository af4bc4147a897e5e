/**
 * Which broker an experiment ran on: aedes from the embedded broker's label, Mosquitto from what it says itself
 * on `$SYS/broker/version` (retained, "mosquitto version 2.0.11"), which a container's label may lack.
 */
import type { Broker } from '../../grader/broker/broker.ts'
import { RawClient } from './raw-client.ts'

export interface BrokerIdentity {
  /** aedes (the embedded broker) or Mosquitto, local binary or container. */
  product: 'aedes' | 'mosquitto'
  kind: Broker['kind']
  /** [major, minor, patch] */
  version: [number, number, number]
  label: string
}

export async function identify(broker: Broker): Promise<BrokerIdentity> {
  let said = broker.label
  if (broker.kind !== 'embedded') {
    const { client } = await RawClient.connect(broker.port, { clientId: 'claims-version' })
    await using _client = client
    await client.subscribe([{ topic: '$SYS/broker/version', qos: 0 }])
    said = (
      (await client.waitFor((packet) => packet.cmd === 'publish', 5000, 'the retained $SYS/broker/version')) as {
        payload: Buffer
      }
    ).payload.toString()
  }
  const found = /(aedes|mosquitto) (?:version )?(\d+)\.(\d+)\.(\d+)/.exec(said)
  if (!found) throw new Error(`cannot tell the broker's product and version from "${said}"`)
  return {
    product: found[1] as BrokerIdentity['product'],
    kind: broker.kind,
    version: [Number(found[2]), Number(found[3]), Number(found[4])],
    label: `${found[1]} ${found[2]}.${found[3]}.${found[4]} (${broker.kind})`,
  }
}

/** Whether the broker is Mosquitto at `version` or later ("2.0.13"). */
export function isMosquittoSince(broker: BrokerIdentity, version: string): boolean {
  if (broker.product !== 'mosquitto') return false
  const wanted = version.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    if (broker.version[i]! !== wanted[i]!) return broker.version[i]! > wanted[i]!
  }
  return true
}
