import { chmodSync, copyFileSync, lchownSync, lstatSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import { workspaceLimitBytes } from '../sandbox/sandbox-constants.ts'

/** Folders a submission carries that are not the student's work (installed packages, VCS, caches). */
export const ignoredFolders = new Set(['node_modules', '.git', '.cache', '__pycache__', '.venv'])

/** The most files a submission may hold: a grader copies it for every grade. */
const maxFiles = 10_000

export interface CopiedSubmission {
  /** What was left out, as "path (why)": links, FIFOs, sockets, devices. */
  skipped: string[]
}

/**
 * Copies a submission's regular files and folders, and nothing else: a link is never followed nor copied (it
 * could name any file of the grading machine, which the grader, reading the copy as root, would then read for
 * the program: a config it echoes, a file it strips), and a FIFO, socket or device is left out (reading one
 * blocks, or worse). What was left out is returned, for the report. `owner`: the copy belongs to the workspace's
 * uid (the grader is root). A submission larger than a workspace can hold is refused before anything runs.
 */
export function copySubmission(
  from: string,
  to: string,
  options: { owner?: { uid: number; gid: number } | undefined } = {},
): CopiedSubmission {
  const skipped: string[] = []
  let files = 0
  let bytes = 0
  const own = (target: string) => options.owner && lchownSync(target, options.owner.uid, options.owner.gid)
  const walk = (relative: string) => {
    const source = path.join(from, relative)
    for (const entry of readdirSync(source, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = relative ? path.join(relative, entry.name) : entry.name
      const sourceChild = path.join(from, child)
      const target = path.join(to, child)
      const stat = lstatSync(sourceChild)
      if (stat.isDirectory()) {
        if (ignoredFolders.has(entry.name)) continue
        mkdirSync(target, { mode: 0o755 })
        own(target)
        walk(child)
      } else if (stat.isFile()) {
        files++
        bytes += stat.size
        if (files > maxFiles || bytes > workspaceLimitBytes) {
          throw new GraderError(
            'SUBMISSION_TOO_LARGE',
            `the submission holds more than ${files > maxFiles ? `${maxFiles} files` : `${workspaceLimitBytes / 2 ** 20} MiB`}, more than a grade's workspace can hold`,
            {
              hint: 'submit only your source files (no node_modules, build output, recordings or datasets)',
            },
          )
        }
        copyFileSync(sourceChild, target)
        chmodSync(target, stat.mode & 0o755)
        own(target)
      } else
        skipped.push(
          `${child} (${stat.isSymbolicLink() ? 'a link: links are not followed' : stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device file'})`,
        )
    }
  }
  mkdirSync(to, { recursive: true })
  walk('')
  return { skipped }
}
