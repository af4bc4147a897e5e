import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where Node keeps compiled bytecode between runs, for the grader (module.enableCompileCache) and for student
 * programs (NODE_COMPILE_CACHE). Inside the course's node_modules: private to this checkout, and `npm ci`
 * starts it afresh. grader/cli/main.js names the same folder: it runs before any .ts file can be loaded.
 */
export const compileCacheDir = path.join(fileURLToPath(new URL('../../', import.meta.url)), 'node_modules/.cache/mqtt-course/v8')
