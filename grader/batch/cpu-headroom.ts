import os from 'node:os'

/**
 * How busy the machine's cores were over the last sample period, from the kernel's own per-core counters
 * (os.cpus(): the same on Linux, macOS and Windows). The batch starts another grade only while there is room:
 * a grade's first second (a type check, Node and MQTT.js starting in the sandbox) is its busiest, and a program
 * starved of CPU there could miss a check's window, which would change its verdict. Past that, a grade mostly
 * waits, so the number at once is set by this headroom, not by a guess.
 */
export class CpuHeadroom {
  #previous = totals()
  #idleShare = 1

  /** Takes a sample: the share of the cores that were idle since the last one. */
  sample(): number {
    const now = totals()
    const total = now.total - this.#previous.total
    const idle = now.idle - this.#previous.idle
    this.#previous = now
    // No time passed (two samples in one tick): keep the last reading.
    if (total > 0) this.#idleShare = idle / total
    return this.#idleShare
  }

  get idleShare(): number {
    return this.#idleShare
  }
}

function totals(): { idle: number; total: number } {
  let idle = 0
  let total = 0
  for (const cpu of os.cpus()) {
    const { user, nice, sys, idle: idleMs, irq } = cpu.times
    idle += idleMs
    total += user + nice + sys + idleMs + irq
  }
  return { idle, total }
}
