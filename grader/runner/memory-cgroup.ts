import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { onExit } from '../process/exit-cleanup.ts'

/**
 * A memory cap for one program and everything it starts: a cgroup of its own. cgroup v2 (memory.max) where the
 * grader's own cgroup lets it make children with the memory controller; otherwise the v1 memory hierarchy when
 * it is writable (as root in many CI containers). Where neither can be written, there is no cap, and the
 * sandbox says so.
 */
export interface MemoryCgroup {
  /** The cgroup's folder: a process joins by writing its pid to cgroup.procs. */
  readonly dir: string
  /** Whether the kernel killed a process of this cgroup for going over the limit. */
  wasOomKilled(): boolean
  /** Removes the cgroup once its processes are gone (idempotent). */
  remove(): void
}

type Hierarchy = { version: 2 | 1; parent: string; limitFile: string }
type Support = { isSupported: true } | { isSupported: false; reason: string }

let hierarchy: Hierarchy | undefined | null
let counter = 0

export function memoryCgroupSupport(): Support {
  const found = findHierarchy()
  return found ? { isSupported: true } : { isSupported: false, reason: 'no writable cgroup with the memory controller (cgroup v2 delegation, or v1 as root)' }
}

/** A new cgroup capped at `limitBytes`, or undefined where none can be made. */
export function createMemoryCgroup(limitBytes: number): MemoryCgroup | undefined {
  const found = findHierarchy()
  if (!found) return undefined
  const dir = path.join(found.parent, `mqtt-course-${process.pid}-${++counter}`)
  try {
    mkdirSync(dir)
    writeFileSync(path.join(dir, found.limitFile), String(limitBytes))
    // v1 counts swap separately: cap memory+swap too, where the kernel accounts for it.
    if (found.version === 1 && existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes))
  } catch {
    tryRemove(dir)
    return undefined
  }
  let isRemoved = false
  const forget = onExit(() => tryRemove(dir))
  return {
    dir,
    wasOomKilled() {
      try {
        const events = readFileSync(path.join(dir, found.version === 2 ? 'memory.events' : 'memory.oom_control'), 'utf8')
        return Number(/\boom_kill (\d+)/.exec(events)?.[1] ?? 0) > 0
      } catch {
        return false
      }
    },
    remove() {
      if (isRemoved) return
      isRemoved = true
      forget()
      tryRemove(dir)
    },
  }
}

function tryRemove(dir: string): void {
  try {
    rmdirSync(dir)
  } catch {
    // Still busy or already gone: the kernel frees an empty cgroup's memory anyway.
  }
}

function findHierarchy(): Hierarchy | undefined {
  if (hierarchy !== undefined) return hierarchy ?? undefined
  hierarchy = process.platform === 'linux' ? (tryVersion2() ?? tryVersion1() ?? null) : null
  return hierarchy ?? undefined
}

/** cgroup v2: a child of the grader's own cgroup, if memory is among the controllers it may hand down. */
function tryVersion2(): Hierarchy | undefined {
  try {
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1]
    if (own === undefined) return undefined
    const parent = path.join('/sys/fs/cgroup', own)
    if (!readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory')) return undefined
    return probe({ version: 2, parent, limitFile: 'memory.max' })
  } catch {
    return undefined
  }
}

/** cgroup v1: the memory hierarchy, writable only as root. */
function tryVersion1(): Hierarchy | undefined {
  const parent = '/sys/fs/cgroup/memory'
  if (!existsSync(path.join(parent, 'memory.limit_in_bytes'))) return undefined
  return probe({ version: 1, parent, limitFile: 'memory.limit_in_bytes' })
}

/** Makes and removes a cgroup once: a hierarchy we cannot write to is no hierarchy. */
function probe(candidate: Hierarchy): Hierarchy | undefined {
  const dir = path.join(candidate.parent, `mqtt-course-probe-${process.pid}`)
  try {
    mkdirSync(dir)
    writeFileSync(path.join(dir, candidate.limitFile), String(programMemoryProbeBytes))
    return candidate
  } catch {
    return undefined
  } finally {
    tryRemove(dir)
  }
}

const programMemoryProbeBytes = 64 * 1024 * 1024
