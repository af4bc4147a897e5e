import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type ExerciseResult, exerciseResultSchema } from '../report/result.ts'

/**
 * Graded submission × exercise results under `<out>/.cache/<hash>.json`, so that a batch that is run again (or
 * was interrupted) skips what has not changed. Only results that graded are stored: a grading error (a broker
 * that would not start, a grade that timed out) is tried again next time.
 */
export class ResultCache {
  readonly #dir: string

  constructor(outDir: string) {
    this.#dir = path.join(outDir, '.cache')
  }

  get(hash: string): ExerciseResult | undefined {
    try {
      return exerciseResultSchema.parse(JSON.parse(readFileSync(this.#file(hash), 'utf8')))
    } catch {
      // Absent, or unreadable (an older schema, a write cut short): grade again.
      return undefined
    }
  }

  set(hash: string, result: ExerciseResult): void {
    if (result.error) return
    mkdirSync(this.#dir, { recursive: true })
    // Written whole, then renamed: an interrupted batch never leaves half a result to be trusted.
    const temporary = `${this.#file(hash)}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(result))
    renameSync(temporary, this.#file(hash))
  }

  #file(hash: string): string {
    return path.join(this.#dir, `${hash}.json`)
  }
}
