import { ProgramStandby } from '../runner/program-standby.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'

/**
 * Keeps one program on standby (program-standby.ts) for `watch`'s next grade: started after each verdict,
 * while the student reads it and edits, and handed to the grade that fits it. One that no longer fits (the
 * watch moved on to another exercise) is replaced.
 */
export class StandbyKeeper implements AsyncDisposable {
  #standby: ProgramStandby | undefined
  readonly #onError: (error: unknown) => void

  constructor(options: { onError?: (error: unknown) => void } = {}) {
    this.#onError = options.onError ?? (() => {})
  }

  /** Makes sure a standby waits for the next grade of `entry` of `submissionDir`. */
  async prepare(submissionDir: string, entry: string, sandbox: Sandbox): Promise<void> {
    if (this.#standby?.fits(submissionDir, entry, sandbox)) return
    await this.drop()
    try {
      this.#standby = ProgramStandby.start(submissionDir, entry, sandbox)
    } catch (error) {
      // No standby: the next grade starts its program itself, a little later.
      this.#onError(error)
    }
  }

  /** The standby, if it fits this grade; it is the grade's from then on. gradeExercise's `standby` option. */
  take(submissionDir: string, entry: string, sandbox: Sandbox): ProgramStandby | undefined {
    const standby = this.#standby
    if (!standby?.fits(submissionDir, entry, sandbox)) return undefined
    this.#standby = undefined
    return standby
  }

  async drop(): Promise<void> {
    const standby = this.#standby
    this.#standby = undefined
    await standby?.[Symbol.asyncDispose]()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.drop()
  }
}
