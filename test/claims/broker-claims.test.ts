/**
 * Every claim a lesson makes about what a broker does, re-run on every broker the course uses: aedes (the
 * embedded broker), the local Mosquitto binary and Mosquitto in a container (which may be another version: the
 * course's compose file and default image are 2.0.22, Debian's binary is 2.0.11). Each claim quotes its lesson
 * and says what each broker does; a lesson edited without its claim, or a broker upgrade that changes a
 * behaviour, fails here. What every broker did is written to .cache/broker-claims/<broker>.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Broker } from '../../grader/broker/broker.ts'
import { containerBackend } from '../../grader/broker/container-broker.ts'
import { embeddedBackend } from '../../grader/broker/embedded-broker.ts'
import { mosquittoBackend } from '../../grader/broker/mosquitto-broker.ts'
import { describeEachBroker, detectBrokers } from '../support/brokers.ts'
import { courseRoot } from '../support/run-cli.ts'
import { type BrokerIdentity, identify } from './broker-identity.ts'
import { claims } from './claims.ts'
import { RawClient } from './raw-client.ts'

const backends = { embedded: embeddedBackend, mosquitto: mosquittoBackend, container: containerBackend }
const fold = (text: string) => text.replace(/\s+/g, ' ')

describe('the claims', () => {
  it('have unique ids', () => {
    expect(new Set(claims.map((claim) => claim.id)).size).toBe(claims.length)
  })
  for (const claim of claims) {
    it(`${claim.id}: is what ${claim.file} says`, () => {
      const text = fold(readFileSync(path.join(courseRoot, claim.file), 'utf8'))
      const missing = claim.says.filter((words) => !text.includes(fold(words)))
      expect(missing, `${claim.file} no longer says these words: change the claim with the lesson`).toEqual([])
    })
  }
})

describeEachBroker(await detectBrokers(), (kind) => {
  let broker: Broker
  let identity: BrokerIdentity
  const observed: Record<string, { expected: string; observed: string }> = {}

  beforeAll(async () => {
    broker = await backends[kind].start({}, AbortSignal.timeout(60_000))
    identity = await identify(broker)
  }, 90_000)
  afterAll(async () => {
    await broker?.stop()
    if (!identity) return
    const dir = path.join(courseRoot, '.cache', 'broker-claims')
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      path.join(dir, `${kind}.json`),
      `${JSON.stringify({ broker: identity.label, claims: observed }, null, 2)}\n`,
    )
  })

  if (kind === 'embedded') {
    it('aedes refuses MQTT 5, so the MQTT 5 claims are not its', async () => {
      const { client, connack } = await RawClient.connect(broker.port, {
        clientId: 'claims-v5',
        protocolVersion: 5,
      }).catch(() => ({ client: undefined, connack: undefined }))
      client?.destroy()
      // aedes 1.x answers an MQTT 5 CONNECT with a 3.1.1 CONNACK "unacceptable protocol version", or closes.
      expect(
        connack === undefined ||
          [(connack as { returnCode?: number }).returnCode, (connack as { reasonCode?: number }).reasonCode].includes(
            1,
          ),
      ).toBe(true)
    })
  }

  for (const claim of claims) {
    if (claim.isMqtt5 && kind === 'embedded') continue
    it(`${claim.id} (${claim.file})`, async () => {
      const expected = claim.expected(identity)
      const result = await claim.experiment(broker.port)
      observed[claim.id] = { expected, observed: result }
      console.log(`${identity.label} ${claim.id}: ${result}`)
      expect(result, `${identity.label}: ${claim.file} says "${expected}"; the broker did "${result}"`).toBe(expected)
    })
  }
})
