import type { Broker, BrokerBackend, BrokerKind, BrokerSetup, Capability } from '../broker/broker.ts'
import { BackendChooser } from '../broker/choose-backend.ts'

/**
 * The backend chooser `watch` grades with: a broker an exercise needs nothing special from (no users, ACL,
 * TLS or student config) is started once and kept between saves; gradeExercise's stop() leaves it running,
 * and disposing the chooser stops it. Every run draws a fresh seed, so its topics and client ids are new and
 * what an earlier run left (retained messages, sessions) is never in the way. A run that errors drops the
 * broker, in case the broker was the reason.
 */
export class WarmBrokerChooser extends BackendChooser implements AsyncDisposable {
  readonly #kept = new Map<BrokerKind, Promise<Broker>>()

  override async choose(required: readonly Capability[], exerciseId: string): Promise<BrokerBackend> {
    const backend = await super.choose(required, exerciseId)
    return {
      kind: backend.kind,
      capabilities: backend.capabilities,
      checkAvailable: () => backend.checkAvailable(),
      start: (setup, signal) => (isPlain(setup) ? this.#keep(backend, signal) : backend.start(setup, signal)),
    }
  }

  /** After a run that errored: the next run starts a broker afresh. */
  async drop(): Promise<void> {
    const kept = [...this.#kept.values()]
    this.#kept.clear()
    await Promise.all(kept.map(async (broker) => (await broker.catch(() => undefined))?.stop()))
  }

  async #keep(backend: BrokerBackend, signal: AbortSignal): Promise<Broker> {
    let started = this.#kept.get(backend.kind)
    if (!started) {
      started = backend.start({}, signal)
      this.#kept.set(backend.kind, started)
      started.catch(() => this.#kept.delete(backend.kind))
    }
    const broker = await started
    // The same broker, but stopping it is the chooser's business, not the run's.
    const { kind, label, host, port, url, tlsCa, capabilities, graderCredentials } = broker
    const keep = async () => {}
    return {
      kind,
      label,
      host,
      port,
      url,
      tlsCa,
      capabilities,
      graderCredentials,
      logTail: () => broker.logTail(),
      stop: keep,
      [Symbol.asyncDispose]: keep,
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drop()
  }
}

function isPlain(setup: BrokerSetup): boolean {
  return (
    !setup.users?.length &&
    setup.acl === undefined &&
    setup.allowAnonymous === undefined &&
    setup.studentConfig === undefined &&
    setup.tlsCa === undefined
  )
}
