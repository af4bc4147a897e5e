import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { GraderError } from '../errors/grader-error.ts'
import type { Shard } from './parse-batch-args.ts'

export interface SubmissionFolder {
  /** The folder's name: the student. */
  student: string
  dir: string
}

/**
 * The submissions of a cohort: its subfolders, in a stable order (code-point order of the names, the same on
 * every machine and locale), so that shards and gradebooks agree everywhere.
 */
export function findSubmissions(cohortDir: string): { submissions: SubmissionFolder[]; skipped: string[] } {
  let entries
  try {
    if (!statSync(cohortDir).isDirectory()) throw new Error('not a folder')
    entries = readdirSync(cohortDir, { withFileTypes: true })
  } catch {
    throw new GraderError('NO_SUBMISSION', `${cohortDir} is not a folder`, {
      hint: 'give the folder that holds one subfolder per student, e.g. npm run batch -- submissions/',
    })
  }
  // Nothing is left out without a word: what is not a student's folder is listed, with why.
  const skipped: string[] = []
  const submissions: SubmissionFolder[] = []
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name === 'node_modules') skipped.push(`${entry.name}/ (installed packages, not a student)`)
    else if (entry.name.startsWith('.'))
      skipped.push(
        `${entry.name}${entry.isDirectory() ? '/' : ''} (hidden: its name starts with a dot; rename it to grade it)`,
      )
    else if (!entry.isDirectory())
      skipped.push(
        `${entry.name} (${entry.isSymbolicLink() ? 'a link: links are not followed' : 'a file, not a folder: one folder per student'})`,
      )
    else submissions.push({ student: entry.name, dir: path.join(cohortDir, entry.name) })
  }
  if (submissions.length === 0) {
    throw new GraderError('NO_SUBMISSION', `${cohortDir} holds no submission folder`, {
      hint: `put one folder per student in it: ${path.join(cohortDir, 'alice')}/, ${path.join(cohortDir, 'bob')}/, ...`,
    })
  }
  return { submissions, skipped }
}

/** The i-th of n slices, round robin over the stable order: deterministic, and every slice is the same size ± 1. */
export function selectShard<T>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...items]
  return items.filter((_, position) => position % shard.count === shard.index - 1)
}
