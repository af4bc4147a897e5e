import { topicMatches, validateTopicFilter, validateTopicName } from '../../grader/mqtt/topic-filter.ts'

export interface TopicVerdict {
  topic: string
  matches: boolean
  /** Why the topic cannot be published to at all (it holds a wildcard, it is empty...). */
  problem?: string
  /** Why a valid topic does not match: which level differs, or the `$` rule. */
  reason?: string
}

export interface FilterEvaluation {
  /** Why the filter is not a valid subscription, or undefined. */
  filterProblem: string | undefined
  /** One per topic; none while the filter is invalid (an invalid filter is refused, it matches nothing). */
  verdicts: TopicVerdict[]
}

/**
 * What the WildcardTester shows: for a filter and some topics (one per line), which ones a subscription with
 * that filter would receive, and why the others would not. The matching is the grader's own
 * (grader/mqtt/topic-filter.ts); the reasons only explain its answer.
 */
export function evaluateFilter(filter: string, topicsText: string): FilterEvaluation {
  const topics = topicsText
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.length > 0)
  const filterProblem = validateTopicFilter(filter)
  if (filterProblem) return { filterProblem, verdicts: [] }
  return {
    filterProblem,
    verdicts: topics.map((topic) => {
      const problem = validateTopicName(topic)
      if (problem) return { topic, matches: false, problem }
      return topicMatches(filter, topic)
        ? { topic, matches: true }
        : { topic, matches: false, reason: explainMismatch(filter, topic) }
    }),
  }
}

/** Why a valid topic does not match a valid filter, in one sentence. */
export function explainMismatch(filter: string, topic: string): string {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) {
    return `topics that start with $ are the broker's own: a filter that starts with ${filter[0]} never matches them; subscribe to ${topic.split('/')[0]}/... explicitly`
  }
  const filterLevels = filter.split('/')
  const topicLevels = topic.split('/')
  for (let index = 0; index < filterLevels.length; index++) {
    const wanted = filterLevels[index]
    if (wanted === '#') break
    if (index >= topicLevels.length) {
      return `the topic has ${count(topicLevels.length)}, the filter needs ${count(filterLevels.filter((level) => level !== '#').length)}${wanted === '+' ? ' (+ stands for exactly one level, which must be there, even if empty)' : ''}`
    }
    if (wanted !== '+' && wanted !== topicLevels[index]) {
      return `level ${index + 1} is ${show(topicLevels[index])}, the filter wants ${show(wanted)}`
    }
  }
  return `the topic has ${count(topicLevels.length)}, the filter only ${count(filterLevels.length)}: + matches one level; end the filter with /# to match deeper topics`
}

const count = (levels: number) => `${levels} level${levels === 1 ? '' : 's'}`
const show = (level: string) => (level === '' ? 'empty' : `"${level}"`)
