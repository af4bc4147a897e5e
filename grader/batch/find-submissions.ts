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
export function findSubmissions(cohortDir: string): SubmissionFolder[] {
  let entries
  try {
    if (!statSync(cohortDir).isDirectory()) throw new Error('not a folder')
    entries = readdirSync(cohortDir, { withFileTypes: true })
  } catch {
    throw new GraderError('NO_SUBMISSION', `${cohortDir} is not a folder`, { hint: 'give the folder that holds one subfolder per student, e.g. npm run batch -- submissions/' })
  }
  const submissions = entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
    .map((entry) => ({ student: entry.name, dir: path.join(cohortDir, entry.name) }))
    .sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0))
  if (submissions.length === 0) {
    throw new GraderError('NO_SUBMISSION', `${cohortDir} holds no submission folder`, { hint: `put one folder per student in it: ${path.join(cohortDir, 'alice')}/, ${path.join(cohortDir, 'bob')}/, ...` })
  }
  return submissions
}

/** The i-th of n slices, round robin over the stable order: deterministic, and every slice is the same size ± 1. */
export function selectShard<T>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...items]
  return items.filter((_, position) => position % shard.count === shard.index - 1)
}
