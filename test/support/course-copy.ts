import { execFileSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { courseRoot } from './run-cli.ts'

/**
 * A private copy of the course (grader, exercises, package.json; node_modules linked), for tests that grade
 * and edit the starters in place and keep progress in .mqtt-course/, as a student does, without touching the
 * real course folder. With `isGit`, the copy is a git clone-like repository with one commit (reset needs one).
 */
export function copyCourse(options: { isGit?: boolean } = {}): { root: string; remove: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-copy-'))
  for (const entry of ['grader', 'exercises', 'package.json', 'tsconfig.json'])
    cpSync(path.join(courseRoot, entry), path.join(root, entry), { recursive: true })
  symlinkSync(path.join(courseRoot, 'node_modules'), path.join(root, 'node_modules'))
  if (options.isGit) {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' })
    git('init', '-q')
    execFileSync('sh', ['-c', 'printf "node_modules\\n.mqtt-course/\\n" > .gitignore'], { cwd: root })
    git('add', '-A')
    git('-c', 'user.name=course', '-c', 'user.email=course@example.invalid', 'commit', '-qm', 'the course')
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) }
}
