import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { compileCacheDir } from './compile-cache.ts'
import { courseRoot, resolveHookUrl } from './program-command.ts'

/**
 * Where one exercise's programs run: a temporary copy of the submission, the only place they may write, so a
 * program cannot change the files it was graded from, another exercise's files or the grader. Removed when the
 * exercise ends, and on every exit of the grader, a signal included.
 */
export class Workspace implements Disposable {
  /** The copy of the submission: the programs' working folder. */
  readonly dir: string
  readonly #folder: TemporaryFolder

  private constructor(folder: TemporaryFolder, dir: string) {
    this.#folder = folder
    this.dir = dir
  }

  /** Copies `submissionDir` (without node_modules or .git) into a new temporary folder. */
  static create(submissionDir: string): Workspace {
    const folder = new TemporaryFolder('mqtt-course-run-')
    try {
      const dir = path.join(folder.path, path.basename(submissionDir) || 'submission')
      cpSync(submissionDir, dir, { recursive: true, filter: (source) => !/(^|[\\/])(node_modules|\.git)$/.test(source) })
      // A program of another language's project keeps its dependencies where they are: linked, not copied.
      const dependencies = path.join(submissionDir, 'node_modules')
      if (existsSync(dependencies)) symlinkSync(realpathSync(dependencies), path.join(dir, 'node_modules'))
      return new Workspace(folder, dir)
    } catch (error) {
      folder.remove()
      throw error
    }
  }

  [Symbol.dispose](): void {
    this.#folder.remove()
  }
}

let warming: Promise<void> | undefined

/**
 * Fills the course's compile cache with MQTT.js, once per install, from a trusted program. In the sandbox the
 * cache is read-only (Node reads an existing cache it cannot write to): programs start as fast as before, and
 * none can write bytecode that another student's program, or the grader, would then run.
 */
export function warmStudentCompileCache(): Promise<void> {
  const marker = path.join(compileCacheDir, `students-warm-${process.version}`)
  if (existsSync(marker)) return Promise.resolve()
  warming ??= new Promise<void>((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', resolveHookUrl, '--input-type=module', '-e', "await import('mqtt')"], {
      cwd: courseRoot,
      env: { PATH: process.env.PATH ?? '', NODE_COMPILE_CACHE: compileCacheDir },
      stdio: 'ignore',
    })
    child.once('error', () => resolve())
    child.once('exit', (code) => {
      if (code === 0) {
        try {
          mkdirSync(compileCacheDir, { recursive: true })
          writeFileSync(marker, '')
        } catch {
          // A read-only install: programs then start without the cache, a little slower.
        }
      }
      resolve()
    })
  })
  return warming
}
