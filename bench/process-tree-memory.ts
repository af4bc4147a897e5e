import { readdirSync, readFileSync } from 'node:fs'

/**
 * Resident memory of a process and all its descendants (Linux /proc), in bytes: what a batch costs the
 * machine, its grade processes, student programs and brokers included.
 */
export function processTreeRssBytes(rootPid: number): number {
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
  let total = 0
  const pending = [rootPid]
  while (pending.length > 0) {
    const pid = pending.pop()!
    total += rss.get(pid) ?? 0
    pending.push(...(children.get(pid) ?? []))
  }
  return total
}

/** Samples a process tree's memory every intervalMs until stopped; returns the peak seen. */
export function samplePeakMemory(rootPid: number, intervalMs = 250): { stop: () => number } {
  let peak = processTreeRssBytes(rootPid)
  const timer = setInterval(() => {
    peak = Math.max(peak, processTreeRssBytes(rootPid))
  }, intervalMs)
  return {
    stop: () => {
      clearInterval(timer)
      return peak
    },
  }
}
