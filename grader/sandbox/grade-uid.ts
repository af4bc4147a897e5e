import { spawn } from 'node:child_process'
import { lstatSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { studentCompileCacheDir } from '../course/compile-cache.ts'

/**
 * When the grader runs as root, every workspace (one grade's copy of a submission, and every program run in it)
 * gets a uid and gid of its own: its programs cannot read another grade's files, signal or trace its programs,
 * or connect to its servers (guarded-listener.ts admits by uid), and root's files are as closed to them as to any
 * stranger. No account is created: the kernel needs only the number.
 *
 * Numbers: 1,800,000,000 + pid × 64 + a counter, so concurrent grading processes never share one, far above
 * the ranges of real accounts and of subordinate ids (/etc/subuid starts at 100,000), and below 2³¹ (Node
 * takes uids as signed 32-bit numbers). A number is used again only after everything running under it was
 * killed (release()).
 */
export interface GradeUid {
  readonly uid: number
  readonly gid: number
  /** Kills every process still running under the uid and removes what it left in the shared temporary folders. */
  release(): Promise<void>
}

const base = 1_800_000_000
const perProcess = 64
let counter = 0

export function isRoot(): boolean {
  return process.getuid?.() === 0
}

/**
 * `sharesTheMachine`: the programs run without namespaces (`--sandbox uid`), so what they start may outlive their
 * process group, and what they write may sit in /tmp: release() kills and removes it. In bubblewrap the PID
 * namespace and the private /tmp already take everything with the sandbox.
 */
export function allocateGradeUid(sharesTheMachine: boolean): GradeUid {
  const uid = base + (process.pid % 4_194_304) * perProcess + (counter++ % perProcess)
  let released: Promise<void> | undefined
  return {
    uid,
    gid: uid,
    release: () =>
      (released ??= sharesTheMachine ? killEverythingOf(uid).then(() => removeLeftovers(uid)) : Promise.resolve()),
  }
}

/**
 * `kill -KILL -1` run as the uid itself: the kernel signals every process that uid may signal, which is exactly
 * its own, daemons that left the process group included. Twice, for a child forked while the first went round.
 */
export async function killEverythingOf(uid: number): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await new Promise<void>((resolve) => {
      const killer = spawn('/bin/sh', ['-c', 'kill -KILL -1 2>/dev/null; exit 0'], {
        uid,
        gid: uid,
        stdio: 'ignore',
        env: { PATH: '/usr/bin:/bin' },
      })
      killer.once('error', () => resolve())
      killer.once('exit', () => resolve())
    })
  }
}

/**
 * What graders killed with SIGKILL left running under grade uids (--sandbox uid without a parent-death signal: no
 * system python to ask for it), killed at the next grader's start: a grade uid names its owner's pid, and a
 * process under one whose owner is gone is nobody's. As root only (nobody else can have started one).
 */
export async function sweepOrphanedGradeUids(): Promise<number[]> {
  if (!isRoot() || process.platform !== 'linux') return []
  const orphaned = new Set<number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const uid = lstatSync(`/proc/${name}`).uid
      if (uid < base || uid >= base + 4_194_304 * perProcess) continue
      const owner = Math.floor((uid - base) / perProcess)
      if (!isAlive(owner)) orphaned.add(uid)
    } catch {
      // Gone meanwhile.
    }
  }
  for (const uid of orphaned) await killEverythingOf(uid).then(() => removeLeftovers(uid))
  // And the compile cache links made for grade uids whose owner is gone (workspace.ts shareCompileCache).
  let links: string[] = []
  try {
    links = readdirSync(studentCompileCacheDir)
  } catch {
    // No cache yet.
  }
  for (const name of links) {
    const uid = Number(/-(\d+)$/.exec(name)?.[1])
    if (uid >= base && uid < base + 4_194_304 * perProcess && !isAlive(Math.floor((uid - base) / perProcess)))
      rmSync(path.join(studentCompileCacheDir, name), { force: true })
  }
  return [...orphaned]
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The world-writable folders a program with no sandbox around it could still write to. */
const sharedTemporaryFolders = () => [...new Set([os.tmpdir(), '/tmp', '/var/tmp', '/dev/shm'])]

/** What the uid left at the top of the shared temporary folders (its workspace goes with the workspace). */
function removeLeftovers(uid: number): void {
  for (const folder of sharedTemporaryFolders()) {
    let names: string[]
    try {
      names = readdirSync(folder)
    } catch {
      continue
    }
    for (const name of names) {
      const entry = path.join(folder, name)
      try {
        if (lstatSync(entry).uid === uid) rmSync(entry, { recursive: true, force: true })
      } catch {
        // Gone meanwhile.
      }
    }
  }
}
