/**
 * The one topic matcher of the course: the grader's checks, the WildcardTester on the site and the tests all use
 * it, so they cannot disagree. It follows MQTT 3.1.1 section 4.7 and MQTT 5.0 section 4.7.
 */

/** Why a topic filter is invalid, or undefined when it is valid. [MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.3-1] */
export function validateTopicFilter(filter: string): string | undefined {
  if (filter.length === 0) return 'a topic filter must be at least one character long'
  if (filter.includes('\u0000')) return 'a topic filter must not contain the null character'
  const levels = filter.split('/')
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) {
      return "'#' must be a whole level and the last one (like sensors/#)"
    }
    if (level.includes('+') && level !== '+') return "'+' must be a whole level (like home/+/temp)"
  }
  return undefined
}

/** Why a topic name (what a PUBLISH carries) is invalid, or undefined. [MQTT-3.3.2-2], [MQTT-4.7.3-1] */
export function validateTopicName(topic: string): string | undefined {
  if (topic.length === 0) return 'a topic name must be at least one character long'
  if (topic.includes('+') || topic.includes('#')) return 'a topic name must not contain the wildcards + or #'
  if (topic.includes('\u0000')) return 'a topic name must not contain the null character'
  return undefined
}

/**
 * Whether `topic` matches `filter`.
 * - `+` matches exactly one level, which may be empty: `a/+/c` matches `a//c`.
 * - `#` matches the parent level and every level below: `a/#` matches `a`, `a/b` and `a/b/c`.
 * - A filter that starts with a wildcard does not match topics that start with `$` [MQTT-4.7.2-1].
 * Invalid filters match nothing.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (validateTopicFilter(filter) !== undefined || validateTopicName(topic) !== undefined) return false
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  const filterLevels = filter.split('/')
  const topicLevels = topic.split('/')
  for (let index = 0; index < filterLevels.length; index++) {
    const level = filterLevels[index]
    if (level === '#') return true
    if (index >= topicLevels.length) return false
    if (level !== '+' && level !== topicLevels[index]) return false
  }
  return filterLevels.length === topicLevels.length
}
