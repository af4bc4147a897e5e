import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type ExerciseResult, exerciseResultSchema } from '../report/result.ts'

/**
 * Graded submission × exercise results under `<out>/.cache/<hash>.json`, so that a batch that is run again (or
 * was interrupted) skips what has not changed. Only results that graded are stored: a grading error (a broker
 * that would not start, a grade that timed out) is tried again next time.
 *
 * A stored result is trusted only if it carries the HMAC of its key and content under the cache's own secret
 * (`<out>/.cache/secret`, readable by its owner alone, in a folder no sandboxed program can see): a result
 * written by anyone else — a program that reached the folder, a hand edit — does not verify, and is graded
 * again (`rejected` counts them).
 */
export class ResultCache {
  readonly #dir: string
  #secret: Buffer | undefined
  #rejected = 0

  constructor(outDir: string) {
    this.#dir = path.join(outDir, '.cache')
  }

  /** Stored results that failed verification (and were graded again). */
  get rejected(): number {
    return this.#rejected
  }

  get(hash: string): ExerciseResult | undefined {
    let stored: { result: unknown; mac: string }
    try {
      stored = JSON.parse(readFileSync(this.#file(hash), 'utf8')) as { result: unknown; mac: string }
    } catch {
      // Absent, or unreadable (a write cut short): grade again.
      return undefined
    }
    const text = JSON.stringify(stored.result)
    if (typeof stored.mac !== 'string' || !this.#verifies(hash, text, stored.mac)) {
      this.#rejected++
      return undefined
    }
    const parsed = exerciseResultSchema.safeParse(stored.result)
    return parsed.success ? parsed.data : undefined
  }

  set(hash: string, result: ExerciseResult): void {
    if (result.error) return
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
    const text = JSON.stringify(result)
    // Written whole, then renamed: an interrupted batch never leaves half a result to be trusted.
    const temporary = `${this.#file(hash)}.${process.pid}.tmp`
    writeFileSync(temporary, `{"result":${text},"mac":"${this.#mac(hash, text)}"}`)
    renameSync(temporary, this.#file(hash))
  }

  /** Takes in another cache's results (a shard's, at merge): each verified with its own secret, signed with ours. */
  adopt(other: ResultCache): number {
    let adopted = 0
    for (const name of existsSync(other.#dir) ? readdirSync(other.#dir) : []) {
      const hash = /^([0-9a-f]{64})\.json$/.exec(name)?.[1]
      const result = hash ? other.get(hash) : undefined
      if (!hash || !result) continue
      this.set(hash, result)
      adopted++
    }
    return adopted
  }

  #verifies(hash: string, text: string, mac: string): boolean {
    const expected = Buffer.from(this.#mac(hash, text), 'hex')
    const given = Buffer.from(mac, 'hex')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  #mac(hash: string, text: string): string {
    return createHmac('sha256', this.#key()).update(hash).update('\n').update(text).digest('hex')
  }

  /** The cache's secret, made on first use: 32 random bytes no program and no other user can read. */
  #key(): Buffer {
    if (this.#secret) return this.#secret
    const file = path.join(this.#dir, 'secret')
    try {
      this.#secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex')
      if (this.#secret.length >= 32) return this.#secret
    } catch {
      // None yet.
    }
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
    chmodSync(this.#dir, 0o700)
    this.#secret = randomBytes(32)
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, this.#secret.toString('hex'), { mode: 0o600 })
    renameSync(temporary, file)
    return this.#secret
  }

  #file(hash: string): string {
    return path.join(this.#dir, `${hash}.json`)
  }
}
