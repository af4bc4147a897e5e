import { describe, it } from 'vitest'
import type { BrokerKind } from '../../grader/broker/broker.ts'
import { mosquittoImage } from '../../grader/broker/container-broker.ts'
import { findMosquittoBinary, installMosquittoHint } from '../../grader/broker/find-mosquitto.ts'

export type TestBroker = Exclude<BrokerKind, 'url'>

export interface BrokerAvailability {
  kind: TestBroker
  isAvailable: boolean
  reason?: string
}

/**
 * In CI (CI=true, or MQTT_COURSE_REQUIRE_ALL_BROKERS=1) every broker must be there: a missing one fails.
 * Locally a missing broker skips its tests, and the skipped suite's name says why.
 */
export const isEveryBrokerRequired = process.env.CI === 'true' || process.env.MQTT_COURSE_REQUIRE_ALL_BROKERS === '1'

export async function detectBrokers(): Promise<BrokerAvailability[]> {
  return [{ kind: 'embedded', isAvailable: true }, detectMosquitto(), await detectContainer()]
}

function detectMosquitto(): BrokerAvailability {
  if (findMosquittoBinary()) return { kind: 'mosquitto', isAvailable: true }
  return { kind: 'mosquitto', isAvailable: false, reason: `no mosquitto binary (${installMosquittoHint})` }
}

async function detectContainer(): Promise<BrokerAvailability> {
  const image = mosquittoImage()
  try {
    const { getContainerRuntimeClient, ImageName } = await import('testcontainers')
    const client = await getContainerRuntimeClient()
    if (!(await client.image.exists(ImageName.fromString(image)))) {
      return {
        kind: 'container',
        isAvailable: false,
        reason: `image ${image} is not present (docker/build-local-mosquitto.sh builds one; set MQTT_COURSE_MOSQUITTO_IMAGE)`,
      }
    }
    return { kind: 'container', isAvailable: true }
  } catch (error) {
    return {
      kind: 'container',
      isAvailable: false,
      reason: `no Docker engine answers (${(error as Error).message.split('\n')[0]})`,
    }
  }
}

/**
 * `describe` once per broker. Unavailable brokers: a skipped suite named with the reason, or, where every
 * broker is required, one failing test that says what is missing.
 */
export function describeEachBroker(brokers: readonly BrokerAvailability[], body: (broker: TestBroker) => void): void {
  for (const broker of brokers) {
    if (broker.isAvailable) describe(`on ${broker.kind}`, () => body(broker.kind))
    else if (isEveryBrokerRequired) {
      describe(`on ${broker.kind}`, () => {
        it('has its broker available (required in CI)', () => {
          throw new Error(`${broker.kind} broker unavailable: ${broker.reason}`)
        })
      })
    } else describe.skip(`on ${broker.kind} (skipped: ${broker.reason})`, () => body(broker.kind))
  }
}
