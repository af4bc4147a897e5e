import { lstatSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { PolledWatch } from './polled-watch.ts'

/**
 * The disk cap where no tmpfs can hold one (`--sandbox uid`: root in a container cannot mount): the grader adds up
 * what the workspace's uid has written — its workspace, and its files in the world-writable folders — five times
 * a second, and stops its program past the limit. RLIMIT_FSIZE already caps each file; this caps them together.
 * Polling is the mechanism, as for memory (memory-watchdog.ts): nothing else tells a folder's size as it grows.
 */
interface Watched {
  uid: number
  workspace: string
  limitBytes: number
  onOverLimit: () => void
}

/** A program that makes files faster than they can be counted is over the limit too. */
const maxEntries = 20_000
const sharedFolders = ['/tmp', '/var/tmp', '/dev/shm']
const watch = new PolledWatch<Watched>(200, tick)

export function watchDisk(uid: number, workspace: string, limitBytes: number, onOverLimit: () => void): () => void {
  return watch.add({ uid, workspace, limitBytes, onOverLimit })
}

function tick(watched: ReadonlySet<Watched>): void {
  const shared = sharedFolders.flatMap((folder) => {
    try {
      return readdirSync(folder).map((name) => path.join(folder, name))
    } catch {
      return []
    }
  })
  for (const entry of [...watched]) {
    const budget = { bytes: 0, entries: 0 }
    measure(entry.workspace, undefined, budget)
    for (const target of shared) measure(target, entry.uid, budget)
    if (budget.bytes > entry.limitBytes || budget.entries > maxEntries) {
      watch.forget(entry)
      entry.onOverLimit()
    }
  }
}

/** Adds up the size of `target` (a file, or a folder's files, never following links) owned by `uid` if given. */
function measure(target: string, uid: number | undefined, budget: { bytes: number; entries: number }): void {
  if (budget.entries > maxEntries) return
  let stat
  try {
    stat = lstatSync(target)
  } catch {
    return
  }
  if (uid !== undefined && stat.uid !== uid) return
  budget.entries++
  if (stat.isFile()) budget.bytes += stat.blocks * 512
  else if (stat.isDirectory()) {
    let names: string[]
    try {
      names = readdirSync(target)
    } catch {
      return
    }
    for (const name of names) measure(path.join(target, name), undefined, budget)
  }
}
