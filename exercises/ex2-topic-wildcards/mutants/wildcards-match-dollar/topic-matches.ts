// @fails dollar-topics: no special case for topics starting with $, so "#" matches $SYS/...

/** Whether a PUBLISH to `topic` is delivered to a subscription with `filter` (MQTT 3.1.1 and 5.0, section 4.7). */
export function topicMatches(filter: string, topic: string): boolean {
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
