// A fork bomb and a disk bomb, then nothing more: the program's MQTT work (the solution, beside) carries on.
// Prints BOMBS {"spawned": n, "refusedAt": n, "wroteWorkspace": bytes, "wroteTmp": bytes}.
import { spawn } from 'node:child_process'
import { closeSync, openSync, writeSync } from 'node:fs'

const children = []
let refusedAt: number | undefined
for (let i = 0; i < 300 && refusedAt === undefined; i++) {
  try {
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' })
    const failed = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(false))
      child.once('error', () => resolve(true))
    })
    if (failed) refusedAt = i
    else children.push(child)
  } catch {
    refusedAt = i
  }
}
for (const child of children) child.kill('SIGKILL')

function fill(file: string): number {
  const chunk = Buffer.alloc(1024 * 1024, 7)
  let written = 0
  let fd: number | undefined
  try {
    fd = openSync(file, 'w')
    for (let i = 0; i < 1024; i++) written += writeSync(fd, chunk)
  } catch {
    // EFBIG (the file-size limit) or ENOSPC (the workspace's size): the cap held.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
  return written
}
const wroteWorkspace = fill('big.bin')
const wroteTmp = fill(`${process.env.TMPDIR ?? '/tmp'}/big.bin`)
console.log(`BOMBS ${JSON.stringify({ spawned: children.length, refusedAt, wroteWorkspace, wroteTmp })}`)
