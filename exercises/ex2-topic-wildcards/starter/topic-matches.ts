// Exercise 2, part (a): the MQTT topic matcher. The grader asks your program about many filter/topic pairs.

/**
 * Whether a PUBLISH to `topic` is delivered to a subscription with `filter` (MQTT 3.1.1 and 5.0, section 4.7).
 * Both are split into levels at every "/": "home/kitchen/temp" has the levels home, kitchen and temp.
 */
export function topicMatches(filter: string, topic: string): boolean {
  // TODO: Compare level by level. A level of the filter matches the same level of the topic when:
  //       - it is equal to it (levels are case-sensitive: "Kitchen" is not "kitchen");
  //       - it is "+": exactly one level, whatever it holds, even nothing ("home//temp" has an empty level).
  // TODO: "#" is always the last level of a filter and matches every remaining level, and also the level
  //       above it: "home/#" matches "home", "home/kitchen" and "home/kitchen/temp".
  // TODO: Topics starting with "$" ($SYS/...) belong to the broker: a filter that starts with + or # does not
  //       match them. "$SYS/#" does.
  return filter === topic
}
