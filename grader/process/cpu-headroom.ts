import os from 'node:os'

/** How often a waiting grade looks at the cores, and how much idle time lets one more start. */
const tickMs = 100
const defaultMinIdleShare = 0.25

/**
 * Lets grades start while the machine's cores have room: `minimum` at once always, more (up to `maximum`) one
 * per tick and only while the cores were idle for at least `minIdleShare` of the last tick. Used by `batch` and
 * `grade --all`.
 *
 * Why not a fixed number: a grade's first second (a type check, Node and MQTT.js starting in the sandbox) is
 * its busiest, and a program starved of CPU there could miss a check's window, which would change its verdict.
 * Past that, a grade mostly waits (for the broker, a reconnect, a window in which nothing may arrive), so the
 * cores can carry many more than one each. Idle time is read from the kernel's per-core counters (os.cpus():
 * the same on Linux, macOS and Windows), so other work on the machine leaves less room, as it should.
 */
export class CpuHeadroomGate {
  readonly #minimum: number
  readonly #maximum: number
  readonly #minIdleShare: number
  readonly #waiting: Array<() => void> = []
  #active = 0
  #previous = cpuTimes()
  #ticker: NodeJS.Timeout | undefined
  #isClosed = false

  constructor(options: { minimum: number; maximum: number; minIdleShare?: number }) {
    this.#minimum = Math.max(1, options.minimum)
    this.#maximum = Math.max(this.#minimum, options.maximum)
    this.#minIdleShare = options.minIdleShare ?? defaultMinIdleShare
  }

  get active(): number {
    return this.#active
  }

  /** Resolves when this grade may start; call leave() when it is done. */
  enter(): Promise<void> {
    if (this.#isClosed) {
      this.#active++
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.#waiting.push(resolve)
      this.#admit(false)
    })
  }

  leave(): void {
    this.#active--
    this.#admit(false)
  }

  /** Lets everyone in at once, from now on: after an interrupt, whoever waits must learn it and give up. */
  close(): void {
    this.#isClosed = true
    for (const resolve of this.#waiting.splice(0)) {
      this.#active++
      resolve()
    }
    this.#stopTicking()
  }

  #admit(isTick: boolean): void {
    let mayAddOne = isTick && this.#idleShare() >= this.#minIdleShare
    while (this.#waiting.length > 0 && this.#active < this.#maximum) {
      if (this.#active >= this.#minimum) {
        if (!mayAddOne) break
        mayAddOne = false
      }
      this.#active++
      this.#waiting.shift()!()
    }
    if (this.#waiting.length === 0 || this.#active >= this.#maximum) this.#stopTicking()
    else if (!this.#ticker) {
      this.#previous = cpuTimes()
      this.#ticker = setInterval(() => this.#admit(true), tickMs)
    }
  }

  #stopTicking(): void {
    clearInterval(this.#ticker)
    this.#ticker = undefined
  }

  /** The share of the cores that were idle since the last look. */
  #idleShare(): number {
    const now = cpuTimes()
    const total = now.total - this.#previous.total
    const idle = now.idle - this.#previous.idle
    this.#previous = now
    return total > 0 ? idle / total : 0
  }
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0
  let total = 0
  for (const cpu of os.cpus()) {
    const { user, nice, sys, idle: idleMs, irq } = cpu.times
    idle += idleMs
    total += user + nice + sys + idleMs + irq
  }
  return { idle, total }
}
