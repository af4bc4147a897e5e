// A fork bomb and a disk bomb, before anything else (imported first, so they are over before the solution beside
// connects: a bomb that starves its own program of time fails its own grade, which proves nothing about the
// sandbox). Prints BOMBS {"spawned": n, "refused": n, "wroteWorkspace": bytes, "wroteTmp": bytes}.
import { spawn } from 'node:child_process'
import { closeSync, openSync, writeSync } from 'node:fs'

// Past the file-size limit the kernel sends SIGXFSZ, which would end the program: the write fails (EFBIG) instead.
process.on('SIGXFSZ', () => {})

let refused = 0
const children = []
for (let i = 0; i < 300; i++) {
  try {
    const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' })
    child.once('error', () => refused++)
    children.push(child)
  } catch {
    refused++
  }
}
// The refusals arrive as 'error' events, after this turn.
await new Promise((resolve) => setImmediate(resolve))
const spawned = children.filter((child) => child.pid !== undefined).length
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
console.log(`BOMBS ${JSON.stringify({ spawned, refused, wroteWorkspace, wroteTmp })}`)
