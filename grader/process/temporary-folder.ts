import { mkdtempSync, rmSync } from 'node:fs'
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

  constructor(prefix: string) {
    this.path = mkdtempSync(path.join(os.tmpdir(), prefix))
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

function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true, maxRetries: 2 })
}
