import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { TemporaryFolder } from '../process/temporary-folder.ts'

/**
 * A student's repository as of a commit, read without touching it: the commit is found with `git log`, and its
 * files are written into a temporary folder blob by blob (`git ls-tree` + `git cat-file`). Not `git archive`
 * or a checkout: both apply the repository's own filter drivers (.git/config `filter.x.smudge = <command>`),
 * which would run a student's command as the grader. Not `git worktree add` either: it writes into the
 * student's .git. Links, submodules and paths that climb out are left out.
 */
export interface Commit {
  id: string
  /** The committer date, ISO 8601: when the commit was made, as far as the repository says. */
  committedAt: string
}

/** The options every git call gets: no pager, no prompts, a repository owned by another uid still read. */
const gitEnv = {
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_PAGER: 'cat',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_OPTIONAL_LOCKS: '0',
}
const safe = ['-c', 'safe.directory=*', '-c', 'core.fsmonitor=false']

function git(dir: string, args: readonly string[], encoding: 'utf8' | 'buffer' = 'utf8') {
  return spawnSync('git', [...safe, '-C', dir, ...args], {
    env: gitEnv,
    encoding: encoding === 'utf8' ? 'utf8' : 'buffer',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  })
}

/** Whether the submission folder is the top of a git repository (a clone, with its history). */
export function isGitRepository(dir: string): boolean {
  if (!existsSync(path.join(dir, '.git'))) return false
  const top = git(dir, ['rev-parse', '--show-toplevel'])
  return top.status === 0 && path.resolve(String(top.stdout).trim()) === path.resolve(dir)
}

function commitOf(dir: string, args: readonly string[]): Commit | undefined {
  const result = git(dir, ['log', '-1', '--format=%H %cI', ...args, 'HEAD', '--'])
  const line = String(result.stdout).trim()
  if (result.status !== 0 || !line) return undefined
  const [id, committedAt] = line.split(' ')
  return { id, committedAt }
}

/** The last commit (on HEAD's history) made at or before `due`. */
export function commitBefore(dir: string, due: Date): Commit | undefined {
  return commitOf(dir, [`--before=@${Math.floor(due.getTime() / 1000)}`])
}

export function latestCommit(dir: string): Commit | undefined {
  return commitOf(dir, [])
}

/** At most this much is written from one commit: a repository is a student's exercises, not a data set. */
const maxBytes = 64 * 1024 * 1024

/**
 * The files of `commit` in a temporary folder (removed on dispose), and what was left out. Regular files only,
 * their executable bit kept; `.git` folders, links, submodules and paths that are absolute or climb out skipped.
 */
export function snapshotCommit(dir: string, commit: string): { folder: TemporaryFolder; skipped: string[] } {
  const listing = git(dir, ['ls-tree', '-r', '-z', '--full-tree', commit], 'buffer')
  if (listing.status !== 0) throw new Error(`git ls-tree ${commit} failed: ${String(listing.stderr).trim()}`)
  const folder = new TemporaryFolder('mqtt-course-commit-')
  const skipped: string[] = []
  let total = 0
  try {
    for (const entry of (listing.stdout as Buffer).toString('utf8').split('\0').filter(Boolean)) {
      const tab = entry.indexOf('\t')
      const [mode, type, oid] = entry.slice(0, tab).split(' ')
      const file = entry.slice(tab + 1)
      const parts = file.split('/')
      if (
        type !== 'blob' ||
        (mode !== '100644' && mode !== '100755') ||
        path.isAbsolute(file) ||
        parts.some((part) => part === '..' || part === '.' || part === '' || part === '.git')
      ) {
        skipped.push(
          `${file} (${type === 'commit' ? 'a submodule' : mode === '120000' ? 'a link' : 'not a plain file'})`,
        )
        continue
      }
      const blob = git(dir, ['cat-file', 'blob', oid], 'buffer')
      if (blob.status !== 0) throw new Error(`git cat-file ${oid} (${file}) failed: ${String(blob.stderr).trim()}`)
      total += (blob.stdout as Buffer).length
      if (total > maxBytes)
        throw new Error(`commit ${commit.slice(0, 12)} holds more than ${maxBytes / 1024 / 1024} MiB of files`)
      const target = path.join(folder.path, ...parts)
      mkdirSync(path.dirname(target), { recursive: true })
      writeFileSync(target, blob.stdout as Buffer, { mode: mode === '100755' ? 0o755 : 0o644 })
    }
  } catch (error) {
    folder.remove()
    throw error
  }
  return { folder, skipped }
}
