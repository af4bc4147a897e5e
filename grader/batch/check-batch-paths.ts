import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'

/**
 * The folder reports go to, checked before anything is graded (a cohort's grading must not end in a stack trace
 * an hour in): a folder, or a path one can be made at, that this process can write to, not inside the cohort
 * (it would be taken for a student, or a student's files for reports), and not one of the shards being merged.
 */
export function checkOutFolder(outDir: string, options: { cohortDir?: string; shardDirs?: readonly string[] }): string {
  const out = path.resolve(outDir)
  const real = realOrDeepestExisting(out)
  for (const virtual of ['/proc', '/sys', '/dev']) {
    if (real === virtual || real.startsWith(`${virtual}/`))
      throw outError(outDir, `${virtual} is the kernel's, not a folder for reports`)
  }
  if (existsSync(out) && !statSync(out).isDirectory()) throw outError(outDir, 'it is a file, not a folder')
  if (options.cohortDir !== undefined) {
    const cohort = realpathSync(path.resolve(options.cohortDir))
    if (isInside(real, cohort))
      throw outError(
        outDir,
        `it is inside the cohort folder ${options.cohortDir}, where every folder is a student's submission`,
        'put the reports beside the cohort, e.g. --out reports/',
      )
  }
  for (const shard of options.shardDirs ?? []) {
    const shardReal = realOrDeepestExisting(path.resolve(shard))
    if (isInside(real, shardReal) || isInside(shardReal, real))
      throw outError(
        outDir,
        `it is, or holds, the shard output ${shard} being merged`,
        'merge into a new folder, e.g. --out reports/',
      )
  }
  try {
    mkdirSync(out, { recursive: true })
    const probe = path.join(out, `.mqtt-course-write-test-${process.pid}`)
    writeFileSync(probe, '')
    rmSync(probe)
  } catch (error) {
    throw outError(
      outDir,
      `it cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    )
  }
  return out
}

function outError(
  outDir: string,
  why: string,
  hint = 'give a folder you can write to, outside the cohort, e.g. --out reports/',
): GraderError {
  return new GraderError('USAGE', `--out ${outDir} cannot hold the reports: ${why}`, { hint })
}

function isInside(candidate: string, folder: string): boolean {
  const relative = path.relative(folder, candidate)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

/** The real path of `target`, or of its deepest existing ancestor with the rest appended. */
function realOrDeepestExisting(target: string): string {
  let existing = target
  const rest: string[] = []
  while (!existsSync(existing) && path.dirname(existing) !== existing) {
    rest.unshift(path.basename(existing))
    existing = path.dirname(existing)
  }
  return path.join(realpathSync(existing), ...rest)
}

/**
 * Each student's report folder: the name made safe for every file system, and unique. When two names make the
 * same folder ("Anne Marie" and "Anne_Marie"), the later one in the cohort's order gets "-2" (then "-3"...),
 * and the batch says so. Decided over the whole cohort before sharding, so every shard agrees.
 */
export function assignReportFolders(students: readonly string[]): { folders: Map<string, string>; renamed: string[] } {
  const folders = new Map<string, string>()
  const taken = new Set<string>()
  const renamed: string[] = []
  for (const student of students) {
    const safe = safeFolderName(student)
    let folder = safe
    for (let suffix = 2; taken.has(folder.toLowerCase()); suffix++) folder = `${safe}-${suffix}`
    if (folder !== safe)
      renamed.push(
        `${student} → ${folder}/ (${safe}/ is ${[...folders].find(([, used]) => used.toLowerCase() === safe.toLowerCase())?.[0]}'s)`,
      )
    taken.add(folder.toLowerCase())
    folders.set(student, folder)
  }
  return { folders, renamed }
}

/** A student's name as a folder name on every file system: letters, digits, . _ - kept, the rest `_`. */
export function safeFolderName(student: string): string {
  const safe = student.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_')
  return safe || '_'
}

/**
 * This student's seed: the cohort's seed and their name, hashed. Every student gets other client ids and topics
 * (a program cannot act as a classmate's by knowing its own inputs), and `--seed` still replays the whole batch.
 */
export function studentSeed(cohortSeed: number, student: string): number {
  const digest = createHash('sha256').update(`${cohortSeed}\0${student}`).digest()
  return (digest.readUInt32BE(0) % (2 ** 31 - 2)) + 1
}
