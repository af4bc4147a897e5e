import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

/**
 * A process as it was when seen: its pid and when it started (clock ticks after boot), because pids are reused
 * (32,768 of them turn over quickly on a machine running test suites): a later process with the same pid is not
 * this one.
 */
export interface SeenProcess {
  pid: number
  startTime: number
}

function readStat(pid: number | string): { parent: number; state: string; startTime: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0], parent: Number(fields[1]), startTime: Number(fields[19]) }
  } catch {
    return undefined
  }
}

function readWchan(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'utf8') || '(running)'
  } catch {
    return '?'
  }
}

/** Every process below `pid` (its children, theirs...), read from /proc: what a grader started. */
export function descendantsOf(pid: number): SeenProcess[] {
  const children = new Map<number, SeenProcess[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = readStat(name)
    if (stat)
      children.set(stat.parent, [
        ...(children.get(stat.parent) ?? []),
        { pid: Number(name), startTime: stat.startTime },
      ])
  }
  const found: SeenProcess[] = []
  const visit = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child)
      visit(child.pid)
    }
  }
  visit(pid)
  return found
}

/**
 * Live processes (zombies aside) whose command line or working folder is in `folder`: a Mosquitto's config, a
 * program's copy, a type checker's folder. Catches what a grader started after a descendantsOf() was taken.
 */
export function processesUsing(folder: string): SeenProcess[] {
  const found: SeenProcess[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ')
      const stat = readStat(name)
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`)
      } catch {
        // Not ours to read.
      }
      if (stat && stat.state !== 'Z' && (cmdline.includes(folder) || cwd.includes(folder)))
        found.push({ pid: Number(name), startTime: stat.startTime })
    } catch {
      // It ended while we looked.
    }
  }
  return found
}

/** `pid: command line`, for messages; undefined once it is gone (or its pid is another process's now). */
export function describeProcess(process: SeenProcess): string | undefined {
  if (readStat(process.pid)?.startTime !== process.startTime) return undefined
  try {
    return `${process.pid}: ${readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`
  } catch {
    return undefined
  }
}

/**
 * Resolves once every one of `processes` has ended; rejects at the deadline naming those still running.
 * Processes that are not our children cannot be waited for from Node: Python's os.pidfd_open (Linux ≥ 5.3) can,
 * and a pidfd becomes readable the moment its process ends. An event, not polling. A pid whose process started
 * at another time than the one seen is taken by another process: the one seen is gone.
 */
export function waitForExit(processes: readonly SeenProcess[], timeoutMs: number): Promise<void> {
  const script = [
    'import os, select, sys',
    'def start_time(pid):',
    '    with open(f"/proc/{pid}/stat") as stat: text = stat.read()',
    '    return int(text[text.rindex(")") + 2:].split(" ")[19])',
    'fds = []',
    'for seen in sys.argv[1:]:',
    '    pid, started = (int(part) for part in seen.split(":"))',
    '    try:',
    '        fd = os.pidfd_open(pid)',
    '        if start_time(pid) == started: fds.append(fd)',
    '    except (ProcessLookupError, FileNotFoundError): pass',
    'while fds:',
    '    ready, _, _ = select.select(fds, [], [])',
    '    fds = [fd for fd in fds if fd not in ready]',
  ].join('\n')
  return new Promise((resolve, reject) => {
    const waiter = spawn('python3', ['-c', script, ...processes.map((seen) => `${seen.pid}:${seen.startTime}`)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    waiter.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => {
      waiter.kill()
      // With each, its state and where in the kernel it waits: a process in uninterruptible sleep (D) acts on a
      // SIGKILL only when that kernel work is done.
      const running = processes.map((seen) => {
        const line = describeProcess(seen)
        return (
          line &&
          `${line}\n  state ${readStat(seen.pid)?.state ?? '?'}, waiting in ${readWchan(seen.pid)}, its parent ${readStat(seen.pid)?.parent ?? '?'}`
        )
      })
      reject(new Error(`still running after ${timeoutMs} ms:\n${running.filter(Boolean).join('\n')}`))
    }, timeoutMs)
    waiter.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`python3 is needed to wait for processes that are not ours (${error.message})`))
    })
    waiter.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else if (code !== null)
        reject(new Error(`waiting for ${processes.map((seen) => seen.pid).join(', ')} failed: ${stderr}`))
    })
  })
}
