import type { TopicVerdict } from './wildcard-evaluation.ts'

/** The words after a topic in the WildcardTester, the same on the server-rendered page and after an edit. */
export function describeVerdict(verdict: TopicVerdict): string {
  if (verdict.problem) return `not a topic: ${verdict.problem}`
  if (verdict.matches) return 'matches'
  return `does not match: ${verdict.reason}`
}
