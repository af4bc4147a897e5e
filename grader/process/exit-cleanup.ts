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
  process.on('exit', runSyncCleanups)
  let isInterrupted = false
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // `on`, not `once`: signal-exit (inside Testcontainers) re-raises a signal when it finds itself the only
    // listener left, which would kill the grader before the container is stopped. A second signal while
    // cleaning up changes nothing: the cleanups have their own deadline.
    process.on(signal, () => {
      if (isInterrupted) return
      isInterrupted = true
      void runAllCleanups().finally(() => process.exit(interruptExitCode ?? 128 + signalNumbers[signal]))
    })
  }
}

const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const

function runSyncCleanups(): void {
  for (const cleanup of syncCleanups) {
    try {
      cleanup()
    } catch {
      // Best effort: one failed kill must not stop the others.
    }
  }
  syncCleanups.clear()
}

/** For commands whose normal end is Ctrl-C (watch, broker). */
export function exitOnInterruptWith(code: number): void {
  interruptExitCode = code
}

export async function runAllCleanups(): Promise<void> {
  runSyncCleanups()
  const pending = [...asyncCleanups].map((cleanup) => cleanup().catch(() => {}))
  asyncCleanups.clear()
  await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
}

/** Registers a cleanup for exit; call the returned function once the resource is gone. */
export function onExit(cleanup: SyncCleanup): () => void {
  install()
  syncCleanups.add(cleanup)
  return () => syncCleanups.delete(cleanup)
}

export function onInterrupt(cleanup: AsyncCleanup): () => void {
  install()
  asyncCleanups.add(cleanup)
  return () => asyncCleanups.delete(cleanup)
}
