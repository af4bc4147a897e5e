/**
 * Keeps the end of a stream of text, never more than `capBytes`: a program that prints forever costs the grader
 * a fixed amount of memory, and the report shows the part that matters, the end.
 */
export class OutputCapture {
  readonly #capBytes: number
  #chunks: string[] = []
  #size = 0
  #droppedBytes = 0
  #listeners = new Set<(text: string) => void>()

  constructor(capBytes = 64 * 1024) {
    this.#capBytes = capBytes
  }

  write(text: string): void {
    this.#chunks.push(text)
    this.#size += text.length
    while (this.#size > this.#capBytes) {
      const excess = this.#size - this.#capBytes
      const first = this.#chunks[0]
      if (first.length <= excess) this.#chunks.shift()
      else this.#chunks[0] = first.slice(excess)
      const dropped = Math.min(first.length, excess)
      this.#size -= dropped
      this.#droppedBytes += dropped
    }
    for (const listener of this.#listeners) listener(text)
  }

  get text(): string {
    return this.#chunks.join('')
  }

  get droppedBytes(): number {
    return this.#droppedBytes
  }

  /** The last `maxLines` lines, with a note when earlier output was cut. */
  tail(maxLines = 20): string {
    const lines = this.text.replace(/\n$/, '').split('\n')
    if (lines.length === 1 && lines[0] === '') return ''
    const shown = lines.slice(-maxLines)
    const hidden = lines.length - shown.length
    // After a cut the first line is usually a fragment: say so rather than show half a line as if whole.
    const note =
      hidden > 0
        ? `(${hidden} earlier lines not shown)\n`
        : this.#droppedBytes > 0
          ? '(earlier output not shown)\n'
          : ''
    return note + shown.join('\n')
  }

  /** Calls `listener` for every later write until the returned function is called. */
  subscribe(listener: (text: string) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
