import { mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { onExit } from './exit-cleanup.ts'

/**
 * A folder in the system's temporary folder that goes away when disposed, and on every exit of the grader, a
 * signal included: a generated mosquitto.conf, a private key or a student's copied files never outlive a run.
 */
export class TemporaryFolder implements Disposable, AsyncDisposable {
  readonly path: string
  readonly #forget: () => void

  /** `parent`: where to make it, when not in the system's temporary folder. */
  constructor(prefix: string, parent = os.tmpdir()) {
    this.path = mkdtempSync(path.join(parent, prefix))
    this.#forget = onExit(() => removeFolder(this.path), { atExitOnly: true })
  }

  remove(): void {
    this.#forget()
    removeFolder(this.path)
  }

  [Symbol.dispose](): void {
    this.remove()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.remove()
  }
}

/**
 * The system's temporary folder if every uid can enter it, else /tmp: what a program dropped to a uid of its own
 * must reach (its workspace, ca.crt, the seccomp filter) cannot sit in a private TMPDIR.
 */
export function enterableTemporaryDir(): string {
  for (let dir = realpathSync(os.tmpdir()); ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return '/tmp'
    if (path.dirname(dir) === dir) return os.tmpdir()
  }
}

function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true, maxRetries: 2 })
}
