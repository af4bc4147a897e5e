import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TemporaryFolder } from '../process/temporary-folder.ts'
import { compileCacheDir } from './compile-cache.ts'
import { courseRoot, resolveHookUrl, standbyBootstrapUrl } from './program-command.ts'

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
    return Workspace.empty(submissionDir).fill(submissionDir)
  }

  /**
   * A new temporary folder with an empty folder named as `submissionDir` is, to fill() later: a program on
   * standby is started in it before the submission it will run is known.
   */
  static empty(submissionDir: string): Workspace {
    const folder = new TemporaryFolder('mqtt-course-run-')
    try {
      const dir = path.join(folder.path, workspaceName(submissionDir))
      mkdirSync(dir)
      return new Workspace(folder, dir)
    } catch (error) {
      folder.remove()
      throw error
    }
  }

  /** Copies `submissionDir` (without node_modules or .git) into this workspace; node_modules is linked. */
  fill(submissionDir: string): this {
    try {
      cpSync(submissionDir, this.dir, { recursive: true, filter: (source) => !/(^|[\\/])(node_modules|\.git)$/.test(source) })
      // A program of another language's project keeps its dependencies where they are: linked, not copied.
      const dependencies = path.join(submissionDir, 'node_modules')
      if (existsSync(dependencies)) symlinkSync(realpathSync(dependencies), path.join(this.dir, 'node_modules'))
      return this
    } catch (error) {
      this.#folder.remove()
      throw error
    }
  }

  /** A folder beside the copy, for what the grader prepares for the programs: they may read it, not write it. */
  get graderDir(): string {
    return path.join(this.#folder.path, '.grader')
  }

  [Symbol.dispose](): void {
    this.#folder.remove()
  }
}

/** The workspace folder's name: the submission folder's own, as the program sees it in paths. */
export function workspaceName(submissionDir: string): string {
  return path.basename(submissionDir) || 'submission'
}

let warming: Promise<void> | undefined

/**
 * Fills the course's compile cache with MQTT.js, once per install, from a trusted program. In the sandbox the
 * cache is read-only (Node reads an existing cache it cannot write to): programs start as fast as before, and
 * none can write bytecode that another student's program, or the grader, would then run.
 */
export function warmStudentCompileCache(): Promise<void> {
  // The hook and the standby's bootstrap are TypeScript too, run from the cache: a change needs warming again.
  const hook = createHash('sha256').update(readFileSync(fileURLToPath(resolveHookUrl))).update(readFileSync(fileURLToPath(standbyBootstrapUrl))).digest('hex').slice(0, 16)
  const marker = path.join(compileCacheDir, `students-warm-${process.version}-${hook}`)
  if (existsSync(marker)) return Promise.resolve()
  warming ??= new Promise<void>((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--import', resolveHookUrl, '--import', standbyBootstrapUrl, '--input-type=module', '-e', "await import('mqtt')"], {
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
