import { type BrokerBackend, type BrokerKind, type Capability, describeCapability, missingCapabilities } from './broker.ts'
import { containerBackend } from './container-broker.ts'
import { embeddedBackend } from './embedded-broker.ts'
import { mosquittoBackend } from './mosquitto-broker.ts'
import { urlBackend } from './url-broker.ts'
import { GraderError } from '../errors/grader-error.ts'

/** `auto`, a backend's name, or a broker URL: what `--broker` accepts. */
export type BrokerChoice = 'auto' | Exclude<BrokerKind, 'url'> | `mqtt://${string}` | `tcp://${string}`

/** Fastest first: `auto` takes the first one that is available and offers what the exercise needs. */
const backendsBySpeed: readonly BrokerBackend[] = [embeddedBackend, mosquittoBackend, containerBackend]

export function parseBrokerChoice(value: string): BrokerChoice {
  if (value === 'auto' || value === 'embedded' || value === 'mosquitto' || value === 'container') return value
  if (value.startsWith('mqtt://') || value.startsWith('tcp://')) return value as BrokerChoice
  throw new GraderError('USAGE', `--broker ${value} is not a broker I know`, {
    hint: 'use one of: auto, embedded, mosquitto, container, or a URL like mqtt://localhost:1883',
  })
}

/**
 * Picks the backend for one exercise. An explicit choice is honoured even when it lacks a capability (the
 * checks that need it are skipped with a reason); `auto` never picks a backend that would skip a check.
 */
export class BackendChooser {
  readonly #availability = new Map<BrokerKind, ReturnType<BrokerBackend['checkAvailable']>>()
  readonly #choice: BrokerChoice

  constructor(choice: BrokerChoice) {
    this.#choice = choice
  }

  async choose(required: readonly Capability[], exerciseId: string): Promise<BrokerBackend> {
    const choice = this.#choice
    if (choice.startsWith('mqtt://') || choice.startsWith('tcp://')) return urlBackend(choice)
    if (choice !== 'auto') return backendsBySpeed.find((backend) => backend.kind === choice)!
    const reasons: string[] = []
    const fixes: string[] = []
    for (const backend of backendsBySpeed) {
      const missing = missingCapabilities(required, backend.capabilities)
      if (missing.length > 0) continue
      const availability = await this.#checkAvailable(backend)
      if (availability.isAvailable) return backend
      reasons.push(`${backend.kind}: ${availability.reason}`)
      fixes.push(availability.fix)
    }
    const needs = required.map(describeCapability).join(', ')
    throw new GraderError('BROKER_UNAVAILABLE', `${exerciseId} needs a broker with ${needs}, and none is available here (${reasons.join('; ')})`, {
      hint: `${fixes.join('; or ')}; then run the command again`,
    })
  }

  #checkAvailable(backend: BrokerBackend): ReturnType<BrokerBackend['checkAvailable']> {
    let availability = this.#availability.get(backend.kind)
    if (!availability) {
      availability = backend.checkAvailable()
      this.#availability.set(backend.kind, availability)
    }
    return availability
  }
}
