import { readdirSync, readFileSync } from 'node:fs'

export interface TreeMemory {
  /** Each process's resident memory, added up: pages shared between processes (Node's own code) count once per process. */
  rssBytes: number
  /**
   * Proportional set size, added up: a shared page counts once across the tree (split between its users), so
   * this is what the tree costs the machine. The figure the memory target is about.
   */
  pssBytes: number
}

/**
 * Memory of a process and all its descendants (Linux /proc), in bytes: what a batch costs the machine, its
 * grading processes, student programs and brokers included.
 */
export function processTreeMemory(rootPid: number): TreeMemory {
  const children = new Map<number, number[]>()
  const rss = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // Fields after the command (which may hold spaces and parentheses): state, ppid, ...; rss is field 24.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pid = Number(name)
      const ppid = Number(fields[1])
      rss.set(pid, Number(fields[21]) * 4096)
      children.set(ppid, [...(children.get(ppid) ?? []), pid])
    } catch {
      // Gone while we looked.
    }
  }
  const memory: TreeMemory = { rssBytes: 0, pssBytes: 0 }
  const pending = [rootPid]
  while (pending.length > 0) {
    const pid = pending.pop()!
    memory.rssBytes += rss.get(pid) ?? 0
    memory.pssBytes += pssBytes(pid) ?? rss.get(pid) ?? 0
    pending.push(...(children.get(pid) ?? []))
  }
  return memory
}

/** From /proc/<pid>/smaps_rollup (Linux 4.14+); undefined when it cannot be read (gone, or an older kernel). */
function pssBytes(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** Samples a process tree's memory every intervalMs until stopped; returns the peaks seen. */
export function samplePeakMemory(rootPid: number, intervalMs = 1000): { stop: () => TreeMemory } {
  const peak = processTreeMemory(rootPid)
  const timer = setInterval(() => {
    const now = processTreeMemory(rootPid)
    peak.rssBytes = Math.max(peak.rssBytes, now.rssBytes)
    peak.pssBytes = Math.max(peak.pssBytes, now.pssBytes)
  }, intervalMs)
  return {
    stop: () => {
      clearInterval(timer)
      return peak
    },
  }
}
