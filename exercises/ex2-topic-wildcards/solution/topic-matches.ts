// Exercise 2, part (a): the MQTT topic matcher. Reference solution.

/** Whether a PUBLISH to `topic` is delivered to a subscription with `filter` (MQTT 3.1.1 and 5.0, section 4.7). */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1]: wildcards at the start of a filter do not reach the broker's own $ topics.
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  const filterLevels = filter.split('/')
  const topicLevels = topic.split('/')
  for (let index = 0; index < filterLevels.length; index++) {
    const level = filterLevels[index]
    // "#" matches what is left, including nothing: "home/#" matches "home".
    if (level === '#') return true
    if (index >= topicLevels.length) return false
    if (level !== '+' && level !== topicLevels[index]) return false
  }
  return filterLevels.length === topicLevels.length
}
