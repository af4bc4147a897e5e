import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ProcessGroup } from '../../grader/process/process-group.ts'

/** Running, not merely a zombie waiting for init to reap it. */
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return true
  }
}

describe('ProcessGroup', () => {
  it('kills the whole group: the program and everything it started', async () => {
    // A shell that starts a grandchild, prints its pid, and waits: like a program with a worker.
    const group = new ProcessGroup({
      command: '/bin/sh',
      args: ['-c', 'sleep 300 & echo $!; wait'],
      cwd: '/',
      env: { PATH: process.env.PATH },
    })
    const grandchild = await new Promise<number>((resolve) => {
      const stop = group.stdout.subscribe((text) => {
        stop()
        resolve(Number(text.trim()))
      })
    })
    expect(isAlive(grandchild)).toBe(true)
    const exit = await group.kill()
    expect(exit.signal).toBe('SIGKILL')
    expect(isAlive(grandchild)).toBe(false)
  })

  it('keeps only the end of a flood of output', async () => {
    const group = new ProcessGroup({
      command: process.execPath,
      args: ['-e', 'for (let i = 1; i <= 20000; i++) console.log(`line ${i}`)'],
      cwd: '/',
      env: {},
      outputCapBytes: 4096,
    })
    expect((await group.exited).exitCode).toBe(0)
    expect(group.stdout.text.length).toBeLessThanOrEqual(4096 + 200)
    expect(group.stdout.tail(2)).toMatch(/^\(\d+ earlier lines not shown\)\nline 19999\nline 20000$/)
  })

  it('reports a command that cannot start', async () => {
    const exit = await new ProcessGroup({ command: '/nonexistent/program', args: [], cwd: '/', env: {} }).exited
    expect(exit.spawnError?.message).toMatch(/ENOENT/)
  })
})
