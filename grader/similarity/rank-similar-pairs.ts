import { readFileSync } from 'node:fs'
import path from 'node:path'
import { FingerprintIndex, type TokenizedFile } from '@dodona/dolos-core'
import { listFiles } from '../batch/content-hash.ts'
import { tokenizeCode } from './tokenize-code.ts'

/** The files compared: a student's program, in the languages the grader runs. */
const codeFile = /\.(m|c)?(ts|js)$|\.py$/

/** Dolos's defaults (dolos-lib): k-grams of 23 tokens, one fingerprint kept per window of 17. */
export const kgramLength = 23
export const kgramsInWindow = 17

export interface SimilarPair {
  exerciseId: string
  left: string
  right: string
  /** Dolos's similarity: the share of both sides' k-grams the other side has too, 0 to 1. */
  similarity: number
  /** The longest run of shared k-grams. */
  longest: number
}

/** One student's exercise: all their program files as one, in a stable order, each introduced by its path. */
function submissionFile(student: string, dir: string): TokenizedFile | undefined {
  const files = listFiles(dir).filter((file) => codeFile.test(file))
  if (files.length === 0) return undefined
  const content = files.map((file) => readFileSync(path.join(dir, file), 'utf8')).join('\n')
  return tokenizeCode(`${student}${path.extname(files[0])}`, content)
}

/**
 * The pairs of one exercise's submissions, most similar first, by Dolos's winnowing (@dodona/dolos-core) over
 * structure tokens (tokenize-code.ts). The starter every student received is Dolos's "ignored file": a
 * fingerprint it holds counts for nobody, so two students who changed little of it are not alike for that.
 */
export function rankSimilarPairs(
  exerciseId: string,
  starterDir: string | undefined,
  submissions: readonly { student: string; dir: string }[],
): SimilarPair[] {
  const index = new FingerprintIndex(kgramLength, kgramsInWindow)
  const starter = starterDir ? submissionFile('(starter)', starterDir) : undefined
  if (starter) index.addIgnoredFile(starter)
  const files = new Map<TokenizedFile, string>()
  for (const { student, dir } of submissions) {
    const file = submissionFile(student, dir)
    if (file) files.set(file, student)
  }
  if (files.size < 2) return []
  index.addFiles([...files.keys()])
  return index
    .allPairs()
    .map((pair) => ({
      exerciseId,
      left: files.get(pair.leftFile)!,
      right: files.get(pair.rightFile)!,
      similarity: pair.similarity,
      longest: pair.longest,
    }))
    .sort(
      (a, b) => b.similarity - a.similarity || b.longest - a.longest || (a.left + a.right < b.left + b.right ? -1 : 1),
    )
}
