import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

/** Every process below `pid` (its children, theirs...), read from /proc: what a grader started. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(parent, [...(children.get(parent) ?? []), Number(name)])
    } catch {
      // It ended while we looked.
    }
  }
  const found: number[] = []
  const visit = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child)
      visit(child)
    }
  }
  visit(pid)
  return found
}

/**
 * Live processes (zombies aside) whose command line or working folder is in `folder`: a Mosquitto's config, a
 * program's copy, a type checker's folder. Catches what a grader started after a descendantsOf() was taken.
 */
export function processesUsing(folder: string): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ')
      const state = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.[0]
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`)
      } catch {
        // Not ours to read.
      }
      if (state !== 'Z' && (cmdline.includes(folder) || cwd.includes(folder))) found.push(Number(name))
    } catch {
      // It ended while we looked.
    }
  }
  return found
}

/** `pid: command line`, for messages; undefined once it is gone. */
export function describeProcess(pid: number): string | undefined {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()}`
  } catch {
    return undefined
  }
}

/**
 * Resolves once every one of `pids` has ended; rejects at the deadline naming those still running. Processes
 * that are not our children cannot be waited for from Node: Python's os.pidfd_open (Linux ≥ 5.3) can, and a
 * pidfd becomes readable the moment its process ends. An event, not polling.
 */
export function waitForExit(pids: readonly number[], timeoutMs: number): Promise<void> {
  const script = [
    'import os, select, sys',
    'fds = []',
    'for pid in sys.argv[1:]:',
    '    try: fds.append(os.pidfd_open(int(pid)))',
    '    except ProcessLookupError: pass',
    'while fds:',
    '    ready, _, _ = select.select(fds, [], [])',
    '    fds = [fd for fd in fds if fd not in ready]',
  ].join('\n')
  return new Promise((resolve, reject) => {
    const waiter = spawn('python3', ['-c', script, ...pids.map(String)], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    waiter.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => {
      waiter.kill()
      const running = pids.map(describeProcess).filter(Boolean)
      reject(new Error(`still running after ${timeoutMs} ms:\n${running.join('\n')}`))
    }, timeoutMs)
    waiter.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`python3 is needed to wait for processes that are not ours (${error.message})`))
    })
    waiter.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else if (code !== null) reject(new Error(`waiting for ${pids.join(', ')} failed: ${stderr}`))
    })
  })
}
