import {
  type BrokerBackend,
  type BrokerKind,
  type Capability,
  describeCapability,
  missingCapabilities,
} from './broker.ts'
import { GraderError } from '../errors/grader-error.ts'

/** `auto`, a backend's name, or a broker URL: what `--broker` accepts. */
export type BrokerChoice = 'auto' | LocalKind | `mqtt://${string}` | `tcp://${string}`

type LocalKind = Exclude<BrokerKind, 'url'>

/**
 * Each backend loads when it is asked for: grading on aedes never loads the code that drives Mosquitto or
 * Docker, and none of it stands between the grader's start and the student's program's.
 */
const loadBackend: Record<LocalKind, () => Promise<BrokerBackend>> = {
  embedded: async () => (await import('./embedded-broker.ts')).embeddedBackend,
  mosquitto: async () => (await import('./mosquitto-broker.ts')).mosquittoBackend,
  container: async () => (await import('./container-broker.ts')).containerBackend,
}

/** Fastest first: `auto` takes the first one that is available and offers what the exercise needs. */
const kindsBySpeed: readonly LocalKind[] = ['embedded', 'mosquitto', 'container']

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
    if (choice.startsWith('mqtt://') || choice.startsWith('tcp://'))
      return (await import('./url-broker.ts')).urlBackend(choice)
    if (choice !== 'auto') return loadBackend[choice as LocalKind]()
    const reasons: string[] = []
    const fixes: string[] = []
    for (const kind of kindsBySpeed) {
      const backend = await loadBackend[kind]()
      const missing = missingCapabilities(required, backend.capabilities)
      if (missing.length > 0) continue
      const availability = await this.#checkAvailable(backend)
      if (availability.isAvailable) return backend
      reasons.push(`${backend.kind}: ${availability.reason}`)
      fixes.push(availability.fix)
    }
    const needs = required.map(describeCapability).join(', ')
    throw new GraderError(
      'BROKER_UNAVAILABLE',
      `${exerciseId} needs a broker with ${needs}, and none is available here (${reasons.join('; ')})`,
      {
        hint: `${fixes.join('; or ')}; then run the command again`,
      },
    )
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
