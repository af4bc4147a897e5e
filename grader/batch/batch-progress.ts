import { clearLine, cursorTo } from 'node:readline'

export interface StudentFinished {
  student: string
  points: number
  maxPoints: number
  /** Exercises that could not be graded. */
  errors: number
  /** Exercises whose stored result was reused. */
  reused: number
  graded: number
}

/**
 * What a batch says while it runs. On a terminal: one live line, redrawn in place with Node's TTY API
 * (students done / running / failed to grade, elapsed, ETA). Elsewhere (CI logs): one plain line per
 * finished student, nothing redrawn.
 */
export class BatchProgress {
  readonly #stream: NodeJS.WriteStream
  readonly #isLive: boolean
  readonly #total: number
  readonly #startedAt = performance.now()
  readonly #running = new Set<string>()
  #done = 0
  #failed = 0
  #timer: NodeJS.Timeout | undefined

  constructor(options: { stream: NodeJS.WriteStream; total: number; isLive?: boolean }) {
    this.#stream = options.stream
    this.#total = options.total
    this.#isLive = options.isLive ?? (options.stream.isTTY === true && process.env.CI !== 'true')
    if (this.#isLive) {
      this.#timer = setInterval(() => this.#draw(), 1000)
      this.#timer.unref()
    }
  }

  started(student: string): void {
    this.#running.add(student)
    this.#draw()
  }

  finished(event: StudentFinished): void {
    this.#running.delete(event.student)
    this.#done++
    if (event.errors > 0) this.#failed++
    const notes = [
      event.reused > 0 ? `${event.reused} unchanged, reused` : '',
      event.errors > 0 ? `${event.errors} not graded` : '',
    ].filter(Boolean)
    this.say(
      `[${this.#done}/${this.#total}] ${event.student}: ${event.points}/${event.maxPoints}${notes.length ? ` (${notes.join(', ')})` : ''}`,
      { isQuietLive: true },
    )
  }

  /** A line that stays. With `isQuietLive`, a live terminal shows it only through the counters. */
  say(line: string, options: { isQuietLive?: boolean } = {}): void {
    if (this.#isLive) {
      if (options.isQuietLive) {
        this.#draw()
        return
      }
      this.#clear()
      this.#stream.write(`${line}\n`)
      this.#draw()
    } else this.#stream.write(`${line}\n`)
  }

  stop(): void {
    clearInterval(this.#timer)
    if (this.#isLive) {
      this.#clear()
    }
  }

  #draw(): void {
    if (!this.#isLive) return
    const elapsedMs = performance.now() - this.#startedAt
    const etaMs = this.#done > 0 ? (elapsedMs / this.#done) * (this.#total - this.#done) : undefined
    const line = `${this.#done}/${this.#total} students done, ${this.#running.size} running, ${this.#failed} failed to grade, ${formatElapsed(elapsedMs)} elapsed${etaMs === undefined ? '' : `, ETA ${formatElapsed(etaMs)}`}`
    this.#clear()
    this.#stream.write(line.slice(0, Math.max(20, (this.#stream.columns || 120) - 1)))
  }

  #clear(): void {
    cursorTo(this.#stream, 0)
    clearLine(this.#stream, 0)
  }
}

/** Elapsed time and ETA in whole seconds and minutes (a check's own durations: formatDuration, time/deadline.ts). */
export function formatElapsed(ms: number): string {
  const seconds = Math.round(ms / 1000)
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
}
