// @fails plus-wildcard: a regular expression where "+" needs at least one character, so "a//c" does not match
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  const pattern = filter
    .split('/')
    .map((level) => (level === '+' ? '[^/]+' : level === '#' ? '.*' : level.replace(/[.*?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
    .replace(/\/\.\*$/, '(/.*)?')
  return new RegExp(`^${pattern}$`).test(topic)
}
