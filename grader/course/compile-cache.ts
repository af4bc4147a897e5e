import { realpathSync } from 'node:fs'
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

let studentCacheRealPath: string | undefined
/**
 * The students' cache as a program must be told it (NODE_COMPILE_CACHE): by its real path. The sandbox binds the
 * cache where it really is (launch-command.ts); a course whose node_modules is a link to another checkout's would
 * otherwise send Node down the link to a read-only folder without the program's cache in it, and every program
 * would compile MQTT.js afresh (~100 ms a run).
 */
export function studentCompileCachePath(): string {
  if (studentCacheRealPath) return studentCacheRealPath
  try {
    studentCacheRealPath = realpathSync(studentCompileCacheDir)
    return studentCacheRealPath
  } catch {
    return studentCompileCacheDir
  }
}

/** The grader's caches a program must not read: other submissions' stripped code and type-check results. */
export const privateCacheDirs = [compileCacheDir, path.join(cacheRoot, 'stripped'), path.join(cacheRoot, 'typecheck')]
