import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs'
import path from 'node:path'

/**
 * CPU time of a command and everything it ever starts, finished or not, from a cgroup of its own: what
 * getrusage cannot tell (a process that was never waited for by its parent is not counted there). cgroup v1's
 * cpuacct hierarchy (as root), or a child of this process's own v2 cgroup where that is writable; elsewhere,
 * no figure.
 */
export interface CpuAccount {
  /** Prefix for spawn: `sh -c 'echo $$ > <cgroup.procs>; exec "$@"' sh <command> <args...>`. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] }
  /** CPU seconds used so far by everything that ran in it. */
  seconds(): number
  remove(): void
}

export function createCpuAccount(name: string): CpuAccount | undefined {
  const candidates: Array<{ dir: string; read: (dir: string) => number }> = []
  const v1 = '/sys/fs/cgroup/cpuacct'
  if (existsSync(path.join(v1, 'cpuacct.usage')))
    candidates.push({
      dir: path.join(v1, name),
      read: (dir) => Number(readFileSync(path.join(dir, 'cpuacct.usage'), 'utf8')) / 1e9,
    })
  const own = /^0::(.*)$/m.exec(safeRead('/proc/self/cgroup'))?.[1]
  if (own !== undefined) {
    candidates.push({
      dir: path.join('/sys/fs/cgroup', own, name),
      read: (dir) =>
        Number(/^usage_usec (\d+)/m.exec(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'))?.[1] ?? Number.NaN) / 1e6,
    })
  }
  for (const candidate of candidates) {
    try {
      mkdirSync(candidate.dir)
      candidate.read(candidate.dir)
    } catch {
      continue
    }
    return {
      wrap: (command, args) => ({
        command: '/bin/sh',
        args: ['-c', `echo $$ > '${candidate.dir}/cgroup.procs' && exec "$@"`, 'sh', command, ...args],
      }),
      seconds: () => candidate.read(candidate.dir),
      remove: () => {
        try {
          rmdirSync(candidate.dir)
        } catch {
          // Still in use or gone: a cgroup left behind holds nothing.
        }
      },
    }
  }
  return undefined
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}
