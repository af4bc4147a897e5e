/**
 * Collects what a child process prints and waits, with a deadline, for a pattern to appear after a mark: how
 * tests (and the bench) wait for a command's output without sleeping.
 */
export class OutputWaiter {
  #text = ''
  #raw = ''
  readonly #waiters = new Set<() => void>()

  /** Everything seen so far, escape sequences removed (a pseudo-terminal adds colour and cursor moves). */
  get text(): string {
    return this.#text
  }

  /** A mark: wait for output printed after this point. */
  get mark(): number {
    return this.#text.length
  }

  /** Exactly what was printed, escape sequences and all. */
  get raw(): string {
    return this.#raw
  }

  push(chunk: string): void {
    this.#raw += chunk
    // eslint-disable-next-line no-control-regex
    this.#text += chunk.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001bc|\r/g, '')
    for (const waiter of this.#waiters) waiter()
  }

  /** Resolves with the match once `pattern` appears after `from`; rejects after `timeoutMs` with what was seen. */
  waitFor(pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.#text.slice(from))
        if (!match) return
        cleanup()
        resolve(match)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output after the mark:\n${this.#text.slice(from)}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      this.#waiters.add(check)
      check()
    })
  }
}
