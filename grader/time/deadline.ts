/**
 * Waiting with a deadline. Nothing in the grader sleeps to synchronise: it waits for an event, and gives up when
 * an AbortSignal fires (a check's deadline, the program's exit, the whole run's deadline).
 */

/** The reason a wait was cut short: carried by AbortSignal.reason so the waiter can say why. */
export class DeadlineExceeded extends Error {
  readonly timeoutMs: number
  constructor(timeoutMs: number, what = 'the deadline') {
    super(`${what} of ${formatDuration(timeoutMs)} passed`)
    this.name = 'DeadlineExceeded'
    this.timeoutMs = timeoutMs
  }
}

/** A signal that aborts with a DeadlineExceeded after `timeoutMs`, optionally also when `parent` aborts. */
export function deadlineSignal(timeoutMs: number, parent?: AbortSignal, what?: string): AbortSignal {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded(timeoutMs, what)), timeoutMs)
  timer.unref()
  controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
  if (parent) {
    if (parent.aborted) controller.abort(parent.reason)
    else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true })
  }
  return controller.signal
}

/**
 * Resolves with the promise's value, or rejects with the signal's reason as soon as it aborts.
 * The promise itself is not cancelled: callers own any cleanup.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const seconds = ms / 1000
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`
}
