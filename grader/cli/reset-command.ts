import { execFile } from 'node:child_process'
import { cp, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises'
import path from 'node:path'
import { createInterface } from 'node:readline/promises'
import { parseArgs, promisify } from 'node:util'
import { GraderError } from '../errors/grader-error.ts'
import { describeParseError } from './parse-grade-args.ts'
import { listExerciseFolders, resolveExerciseFolder } from '../exercises/load-exercises.ts'
import { stateDir } from '../progress/progress-store.ts'
import { courseRoot } from '../course/course-root.ts'

const run = promisify(execFile)

/**
 * `npm run reset -- ex3`: the starter as the course ships it, back in exercises/ex3-qos/starter. Nothing is
 * deleted: the student's folder moves to .mqtt-course/backups/<time>/ first. The starter comes from git (the
 * course's last commit), which every clone of the course has. On a terminal it asks; elsewhere it needs --yes.
 */
export async function runResetCommand(args: readonly string[]): Promise<number> {
  const example = `e.g. npm run reset -- ${listExerciseFolders()[0]?.id ?? 'ex1'}`
  let parsed
  try {
    parsed = parseArgs({
      args: [...args],
      options: { yes: { type: 'boolean', short: 'y' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new GraderError('USAGE', describeParseError(error as Error), { hint: `${example} [--yes]` })
  }
  if (parsed.positionals.length !== 1) {
    throw new GraderError(
      'USAGE',
      parsed.positionals.length
        ? `reset one exercise at a time; got "${parsed.positionals.join(' ')}"`
        : 'say which exercise to reset',
      { hint: example },
    )
  }
  const folder = resolveExerciseFolder(parsed.positionals[0])
  const starter = path.join('exercises', folder.folder, 'starter')
  const shipped = await shippedFiles(starter)
  if (await isUnchanged(starter, shipped)) {
    process.stdout.write(`${starter} is already the starter as the course ships it: nothing to reset.\n`)
    return 0
  }
  const backup = path.join(
    path.relative(courseRoot, stateDir),
    'backups',
    new Date().toISOString().replace(/[:.]/g, '-'),
    folder.folder,
    'starter',
  )
  if (!parsed.values.yes) {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new GraderError('USAGE', `reset replaces your work in ${starter}: confirm with --yes`, {
        hint: `npm run reset -- ${folder.id} --yes (your files are moved to ${path.join(path.relative(courseRoot, stateDir), 'backups')}/, not deleted)`,
      })
    }
    const prompt = createInterface({ input: process.stdin, output: process.stdout })
    const answer = await prompt
      .question(`Move your work in ${starter} to ${backup} and restore the starter? [y/N] `)
      .finally(() => prompt.close())
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stdout.write('Nothing changed.\n')
      return 1
    }
  }
  await mkdir(path.dirname(path.join(courseRoot, backup)), { recursive: true })
  await moveFolder(path.join(courseRoot, starter), path.join(courseRoot, backup))
  await git(['checkout', 'HEAD', '--', starter])
  process.stdout.write(`Your work is in ${backup}\n${starter} is the starter again.\n`)
  return 0
}

/** The starter's files in the course's last commit, relative to the starter folder. */
async function shippedFiles(starter: string): Promise<string[]> {
  const listing = await git(['ls-tree', '-r', '-z', '--name-only', 'HEAD', '--', starter])
  const files = listing
    .split('\0')
    .filter(Boolean)
    .map((file) => path.relative(starter, file))
  if (files.length === 0) {
    throw new GraderError('CANNOT_RESET', `the course's last commit has no ${starter}`, {
      hint: `copy ${starter} from a fresh copy of the course`,
    })
  }
  return files
}

/** Same files, same bytes: nothing to move. */
async function isUnchanged(starter: string, shipped: readonly string[]): Promise<boolean> {
  const present = await listFiles(path.join(courseRoot, starter))
  if (present.length !== shipped.length || present.some((file) => !shipped.includes(file))) return false
  for (const file of shipped) {
    const [committed, current] = await Promise.all([
      git(['show', `HEAD:./${path.posix.join(...starter.split(path.sep), ...file.split(path.sep))}`], 'buffer'),
      readFile(path.join(courseRoot, starter, file)),
    ])
    if (!current.equals(committed)) return false
  }
  return true
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true }).catch(() => [])
  const files: string[] = []
  for (const entry of entries) {
    const relative = path.join(prefix, entry.name)
    files.push(...(entry.isDirectory() ? await listFiles(dir, relative) : [relative]))
  }
  return files
}

async function moveFolder(from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error
    await cp(from, to, { recursive: true })
    await rm(from, { recursive: true })
  }
}

function git(args: string[]): Promise<string>
function git(args: string[], encoding: 'buffer'): Promise<Buffer>
async function git(args: string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<string | Buffer> {
  try {
    return (await run('git', args, { cwd: courseRoot, encoding, maxBuffer: 64 * 1024 * 1024 })).stdout
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'git is not installed'
        : `git ${args[0]} failed: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`
    throw new GraderError('CANNOT_RESET', `reset takes the starter from the course's git history, and ${reason}`, {
      hint: 'reset needs the course as a git clone (git clone <course url>); or copy the starter from a fresh copy of the course',
    })
  }
}
