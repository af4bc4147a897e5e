import { topicMatches, validateTopicFilter, validateTopicName } from '../../grader/mqtt/topic-filter.ts'

export interface TopicVerdict {
  topic: string
  matches: boolean
  /** Why the topic cannot be published to at all (it holds a wildcard, it is empty...). */
  problem?: string
}

export interface FilterEvaluation {
  /** Why the filter is not a valid subscription, or undefined. */
  filterProblem: string | undefined
  verdicts: TopicVerdict[]
}

/**
 * What the WildcardTester shows: for a filter and some topics (one per line), which ones a subscription with
 * that filter would receive. The matching is the grader's own (grader/mqtt/topic-filter.ts).
 */
export function evaluateFilter(filter: string, topicsText: string): FilterEvaluation {
  const topics = topicsText.split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line.length > 0)
  return {
    filterProblem: validateTopicFilter(filter),
    verdicts: topics.map((topic) => {
      const problem = validateTopicName(topic)
      return problem ? { topic, matches: false, problem } : { topic, matches: topicMatches(filter, topic) }
    }),
  }
}
