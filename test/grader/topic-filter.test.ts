import { describe, expect, it } from 'vitest'
import { topicMatches, validateTopicFilter, validateTopicName } from '../../grader/mqtt/topic-filter.ts'

describe('topicMatches (MQTT 3.1.1 and 5.0, section 4.7)', () => {
  const cases: Array<[filter: string, topic: string, matches: boolean]> = [
    ['home/kitchen/temp', 'home/kitchen/temp', true],
    ['home/kitchen/temp', 'home/Kitchen/temp', false],
    ['home/+/temp', 'home/kitchen/temp', true],
    ['home/+/temp', 'home/kitchen/fridge/temp', false],
    ['home/+/temp', 'home//temp', true], // + matches one empty level
    ['home/+', 'home/', true],
    ['home/+', 'home', false],
    ['+', 'home', true],
    ['+', '/home', false],
    ['+/+', '/home', true],
    ['home/#', 'home', true], // # matches the parent level [MQTT-4.7.1-2]
    ['home/#', 'home/kitchen/temp', true],
    ['home/#', 'homes/kitchen', false],
    ['#', 'anything/at/all', true],
    ['#', '$SYS/broker/uptime', false], // [MQTT-4.7.2-1]
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['$SYS/+/uptime', '$SYS/broker/uptime', true],
    ['home/#/temp', 'home/a/temp', false], // invalid filter matches nothing
    ['home/kit+', 'home/kit+', false],
    ['home/temp', 'home/temp/', false],
  ]
  for (const [filter, topic, matches] of cases) {
    it(`${JSON.stringify(filter)} ${matches ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`, () => {
      expect(topicMatches(filter, topic)).toBe(matches)
    })
  }

  it('says why a filter or a topic name is invalid', () => {
    expect(validateTopicFilter('a/#/b')).toBe("'#' must be a whole level and the last one (like sensors/#)")
    expect(validateTopicFilter('a/b#')).toBe("'#' must be a whole level and the last one (like sensors/#)")
    expect(validateTopicFilter('a/+b')).toBe("'+' must be a whole level (like home/+/temp)")
    expect(validateTopicFilter('')).toBe('a topic filter must be at least one character long')
    expect(validateTopicFilter('a/+/#')).toBeUndefined()
    expect(validateTopicName('a/+/c')).toBe('a topic name must not contain the wildcards + or #')
    expect(validateTopicName('a//c')).toBeUndefined()
  })
})
