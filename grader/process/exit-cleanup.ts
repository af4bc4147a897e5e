/**
 * Nothing the grader starts may outlive it: not a student's program, not a Mosquitto, not a container.
 * Synchronous cleanups (killing process groups) run on every exit, even process.exit() from deep inside;
 * asynchronous ones (stopping containers) run when the grader is interrupted with Ctrl-C or SIGTERM.
 */
type SyncCleanup = () => void
type AsyncCleanup = () => Promise<void>

const syncCleanups = new Set<SyncCleanup>()
const asyncCleanups = new Set<AsyncCleanup>()
let isInstalled = false
/** What the grader exits with when interrupted: 130 after Ctrl-C by convention; watch, which runs until Ctrl-C, says 0. */
let interruptExitCode: number | undefined

function install(): void {
  if (isInstalled) return
  isInstalled = true
  process.on('exit', () => runSyncCleanups())
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // `on`, not `once`: signal-exit (inside Testcontainers) re-raises a signal when it finds itself the only
    // listener left, which would kill the grader before the container is stopped. A second signal while
    // cleaning up changes nothing: the cleanups have their own deadline.
    process.on(signal, () => {
      if (interrupted) return
      // What was running fails as its resources go (a container's config folder, a socket): those errors are
      // the interrupt's doing, and must not end the grader before its containers are removed.
      process.on('uncaughtException', () => {})
      process.on('unhandledRejection', () => {})
      interrupted = runInterruptCleanups().finally(() => process.exit(interruptExitCode ?? 128 + signalNumbers[signal]))
    })
  }
}

/** Set once a signal arrived: the cleanups running, then the exit with the signal's code. */
let interrupted: Promise<void> | undefined

/**
 * After an interrupt the command may still finish on its own (its broker was just taken away): it must then
 * wait for the interrupt's own exit instead of exiting with a verdict of its own.
 */
export function whenInterrupted(): Promise<void> | undefined {
  return interrupted
}

const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const

function runSyncCleanups(which: (cleanup: SyncCleanup) => boolean = () => true): void {
  for (const cleanup of syncCleanups) {
    if (!which(cleanup)) continue
    syncCleanups.delete(cleanup)
    try {
      cleanup()
    } catch {
      // Best effort: one failed kill must not stop the others.
    }
  }
}

/** Cleanups that wait for the process's exit even when interrupted (removing folders still in use). */
const atExitOnly = new WeakSet<SyncCleanup>()

/** For commands whose normal end is Ctrl-C (watch, broker). */
export function exitOnInterruptWith(code: number): void {
  interruptExitCode = code
}

/**
 * On an interrupt: stop the programs first (synchronous kills), then what takes a round trip (containers).
 * Temporary folders go last, at exit: an operation still running may be reading them.
 */
async function runInterruptCleanups(): Promise<void> {
  runSyncCleanups((cleanup) => !atExitOnly.has(cleanup))
  await runAsyncCleanups()
}

export async function runAllCleanups(): Promise<void> {
  runSyncCleanups()
  await runAsyncCleanups()
}

async function runAsyncCleanups(): Promise<void> {
  const pending = [...asyncCleanups].map((cleanup) => cleanup().catch(() => {}))
  asyncCleanups.clear()
  await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
}

/**
 * Registers a cleanup for exit; call the returned function once the resource is gone. `atExitOnly`: not when
 * an interrupt starts, only at the exit itself (after containers are stopped).
 */
export function onExit(cleanup: SyncCleanup, options: { atExitOnly?: boolean } = {}): () => void {
  install()
  if (options.atExitOnly) atExitOnly.add(cleanup)
  syncCleanups.add(cleanup)
  return () => syncCleanups.delete(cleanup)
}

export function onInterrupt(cleanup: AsyncCleanup): () => void {
  install()
  asyncCleanups.add(cleanup)
  return () => asyncCleanups.delete(cleanup)
}
