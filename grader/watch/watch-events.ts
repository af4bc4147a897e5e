import { emitKeypressEvents } from 'node:readline'

/** What a watch waits for: a save, a key, or the end. */
export type WatchEvent = { kind: 'change'; file: string } | { kind: 'key'; key: string } | { kind: 'stop' }

/**
 * One queue for everything a watch reacts to, so the loop handles one thing at a time and nothing that happens
 * while it grades is lost. Keys come from the terminal in raw mode (one key, no Enter), or, when stdin is a
 * pipe, one character at a time as they arrive, so scripts and tests can drive a watch too.
 */
export class WatchEvents implements Disposable {
  readonly #queue: WatchEvent[] = []
  #wake: (() => void) | undefined
  readonly #stdin: NodeJS.ReadStream
  readonly #isRaw: boolean
  readonly #onKeypress = (text: string | undefined, key: { name?: string; ctrl?: boolean } | undefined) => {
    if (key?.ctrl && key.name === 'c') this.push({ kind: 'stop' })
    else if (key?.name === 'return' || key?.name === 'enter') this.push({ kind: 'key', key: 'enter' })
    else if (text && text.length === 1) this.push({ kind: 'key', key: text.toLowerCase() })
  }
  readonly #onData = (chunk: string) => {
    for (const character of chunk) if (character.trim()) this.push({ kind: 'key', key: character.toLowerCase() })
  }

  constructor(stdin: NodeJS.ReadStream = process.stdin) {
    this.#stdin = stdin
    this.#isRaw = stdin.isTTY === true
    if (this.#isRaw) {
      emitKeypressEvents(stdin)
      stdin.setRawMode(true)
      stdin.on('keypress', this.#onKeypress)
    } else {
      stdin.setEncoding('utf8').on('data', this.#onData)
    }
    stdin.resume()
  }

  /** Keys are single presses on a terminal; on a pipe the student types a letter and Enter. */
  get isTerminal(): boolean {
    return this.#isRaw
  }

  push(event: WatchEvent): void {
    // Saves pile up while a run grades: one regrade covers them all.
    if (event.kind === 'change' && this.#queue.some((queued) => queued.kind === 'change')) return
    this.#queue.push(event)
    this.#wake?.()
  }

  async next(): Promise<WatchEvent> {
    while (this.#queue.length === 0) await new Promise<void>((resolve) => (this.#wake = resolve))
    this.#wake = undefined
    return this.#queue.shift()!
  }

  /** Drops what piled up (keys pressed during a run are kept: the student meant them). */
  dropChanges(): void {
    for (let index = this.#queue.length - 1; index >= 0; index--)
      if (this.#queue[index].kind === 'change') this.#queue.splice(index, 1)
  }

  [Symbol.dispose](): void {
    if (this.#isRaw) {
      this.#stdin.off('keypress', this.#onKeypress)
      this.#stdin.setRawMode(false)
    } else this.#stdin.off('data', this.#onData)
    this.#stdin.pause()
  }
}
