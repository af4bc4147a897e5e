#!/usr/bin/env node
/**
 * Entry point of `npm run grade|watch|broker|list|hint`. It only turns on Node's compile cache, before anything
 * else is loaded, so that every later run starts from cached bytecode; the commands live in run-command.ts.
 *
 * The one JavaScript file in the grader, on purpose: Node's compile cache also keeps the type-stripped output
 * of .ts files, but only of files loaded after it is on. A main.ts would itself be stripped first, and that
 * starts Node's TypeScript stripper (a wasm module, ~110 ms) on every run.
 */
import module from 'node:module'
import { fileURLToPath } from 'node:url'

// The same folder as compileCacheDir in ../runner/compile-cache.ts (which student programs use).
module.enableCompileCache?.(fileURLToPath(new URL('../../node_modules/.cache/mqtt-course/v8', import.meta.url)))
await import('./run-command.ts')
