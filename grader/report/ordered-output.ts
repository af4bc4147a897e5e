/**
 * Exercises graded at once, printed one after the other: the first unfinished exercise (in course order)
 * writes through as it goes, so a student sees live progress; the others are held until every exercise before
 * them has finished, then printed whole. The output reads as if they had been graded one by one.
 */
export class OrderedOutput {
  readonly #write: (text: string) => void
  readonly #order: readonly string[]
  readonly #held = new Map<string, string[]>()
  readonly #finished = new Set<string>()
  #head = 0

  constructor(order: readonly string[], write: (text: string) => void) {
    this.#order = order
    this.#write = write
  }

  /** A writer for one exercise's block. */
  writerFor(id: string): (text: string) => void {
    return (text) => {
      if (this.#order[this.#head] === id) this.#write(text)
      else this.#held.set(id, [...(this.#held.get(id) ?? []), text])
    }
  }

  /** The exercise's block is complete: print whatever may now be printed. */
  finish(id: string): void {
    this.#finished.add(id)
    while (this.#head < this.#order.length && this.#finished.has(this.#order[this.#head])) {
      this.#head++
      const next = this.#order[this.#head]
      if (next === undefined) break
      for (const text of this.#held.get(next) ?? []) this.#write(text)
      this.#held.delete(next)
    }
  }
}
