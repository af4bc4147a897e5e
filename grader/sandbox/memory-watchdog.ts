import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs'
import { PolledWatch } from './polled-watch.ts'

/**
 * The memory cap where no cgroup can hold one (a plain user on cgroup v1, a container whose cgroups are read-only):
 * the grader itself adds up the resident memory of each program's processes, five times a second, and kills the
 * program that goes over its limit. Coarser than a cgroup (a fast allocator can overshoot by what it allocates in
 * 0.2 s), but the program cannot raise it: the limit lives in the grader.
 *
 * A program's processes are found by what they cannot leave: its uid (a workspace's own uid, when the grader is
 * root) or its PID namespace (bubblewrap's, as a plain user). Polling is the mechanism here, not a way to wait
 * for an event: nothing else reports a process's memory as it grows.
 */
export type ProgramMembers = { kind: 'uid'; uid: number } | { kind: 'pid-namespace'; ofPid: number }

interface Watched {
  members: ProgramMembers
  namespace: string | undefined
  limitBytes: number
  onOverLimit: () => void
}

const pageBytes = 4096
const watch = new PolledWatch<Watched>(200, tick)

/** Watches a program's processes until the returned function is called; `onOverLimit` is called at most once. */
export function watchMemory(members: ProgramMembers, limitBytes: number, onOverLimit: () => void): () => void {
  return watch.add({
    members,
    namespace: members.kind === 'pid-namespace' ? pidNamespaceOf(members.ofPid) : undefined,
    limitBytes,
    onOverLimit,
  })
}

function tick(watched: ReadonlySet<Watched>): void {
  const totals = new Map<Watched, number>()
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return
  }
  const byUid = new Map<number, Watched[]>()
  const byNamespace = new Map<string, Watched[]>()
  for (const entry of watched) {
    if (entry.members.kind === 'uid') byUid.set(entry.members.uid, [...(byUid.get(entry.members.uid) ?? []), entry])
    else if (entry.namespace) byNamespace.set(entry.namespace, [...(byNamespace.get(entry.namespace) ?? []), entry])
  }
  for (const pid of pids) {
    try {
      let owners = byUid.size > 0 ? byUid.get(statSync(`/proc/${pid}`).uid) : undefined
      if (!owners && byNamespace.size > 0) owners = byNamespace.get(readlinkSync(`/proc/${pid}/ns/pid`))
      if (!owners) continue
      const resident = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * pageBytes
      for (const owner of owners) totals.set(owner, (totals.get(owner) ?? 0) + resident)
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  for (const [entry, bytes] of totals) {
    if (bytes <= entry.limitBytes) continue
    watch.forget(entry)
    entry.onOverLimit()
  }
}

function pidNamespaceOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`)
  } catch {
    return undefined
  }
}
