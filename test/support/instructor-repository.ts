import { execFileSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { copyVariant, tempDir, writeEchoesOnlyFirst } from '../batch/cohort-fixtures.ts'
import { courseRoot } from './run-cli.ts'

export const git = (cwd: string, ...args: string[]): string =>
  execFileSync(
    'git',
    [
      '-c',
      'user.name=Instructor',
      '-c',
      'user.email=instructor@example.com',
      '-c',
      'init.defaultBranch=main',
      '-c',
      'advice.addEmbeddedRepo=false',
      ...args,
    ],
    { cwd, encoding: 'utf8' },
  )

/** The course's files as a fresh checkout has them: what git tracks here, and what is new and not ignored. */
export function copyCourse(dest: string, leaveOut: (file: string) => boolean = () => false): void {
  const files = git(courseRoot, 'ls-files', '-co', '--exclude-standard', '-z').split('\0').filter(Boolean)
  for (const file of files.filter((name) => !leaveOut(name))) {
    mkdirSync(path.dirname(path.join(dest, file)), { recursive: true })
    try {
      cpSync(path.join(courseRoot, file), path.join(dest, file))
    } catch {
      // Deleted in the working tree, not yet committed: not part of the course.
    }
  }
}

/**
 * An instructor's private copy of the course with a cohort committed in submissions/ the way the recipes say
 * (each student's files), and one student committed the way the recipes warn against: a nested clone, which
 * `git add` turns into a gitlink (an empty folder in every checkout). Returns the repository's folder, readable
 * by every uid (a job's machine mounts it).
 *   amy: a clone's layout, ex1 solved (5); bo: ex1-hello-mqtt/ with one mistake (3); cai: ex1/ solved (5);
 *   dora: the starter (0); nested: a gitlink.
 */
export function instructorRepository(): string {
  const repo = tempDir('instructor-repo')
  chmodSync(repo, 0o755)
  copyCourse(repo, (file) => file.startsWith('test/') || file.startsWith('bench/'))
  const students = path.join(repo, 'submissions')
  copyVariant('ex1-hello-mqtt', 'solution', path.join(students, 'amy/exercises/ex1-hello-mqtt/starter'))
  writeEchoesOnlyFirst(path.join(students, 'bo/ex1-hello-mqtt'))
  copyVariant('ex1-hello-mqtt', 'solution', path.join(students, 'cai/ex1'))
  copyVariant('ex1-hello-mqtt', 'starter', path.join(students, 'dora/ex1'))
  const nested = path.join(students, 'nested')
  copyVariant('ex1-hello-mqtt', 'solution', path.join(nested, 'exercises/ex1-hello-mqtt/starter'))
  git(nested, 'init', '-q')
  git(nested, 'add', '-A')
  git(nested, 'commit', '-qm', 'my work')
  git(repo, 'init', '-q')
  git(repo, 'add', '-A')
  git(repo, 'commit', '-qm', 'The course, and the cohort')
  return repo
}
