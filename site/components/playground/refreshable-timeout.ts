/**
 * Node's `setTimeout` returns a Timeout object with `.refresh()`; a browser's returns a number. aedes restarts
 * each client's keepalive timer with `.refresh()` on every packet, so the in-page broker's build gives aedes
 * (and only aedes: see astro.config.mjs) these two functions instead of the browser's.
 */
export interface RefreshableTimeout {
  /** Starts the same timer again from now, with the same callback and delay. */
  refresh(): RefreshableTimeout
  hasRef(): boolean
  ref(): RefreshableTimeout
  unref(): RefreshableTimeout
  [Symbol.toPrimitive](): number
}

type Handle = ReturnType<typeof globalThis.setTimeout>

export function setTimeout<Args extends unknown[]>(
  callback: (...args: Args) => void,
  delayMs = 0,
  ...args: Args
): RefreshableTimeout {
  let handle: Handle = globalThis.setTimeout(callback, delayMs, ...args)
  const timeout: RefreshableTimeout & { handle(): Handle; cancel(): void } = {
    refresh() {
      globalThis.clearTimeout(handle)
      handle = globalThis.setTimeout(callback, delayMs, ...args)
      return timeout
    },
    hasRef: () => true,
    ref: () => timeout,
    unref: () => timeout,
    [Symbol.toPrimitive]: () => Number(handle),
    handle: () => handle,
    cancel: () => globalThis.clearTimeout(handle),
  }
  return timeout
}

export function clearTimeout(timeout: RefreshableTimeout | Handle | null | undefined): void {
  if (timeout && typeof timeout === 'object' && 'cancel' in timeout) (timeout as { cancel(): void }).cancel()
  else if (timeout !== null && timeout !== undefined) globalThis.clearTimeout(timeout as Handle)
}
