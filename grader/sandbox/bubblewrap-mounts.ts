import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { courseRoot } from '../course/course-root.ts'

/**
 * The top-level folders of the file system, read-only, as bwrap arguments; symbolic links (/bin -> usr/bin)
 * as links. Not /proc, /sys, /dev, /tmp (made fresh), nor /var and /run: Docker and containerd mount and unmount
 * overlays there all the time, and bwrap, remounting every submount read-only, fails when one comes or goes
 * mid-way ("Can't bind mount /oldroot/ on /newroot/"). A program needs neither.
 */
export function readOnlyRoot(): string[] {
  const skipped = new Set(['proc', 'sys', 'dev', 'tmp', 'var', 'run', 'lost+found', 'mnt', 'media', 'boot'])
  const args: string[] = []
  for (const name of readdirSync('/').sort()) {
    if (skipped.has(name)) continue
    const entry = path.join('/', name)
    try {
      const stat = lstatSync(entry)
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(entry), entry)
      else if (stat.isDirectory() || stat.isFile()) args.push('--ro-bind', entry, entry)
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return args
}

/**
 * Where credentials live in a home folder: hidden from programs. The rest of the home stays readable (read-only),
 * since a student's interpreter may live there (pyenv, nvm, a virtualenv).
 */
const credentialPaths = [
  '.ssh',
  '.aws',
  '.azure',
  '.docker',
  '.kube',
  '.gnupg',
  '.config/gh',
  '.config/gcloud',
  '.npmrc',
  '.yarnrc',
  '.pypirc',
  '.netrc',
  '.git-credentials',
]

/**
 * What a program must not see: the home's credentials; the course (solutions, mutants, reports, .git); the
 * temporary folder, wherever TMPDIR puts it (other grades' workspaces, the grader's keys); and what the command
 * names (a cohort, a report folder, the submission's original).
 */
export function hiddenPaths(hide: readonly string[]): { folders: string[]; files: string[] } {
  const home = os.homedir()
  const inHome =
    home && home !== '/' ? credentialPaths.map((name) => path.join(home, name)).filter((file) => existsSync(file)) : []
  const folders = [...inHome.filter((file) => statSync(file).isDirectory()), courseRoot, os.tmpdir(), ...hide]
    .filter((folder) => existsSync(folder))
    .map((folder) => realpathSync(folder).replace(/\/$/, ''))
    .filter((folder) => folder !== '/tmp' && folder !== '/')
  return { folders: [...new Set(folders)], files: inHome.filter((file) => !statSync(file).isDirectory()) }
}
