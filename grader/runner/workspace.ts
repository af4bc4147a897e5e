import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TemporaryFolder, enterableTemporaryDir } from '../process/temporary-folder.ts'
import { type GradeUid, allocateGradeUid } from '../sandbox/grade-uid.ts'
import type { Sandbox } from '../sandbox/sandbox.ts'
import { copySubmission } from './copy-submission.ts'
import { studentCompileCacheDir as compileCacheDir } from '../course/compile-cache.ts'
import { courseRoot } from '../course/course-root.ts'
import { preloadSources, preloadUrl } from '../course/program-preloads.ts'

/**
 * Where one exercise's programs run: a temporary copy of the submission, the only place they may write, so a
 * program cannot change the files it was graded from, another exercise's files or the grader. Removed when the
 * exercise ends, and on every exit of the grader, a signal included.
 */
export class Workspace implements AsyncDisposable {
  /** The copy of the submission: the programs' working folder. */
  readonly dir: string
  /** The uid and gid every program of this workspace runs as, when the grader is root. */
  readonly owner: GradeUid | undefined
  /** What the copy left out (links, FIFOs), for the report. */
  readonly skipped: string[] = []
  readonly #folder: TemporaryFolder

  private constructor(folder: TemporaryFolder, dir: string, owner: GradeUid | undefined) {
    this.#folder = folder
    this.dir = dir
    this.owner = owner
  }

  /** Copies `submissionDir` (its files and folders; no node_modules, .git or links) into a new temporary folder. */
  static create(submissionDir: string, sandbox: Sandbox): Workspace {
    return Workspace.empty(submissionDir, sandbox).fill(submissionDir)
  }

  /**
   * A new temporary folder with an empty folder named as `submissionDir` is, to fill() later: a program on
   * standby is started in it before the submission it will run is known. Where the grader is root, the
   * workspace gets a uid of its own: the copy is that uid's alone (0700), the folder around it only traversable,
   * and the grader's folder beside it (the stripped TypeScript) readable by that uid's group only.
   */
  static empty(submissionDir: string, sandbox: Sandbox): Workspace {
    const owner = sandbox.givesWorkspacesOwnUid ? allocateGradeUid(!sandbox.hasOwnNetwork) : undefined
    // Without bubblewrap the program walks to its workspace as its own uid: every folder above must let it.
    const folder = new TemporaryFolder(
      'mqtt-course-run-',
      owner && !sandbox.hasOwnNetwork ? enterableTemporaryDir() : undefined,
    )
    try {
      // In bubblewrap the cache is bound where the program's uid looks for it; without, a link is made here.
      if (owner && !sandbox.hasOwnNetwork) shareCompileCache(owner.uid)
      const dir = path.join(folder.path, workspaceName(submissionDir))
      mkdirSync(dir)
      if (owner) {
        chmodSync(folder.path, 0o711)
        chownSync(dir, owner.uid, owner.gid)
        chmodSync(dir, 0o700)
      }
      return new Workspace(folder, dir, owner)
    } catch (error) {
      folder.remove()
      throw error
    }
  }

  /** Copies `submissionDir` into this workspace (see copySubmission); node_modules is linked. */
  fill(submissionDir: string): this {
    try {
      this.skipped.push(...copySubmission(submissionDir, this.dir, { owner: this.owner }).skipped)
      // A program of another language's project keeps its dependencies where they are: linked, not copied.
      const dependencies = path.join(submissionDir, 'node_modules')
      if (existsSync(dependencies)) symlinkSync(realpathSync(dependencies), path.join(this.dir, 'node_modules'))
      return this
    } catch (error) {
      this.#folder.remove()
      throw error
    }
  }

  /**
   * A folder beside the copy, for what the grader prepares for the programs (the stripped TypeScript): they may
   * read it, not write it. Made on first use.
   */
  get graderDir(): string {
    const dir = path.join(this.#folder.path, '.grader')
    if (!existsSync(dir)) {
      mkdirSync(dir, { mode: 0o750 })
      if (this.owner) chownSync(dir, 0, this.owner.gid)
    }
    return dir
  }

  /** Kills whatever still runs as the workspace's uid, then removes the folder. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.owner?.release()
    } finally {
      if (this.owner) unshareCompileCache(this.owner.uid)
      this.#folder.remove()
    }
  }
}

/** The workspace folder's name: the submission folder's own, as the program sees it in paths. */
export function workspaceName(submissionDir: string): string {
  return path.basename(submissionDir) || 'submission'
}

function makeReadable(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const target = path.join(dir, entry.name)
    if (entry.isDirectory()) {
      chmodSync(target, 0o755)
      makeReadable(target)
    } else if (entry.isFile()) chmodSync(target, 0o644)
  }
}

/**
 * Node keeps a compile cache per uid (a folder named `<version tag>-<uid>`): a program dropped to its workspace's
 * uid would find none, and compile MQTT.js again on every run (~80 ms). Without bubblewrap (--sandbox uid) its uid
 * gets a link to the cache the grader warmed, read-only to it like the rest; the link goes with the workspace
 * (or, after a SIGKILL, with the next start's sweep of grade uids).
 */
function shareCompileCache(uid: number): void {
  for (const [cache, link] of compileCacheLinks(uid)) {
    try {
      symlinkSync(cache, link)
    } catch {
      // Already there (a workspace of the same uid before, cut short), or no cache yet: Node compiles.
    }
  }
}

function unshareCompileCache(uid: number): void {
  for (const [, link] of compileCacheLinks(uid)) rmSync(link, { force: true })
}

/** [the grader's own cache folder's name, the link for `uid`], for each cache folder the grader's uid has. */
export function compileCacheLinks(uid: number): [string, string][] {
  const suffix = `-${process.getuid?.() ?? 0}`
  let names: string[]
  try {
    names = readdirSync(compileCacheDir).filter((name) => name.endsWith(suffix))
  } catch {
    return []
  }
  return names.map((name) => [name, path.join(compileCacheDir, `${name.slice(0, -suffix.length)}-${uid}`)])
}

let warming: Promise<void> | undefined

/**
 * Fills the course's compile cache with MQTT.js, once per install, from a trusted program. In the sandbox the
 * cache is read-only (Node reads an existing cache it cannot write to): programs start as fast as before, and
 * none can write bytecode that another student's program, or the grader, would then run.
 */
export function warmStudentCompileCache(): Promise<void> {
  // The hook, the standby's bootstrap and the sandbox's init (their stripped copies, program-preloads.ts) run
  // from the cache too: a change to one needs warming again.
  const hook = Object.values(preloadSources)
    .reduce((hash, url) => hash.update(readFileSync(fileURLToPath(url))), createHash('sha256'))
    .digest('hex')
    .slice(0, 16)
  const marker = path.join(compileCacheDir, `students-warm-${process.version}-${hook}`)
  if (existsSync(marker)) return Promise.resolve()
  warming ??= new Promise<void>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '--import',
        preloadUrl('sandboxInit'),
        '--import',
        preloadUrl('resolveHook'),
        '--import',
        preloadUrl('standbyBootstrap'),
        '--input-type=module',
        '-e',
        "await import('mqtt')",
      ],
      {
        cwd: courseRoot,
        env: { PATH: process.env.PATH ?? '', NODE_COMPILE_CACHE: compileCacheDir },
        stdio: 'ignore',
      },
    )
    child.once('error', () => resolve())
    child.once('exit', (code) => {
      if (code === 0) {
        try {
          mkdirSync(compileCacheDir, { recursive: true })
          // Node writes its cache for its own uid only (0600): programs dropped to a workspace's uid read it too.
          makeReadable(compileCacheDir)
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
