import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { onExit } from '../process/exit-cleanup.ts'

/**
 * A cgroup of its own for one program and everything it starts: a memory cap and a cap on processes that the
 * program cannot raise (the cgroup's files belong to the grader, and no sandboxed program runs as the grader or
 * sees /sys). cgroup v2 (memory.max, pids.max) where the grader's own cgroup may hand the controllers down;
 * otherwise the v1 hierarchies that are writable (as root in many CI machines). What cannot be made here is said
 * once as a note, and the memory watchdog (memory-watchdog.ts) stands in for a memory cgroup.
 */
export interface ProgramCgroup {
  /** The cgroup folders the program joins (one on v2; one per controller on v1). */
  readonly dirs: readonly string[]
  /** Whether the kernel killed a process of this cgroup for going over the memory limit. */
  wasOomKilled(): boolean
  /** Removes the cgroups once their processes are gone (idempotent). */
  remove(): void
}

export interface CgroupLimits {
  memoryBytes: number
  processes: number
}

type Controller = 'memory' | 'pids'
type Hierarchy = { version: 2 | 1; parent: string; controllers: Controller[] }

let hierarchies: Hierarchy[] | undefined
let counter = 0

/** Which caps a cgroup gives here: memory, processes, both or neither. */
export function cgroupSupport(): { memory: boolean; pids: boolean } {
  const found = findHierarchies()
  const has = (controller: Controller) => found.some((hierarchy) => hierarchy.controllers.includes(controller))
  return { memory: has('memory'), pids: has('pids') }
}

/** New cgroups with the limits set, or undefined where none can be made. */
export function createProgramCgroup(limits: CgroupLimits): ProgramCgroup | undefined {
  const found = findHierarchies()
  if (found.length === 0) return undefined
  const name = `mqtt-course-${process.pid}-${++counter}`
  const made: { dir: string; hierarchy: Hierarchy }[] = []
  try {
    for (const hierarchy of found) {
      const dir = path.join(hierarchy.parent, name)
      mkdirSync(dir)
      made.push({ dir, hierarchy })
      writeLimits(dir, hierarchy, limits)
    }
  } catch {
    for (const { dir } of made) tryRemove(dir)
    return undefined
  }
  let isRemoved = false
  const removeAll = () => {
    for (const { dir } of made) tryRemove(dir)
  }
  const forget = onExit(removeAll)
  const memory = made.find(({ hierarchy }) => hierarchy.controllers.includes('memory'))
  return {
    dirs: made.map(({ dir }) => dir),
    wasOomKilled() {
      if (!memory) return false
      try {
        const events = readFileSync(
          path.join(memory.dir, memory.hierarchy.version === 2 ? 'memory.events' : 'memory.oom_control'),
          'utf8',
        )
        return Number(/\boom_kill (\d+)/.exec(events)?.[1] ?? 0) > 0
      } catch {
        return false
      }
    },
    remove() {
      if (isRemoved) return
      isRemoved = true
      forget()
      removeAll()
    },
  }
}

function writeLimits(dir: string, hierarchy: Hierarchy, limits: CgroupLimits): void {
  for (const controller of hierarchy.controllers) {
    if (controller === 'pids') writeFileSync(path.join(dir, 'pids.max'), String(limits.processes))
    else if (hierarchy.version === 2) {
      writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes))
      // No swap either: a program over its limit is stopped, not paged out for minutes.
      if (existsSync(path.join(dir, 'memory.swap.max'))) writeFileSync(path.join(dir, 'memory.swap.max'), '0')
    } else {
      writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes))
      // v1 counts swap separately: cap memory+swap too, where the kernel accounts for it.
      if (existsSync(path.join(dir, 'memory.memsw.limit_in_bytes')))
        writeFileSync(path.join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes))
    }
  }
}

function tryRemove(dir: string): void {
  try {
    rmdirSync(dir)
  } catch {
    // Still busy or already gone: the kernel frees an empty cgroup's memory anyway.
  }
}

function findHierarchies(): Hierarchy[] {
  if (hierarchies) return hierarchies
  if (process.platform !== 'linux') return (hierarchies = [])
  const v2 = tryVersion2()
  const wanted: Controller[] = ['memory', 'pids']
  const missing = wanted.filter((controller) => !v2?.controllers.includes(controller))
  const v1 = missing.flatMap((controller) => tryVersion1(controller) ?? [])
  return (hierarchies = [...(v2 && v2.controllers.length > 0 ? [v2] : []), ...v1])
}

/** cgroup v2: children of the grader's own cgroup, with the controllers it may hand down. */
function tryVersion2(): Hierarchy | undefined {
  try {
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1]
    if (own === undefined) return undefined
    const parent = path.join(
      existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified',
      own,
    )
    const delegated = readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8').split(/\s+/)
    const controllers = (['memory', 'pids'] as const).filter((controller) => delegated.includes(controller))
    return probe({ version: 2, parent, controllers: [...controllers] })
  } catch {
    return undefined
  }
}

/** cgroup v1: the controller's own hierarchy, writable only as root. */
function tryVersion1(controller: Controller): Hierarchy | undefined {
  const parent = path.join('/sys/fs/cgroup', controller)
  const limitFile = controller === 'memory' ? 'memory.limit_in_bytes' : 'pids.max'
  if (!existsSync(path.join(parent, controller === 'memory' ? limitFile : 'cgroup.procs'))) return undefined
  return probe({ version: 1, parent, controllers: [controller] })
}

/** Makes and removes a cgroup once: a hierarchy we cannot write to is no hierarchy. */
function probe(candidate: Hierarchy): Hierarchy | undefined {
  if (candidate.controllers.length === 0) return undefined
  const dir = path.join(candidate.parent, `mqtt-course-probe-${process.pid}`)
  try {
    mkdirSync(dir)
    writeLimits(dir, candidate, { memoryBytes: 64 * 1024 * 1024, processes: 64 })
    return candidate
  } catch {
    return undefined
  } finally {
    tryRemove(dir)
  }
}
