// A disk bomb of many files, each under any per-file limit, before anything else: with bubblewrap the workspace's
// tmpfs fills up (ENOSPC) and the program carries on; without it, the grader's disk watchdog stops the program.
// Prints DISK {"files": n, "bytes": n} when it is still alive afterwards.
import { writeFileSync } from 'node:fs'

const chunk = Buffer.alloc(8 * 1024 * 1024, 1)
let files = 0
for (const folder of ['.', process.env.TMPDIR ?? '/tmp']) {
  for (let i = 0; i < 250; i++) {
    try {
      writeFileSync(`${folder}/bomb-${i}.bin`, chunk)
      files++
    } catch {
      break
    }
  }
}
console.error(`DISK ${JSON.stringify({ files, bytes: files * chunk.length })}`)
