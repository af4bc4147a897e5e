/**
 * What the grader's watchdogs share (memory-watchdog.ts, disk-watchdog.ts): a set of watched programs and one
 * timer that runs `tick` over them while there is any. Polling is their mechanism, not a way to wait for an
 * event: nothing else reports a process's memory or a folder's size as it grows.
 */
export class PolledWatch<T> {
  readonly #entries = new Set<T>()
  readonly #intervalMs: number
  readonly #tick: (entries: ReadonlySet<T>) => void
  #timer: NodeJS.Timeout | undefined

  constructor(intervalMs: number, tick: (entries: ReadonlySet<T>) => void) {
    this.#intervalMs = intervalMs
    this.#tick = tick
  }

  /** Watches `entry` until the returned function is called (or forget() is). */
  add(entry: T): () => void {
    this.#entries.add(entry)
    this.#timer ??= setInterval(() => this.#tick(this.#entries), this.#intervalMs).unref()
    return () => this.forget(entry)
  }

  forget(entry: T): void {
    this.#entries.delete(entry)
    if (this.#entries.size === 0 && this.#timer) {
      clearInterval(this.#timer)
      this.#timer = undefined
    }
  }
}
