#!/usr/bin/env node
/**
 * Entry point of `npm run grade|watch|broker|list|hint`. It only turns on Node's compile cache, before anything
 * else is loaded, so that every later run starts from cached bytecode; the commands live in run-command.ts.
 *
 * The one JavaScript file in the grader, on purpose: Node's compile cache also keeps the type-stripped output
 * of .ts files, but only of files loaded after it is on. A main.ts would itself be stripped first, and that
 * starts Node's TypeScript stripper (a wasm module, ~110 ms) on every run.
 */
import { closeSync, readFileSync, readdirSync } from 'node:fs'
import module from 'node:module'
import { fileURLToPath } from 'node:url'

// Descriptors the grader's own parent left open without close-on-exec (a CI runner's pipe, a shell's redirect)
// would reach every program the grader starts, students' included: only their stdio may. Node opens all of its
// own with close-on-exec (the IPC channel of a batch worker too), so what lacks the flag is inherited, and closed.
if (process.platform === 'linux') {
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name)
    if (fd <= 2 || fd === process.channel?.fd) continue
    try {
      const flags = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1]
      if (flags !== undefined && (Number.parseInt(flags, 8) & 0o2000000) === 0) closeSync(fd)
    } catch {
      // Closed meanwhile (the descriptor readdir itself used).
    }
  }
}

// The same folder as compileCacheDir in ../course/compile-cache.ts (which student programs use).
module.enableCompileCache?.(fileURLToPath(new URL('../../node_modules/.cache/mqtt-course/v8', import.meta.url)))
await import('./run-command.ts')
