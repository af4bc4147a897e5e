import path from 'node:path'
import { fileURLToPath } from 'node:url'

const cacheRoot = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'node_modules/.cache/mqtt-course')

/**
 * Where Node keeps compiled bytecode between runs, for the grader (module.enableCompileCache). Inside the course's
 * node_modules: private to this checkout, and `npm ci` starts it afresh. grader/cli/main.js names the same folder:
 * it runs before any .ts file can be loaded.
 */
export const compileCacheDir = path.join(cacheRoot, 'v8')

/**
 * The students' programs' compile cache (NODE_COMPILE_CACHE): MQTT.js and the course's preloads, warmed by the
 * grader (workspace.ts), readable and never writable by a sandboxed program. A folder of its own: the grader's
 * cache, the stripped and type-checked submissions beside it are no program's to read.
 */
export const studentCompileCacheDir = path.join(cacheRoot, 'students-v8')

/** The grader's caches a program must not read: other submissions' stripped code and type-check results. */
export const privateCacheDirs = [compileCacheDir, path.join(cacheRoot, 'stripped'), path.join(cacheRoot, 'typecheck')]
