import { mkdtempSync, realpathSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { onExit } from './exit-cleanup.ts'
import { type ProcessOwner, ownerFromTag, ownerTag, ownerTagPattern, thisProcess } from './process-owner.ts'
import { removeTree } from './remove-tree.ts'

/**
 * A folder in the system's temporary folder that goes away when disposed, and on every exit of the grader, a
 * signal included: a generated mosquitto.conf, a private key or a student's copied files never outlive a run.
 *
 * Its name says whose it is (`mqtt-course-run-pid4242-start1234567-ns4026531836-a1B2c3`): after a `kill -9`,
 * which no exit handler sees, the next grader to start finds the folders whose owner is gone and removes them
 * (leftover-sweep.ts).
 */
export class TemporaryFolder implements Disposable, AsyncDisposable {
  readonly path: string
  readonly #forget: () => void

  /** `prefix`: the course's own, `mqtt-course-<what>-`; `parent`: where, when not the system's temporary folder. */
  constructor(prefix: string, parent = os.tmpdir()) {
    this.path = createOwnedFolder(prefix, parent)
    this.#forget = onExit(() => removeTree(this.path), { atExitOnly: true })
  }

  remove(): void {
    this.#forget()
    removeTree(this.path)
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

/**
 * A new folder in the temporary folder, named for this process as a TemporaryFolder is, that nothing removes
 * but its creator or, once this process is gone, the next grader's sweep (a container's marker).
 */
export function createOwnedFolder(prefix: string, parent = os.tmpdir()): string {
  return mkdtempSync(path.join(parent, `${prefix}${ownerTag(thisProcess())}-`))
}

/** What a temporary folder's name says: what it is for (`run`, `mosquitto`, `tls`, ...) and whose it is. */
export interface TemporaryFolderName {
  purpose: string
  owner: ProcessOwner
}

const namePattern = new RegExp(`^mqtt-course-([a-z]+(?:-[a-z]+)*)-${ownerTagPattern.source}-[A-Za-z0-9]{6}$`)

/** The purpose and owner of a folder named by TemporaryFolder; undefined for any other name. */
export function parseTemporaryFolderName(name: string): TemporaryFolderName | undefined {
  const match = namePattern.exec(name)
  if (!match) return undefined
  const owner = ownerFromTag(name.slice(`mqtt-course-${match[1]}-`.length, -'-a1B2c3'.length))
  return owner ? { purpose: match[1], owner } : undefined
}
