import { execFileSync } from 'node:child_process'
import { readFileSync, readlinkSync } from 'node:fs'
import os from 'node:os'

/**
 * Which grader process a leftover belongs to (a temporary folder, a container), so that a later start can tell a
 * dead run's leftovers from a live one's (issue 19: after `kill -9` nothing of the killed run cleans up after it).
 *
 * A pid alone is not enough: pids are reused, so the owner is the pid *and* the moment that process started. Pids
 * only mean something in one pid namespace (a CI job's container, on a Docker engine other jobs share too), so
 * the owner also names its namespace, and a leftover from another namespace is never judged: its own graders
 * sweep it.
 */
export interface ProcessOwner {
  pid: number
  /** Linux: clock ticks after boot (/proc/<pid>/stat, field 22), exact. Elsewhere: seconds since 1970, ±1 s. */
  startTime: number
  /** The pid namespace's inode (Linux); undefined where there are none. */
  pidNamespace: string | undefined
}

const isLinux = process.platform === 'linux'

let self: ProcessOwner | undefined

/** This process, as an owner. */
export function thisProcess(): ProcessOwner {
  self ??= {
    pid: process.pid,
    // Elsewhere than Linux, reading our own start time would mean running `ps` on the way to every grade.
    startTime: (isLinux ? readStartTime(process.pid) : undefined) ?? Math.floor(Date.now() / 1000 - process.uptime()),
    pidNamespace: readPidNamespace(),
  }
  return self
}

/**
 * Whether `owner` is certainly gone: its pid is free, or taken by a process that started at another time, or a
 * zombie waiting for its parent. Unknown stays alive (another namespace, a /proc we may not read): a leftover is
 * only ever removed when its owner is known to be gone.
 */
export function isOwnerGone(owner: ProcessOwner): boolean {
  if (owner.pidNamespace !== thisProcess().pidNamespace) return false
  if (owner.pid === process.pid) return owner.startTime !== thisProcess().startTime
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    // EPERM: it exists, as another user's process.
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  const running = isLinux ? readStat(owner.pid) : undefined
  if (running?.state === 'Z' || running?.state === 'X') return true
  const startTime = isLinux ? running?.startTime : readStartTimeWithPs(owner.pid)
  if (startTime === undefined) return false
  return isLinux ? startTime !== owner.startTime : Math.abs(startTime - owner.startTime) > 1
}

/** `pid4242-start1234567-ns4026531836`: the owner in a file name (see ownerFromTag). */
export function ownerTag(owner: ProcessOwner): string {
  return `pid${owner.pid}-start${owner.startTime}${owner.pidNamespace ? `-ns${owner.pidNamespace}` : ''}`
}

export const ownerTagPattern = /pid(\d+)-start(\d+)(?:-ns(\d+))?/

/** The owner an ownerTag() names, or undefined. */
export function ownerFromTag(tag: string): ProcessOwner | undefined {
  const match = new RegExp(`^${ownerTagPattern.source}$`).exec(tag)
  if (!match) return undefined
  return { pid: Number(match[1]), startTime: Number(match[2]), pidNamespace: match[3] }
}

/** Linux: when `pid` started, in clock ticks after boot; undefined when it is gone or unreadable. */
export function readStartTime(pid: number): number | undefined {
  return readStat(pid)?.startTime
}

function readStat(pid: number): { state: string; startTime: number } | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: count from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const startTime = Number(fields[19])
  return Number.isSafeInteger(startTime) ? { state: fields[0], startTime } : undefined
}

function readPidNamespace(): string | undefined {
  if (!isLinux) return undefined
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1]
  } catch {
    return undefined
  }
}

/** macOS and other Unixes: `ps -o lstart` (in UTC, in C's words) as seconds since 1970. */
function readStartTimeWithPs(pid: number): number | undefined {
  try {
    const text = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    })
    return parseLstart(text)
  } catch {
    return undefined
  }
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `Tue Jun  3 10:11:12 2025` (UTC) as seconds since 1970; undefined for anything else. */
export function parseLstart(text: string): number | undefined {
  const match = /^\s*\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})\s*$/.exec(text)
  const month = match ? months.indexOf(match[1]) : -1
  if (!match || month < 0) return undefined
  return (
    Date.UTC(Number(match[6]), month, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5])) / 1000
  )
}

/** The machine a container's owner runs on: its pid means nothing on another (a Docker engine CI jobs share). */
export function thisHost(): string {
  return os.hostname()
}
