import type { IPublishPacket, ISubscribePacket } from 'mqtt-packet'
import { fail } from '../../grader/checks/check-failure.ts'
import type { Harness } from '../../grader/checks/harness.ts'
import { observeTopics } from '../../grader/checks/observe-topics.ts'
import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import { settleCheck } from '../../grader/checks/settle-check.ts'
import { payloadText } from '../../grader/mqtt/packet-guards.ts'
import { topicMatches } from '../../grader/mqtt/topic-filter.ts'
import type { Random } from '../../grader/runner/random.ts'

type Inputs = { CLIENT_ID: string; TOPIC_PREFIX: string; FILTERS: string }

/** A question for the student's topicMatches(), and why the spec answers it the way it does. */
interface MatchCase {
  filter: string
  topic: string
  why: string
}

/** Topic levels that are not ASCII: a matcher compares them like any other. */
const nonAsciiLevels = ['küche', 'büro', 'garaža', 'sótano', '倉庫', 'склад', 'θερμό']

/** The cases of one rule. Words are random; the shapes are fixed, so every run asks the questions that matter. */
function casesFor(rule: 'exact' | 'plus' | 'hash' | 'dollar', random: Random): MatchCase[] {
  // One level is always beyond ASCII: topics are UTF-8 text [MQTT-1.5.4], compared as they are.
  const [a, b, d] = random
    .shuffle(['home', 'plant', 'garden', 'lab', 'barn', 'dock', 'mill', 'shed'])
    .map((w) => `${w}${random.int(1, 9)}`)
  const c = `${random.pick(nonAsciiLevels)}${random.int(1, 9)}`
  switch (rule) {
    case 'exact':
      return [
        {
          filter: `${a}/${b}/${c}`,
          topic: `${a}/${b}/${c}`,
          why: 'a filter without wildcards matches exactly the same topic',
        },
        {
          filter: `${a}/${b}`,
          topic: `${a}/${b}/${c}`,
          why: 'without wildcards, the number of levels must be the same',
        },
        {
          filter: `${a}/${b}/${c}`,
          topic: `${a}/${b}`,
          why: 'without wildcards, the number of levels must be the same',
        },
        { filter: `${a}/${b.toUpperCase()}`, topic: `${a}/${b}`, why: 'topic levels are case-sensitive' },
        {
          filter: `${a}/${b}`,
          topic: `${a}/${b}/`,
          why: 'a trailing "/" adds an empty level: "a/b/" has three levels',
        },
        {
          filter: `${a}//${c}`,
          topic: `${a}/${c}`,
          why: 'an empty level is a level: "a//c" has three levels, "a/c" two',
        },
        {
          filter: `${c}/${b}`,
          topic: `${c}/${b}`,
          why: 'a level may be any UTF-8 text: it matches itself, whatever its letters',
        },
      ]
    case 'plus':
      return [
        { filter: `${a}/+/${c}`, topic: `${a}/${b}/${c}`, why: '"+" matches exactly one level' },
        { filter: `${a}/+/${c}`, topic: `${a}/${b}/${d}/${c}`, why: '"+" matches one level, never two' },
        {
          filter: `${a}/+/${c}`,
          topic: `${a}//${c}`,
          why: '"+" matches one level even when it is empty: "a//c" has an empty middle level',
        },
        { filter: `${a}/+`, topic: a, why: '"+" needs a level to match: "a" has no second level' },
        { filter: '+/+', topic: `/${b}`, why: '"/b" has two levels, the first one empty, so "+/+" matches' },
        { filter: `+/${b}/+`, topic: `${a}/${b}/${c}`, why: '"+" may be the first and the last level too' },
      ]
    case 'hash':
      return [
        { filter: `${a}/#`, topic: a, why: '"#" also matches the level above it: "a/#" matches "a" [MQTT-4.7.1-2]' },
        { filter: `${a}/#`, topic: `${a}/${b}/${c}/${d}`, why: '"#" matches any number of levels' },
        { filter: `${a}/#`, topic: `${a}${b}/${c}`, why: '"#" starts at a level boundary: "ab/c" is not under "a"' },
        { filter: '#', topic: `${a}/${b}/${c}`, why: '"#" alone matches every topic (but those starting with $)' },
        { filter: `${a}/+/#`, topic: `${a}/${b}`, why: '"a/+/#" matches "a/b": "#" matches nothing after b' },
        { filter: `${a}/+/#`, topic: a, why: '"a/+/#" needs a second level for the "+"' },
      ]
    case 'dollar':
      return [
        {
          filter: '#',
          topic: `$SYS/broker/${c}`,
          why: 'a filter starting with "#" does not match topics starting with "$" [MQTT-4.7.2-1]',
        },
        {
          filter: `+/broker/${c}`,
          topic: `$SYS/broker/${c}`,
          why: 'a filter starting with "+" does not match topics starting with "$" [MQTT-4.7.2-1]',
        },
        {
          filter: '$SYS/#',
          topic: `$SYS/broker/${c}`,
          why: 'a filter that names the "$" level matches like any other',
        },
        {
          filter: `$SYS/+/${c}`,
          topic: `$SYS/broker/${c}`,
          why: 'wildcards after an explicit "$" level work as usual',
        },
        {
          filter: `${a}/+`,
          topic: `${a}/$${b}`,
          why: 'only the first level is special: "$b" further down is an ordinary level',
        },
      ]
  }
}

/** Waits until the program has subscribed to the question topic: a question asked earlier reaches nobody. */
async function waitUntilListening(h: Harness<Inputs>): Promise<void> {
  const requests = `${h.inputs.TOPIC_PREFIX}/match/request`
  await h.expectSubscription(requests, {
    description: `a SUBSCRIBE to ${JSON.stringify(requests)} (where the grader asks its questions)`,
  })
}

/** Asks every case over MQTT, then fails with the wrong answers explained, if any. */
async function expectAnswers(h: Harness<Inputs>, rule: 'exact' | 'plus' | 'hash' | 'dollar'): Promise<void> {
  const observer = await h.observer()
  const { TOPIC_PREFIX } = h.inputs
  const cases = h.random.shuffle(casesFor(rule, h.random))
  const wrong: string[] = []
  for (const [index, question] of cases.entries()) {
    const id = h.random.int(1000, 9999) * 10 + index
    const after = observer.trace.cursor
    await observer.publish(
      `${TOPIC_PREFIX}/match/request`,
      JSON.stringify({ id, filter: question.filter, topic: question.topic }),
      { qos: 1 },
      h.signal,
    )
    const response = await h.expectMessage(observer, {
      description: `an answer with "id": ${id} on ${TOPIC_PREFIX}/match/response (the question was topicMatches(${JSON.stringify(question.filter)}, ${JSON.stringify(question.topic)}))`,
      match: (m) => m.topic === `${TOPIC_PREFIX}/match/response` && parseAnswer(m)?.id === id,
      isRelevant: (m) => m.topic === `${TOPIC_PREFIX}/match/response`,
      after,
    })
    const expected = topicMatches(question.filter, question.topic)
    const answer = parseAnswer(response)!.matches
    if (answer !== expected) {
      wrong.push(
        `topicMatches(${JSON.stringify(question.filter)}, ${JSON.stringify(question.topic)}) returned ${answer}, expected ${expected}: ${question.why}`,
      )
    }
  }
  if (wrong.length > 0) {
    fail({
      message: `Your topicMatches() got ${wrong.length} of ${cases.length} answers wrong:\n${wrong.join('\n')}`,
      expected: 'every answer as MQTT section 4.7 says',
      received: `${cases.length - wrong.length} right, ${wrong.length} wrong`,
    })
  }
}

function parseAnswer(message: IPublishPacket): { id: number; matches: unknown } | undefined {
  try {
    const parsed = JSON.parse(payloadText(message)) as { id?: unknown; matches?: unknown }
    return typeof parsed.id === 'number' ? { id: parsed.id, matches: parsed.matches } : undefined
  } catch {
    return undefined
  }
}

/** The data topics the grader publishes in part (b): some match one filter, some match none, none match two. */
function dataTopics(prefix: string, random: Random): { filters: string[]; topics: string[] } {
  const [roomA, roomB] = random.shuffle(['kitchen', 'garage', 'attic', 'cellar', 'porch', 'study'])
  // Topics are UTF-8: the topic your program forwards as text must come out as the same text.
  const roomC = random.pick(nonAsciiLevels)
  const device = random.id('valve')
  const data = `${prefix}/data`
  const filters = [`${data}/+/temperature`, `${data}/${roomA}/#`, `${data}/+/${device}/status`]
  const topics = [
    `${data}/${roomB}/temperature`,
    `${data}/${roomB}/humidity`,
    `${data}/${roomA}`,
    `${data}/${roomA}/lamp/power`,
    `${data}/${roomC}/${device}/status`,
    `${data}/${roomC}/${device}/status/extra`,
    `${data}/${roomC}/temperature/extra`,
    `${data}//temperature`,
    `${data}/${roomB}/${device}`,
    `${prefix}/other/${roomB}/temperature`,
  ]
  return { filters, topics }
}

export default defineExercise<Inputs>({
  id: 'ex2',
  slug: 'topic-wildcards',
  title: 'Topic wildcards',
  summary:
    'Write the MQTT topic matcher (+ and #, empty levels, $ topics), then subscribe with wildcards and forward exactly what they match.',
  lesson: '02-topics-and-wildcards',
  run: {
    entry: 'main.ts',
    inputs: (random) => {
      const prefix = `course/${random.word()}-${random.hex(4)}`
      return {
        CLIENT_ID: random.id('student'),
        TOPIC_PREFIX: prefix,
        FILTERS: dataTopics(prefix, random).filters.join(','),
      }
    },
    deadlineMs: 60_000,
    startsEarly: true,
    clientIdInput: 'CLIENT_ID',
  },
  hints: [
    'Split both strings at "/" and walk the levels side by side; most rules are about what happens when one side runs out of levels.',
    'Three surprises: "+" matches an empty level ("a//c"), "#" matches its parent ("a/#" matches "a"), and a filter starting with a wildcard never matches a topic starting with "$".',
    'For part (b), pass FILTERS.split(",") to client.subscribe() as they are: the broker does the matching for you, with the same rules as your function.',
  ],
  setUp: observeTopics((h) => [`${h.inputs.TOPIC_PREFIX}/match/response`, `${h.inputs.TOPIC_PREFIX}/forwarded`]),
  checks: [
    {
      id: 'connects',
      title: "Your program connects with the client id CLIENT_ID and listens for the grader's questions",
      points: 1,
      covers: [1],
      hint: "Keep the starter's mqtt.connect(url, { clientId: process.env.CLIENT_ID }), and once connected subscribe to TOPIC_PREFIX/match/request: await client.subscribeAsync(requests, { qos: 1 }).",
      lessonSection: 'topic-levels',
      async run(h) {
        await h.program()
        await h.expectConnect()
        await waitUntilListening(h)
      },
    },
    {
      id: 'exact-match',
      title: 'topicMatches() compares plain topics level by level, case-sensitively',
      points: 1,
      covers: [1],
      hint: 'Without wildcards a filter matches only the identical topic: same levels, same case, same number of levels ("a/b/" has three).',
      lessonSection: 'topic-levels',
      timeoutMs: 10_000,
      run: (h) => expectAnswers(h, 'exact'),
    },
    {
      id: 'plus-wildcard',
      title: 'topicMatches() treats "+" as exactly one level, even an empty one',
      points: 2,
      covers: [1],
      hint: '"+" stands for one whole level, whatever it contains, including nothing: "home/+/temp" matches "home//temp" but not "home/a/b/temp".',
      lessonSection: 'the-single-level-wildcard',
      timeoutMs: 10_000,
      run: (h) => expectAnswers(h, 'plus'),
    },
    {
      id: 'hash-wildcard',
      title: 'topicMatches() treats "#" as every remaining level, its parent included',
      points: 2,
      covers: [1],
      hint: 'When the filter level is "#", the answer is true whatever is left of the topic, even nothing: "home/#" matches "home".',
      lessonSection: 'the-multi-level-wildcard',
      timeoutMs: 10_000,
      run: (h) => expectAnswers(h, 'hash'),
    },
    {
      id: 'dollar-topics',
      title: 'topicMatches() keeps $ topics out of filters that start with a wildcard',
      points: 1,
      covers: [1],
      hint: 'Check first: if the topic starts with "$" and the filter starts with "+" or "#", the answer is false.',
      lessonSection: 'sys-topics',
      timeoutMs: 10_000,
      run: (h) => expectAnswers(h, 'dollar'),
    },
    {
      id: 'subscribes-with-filters',
      title: 'Your program subscribes with every filter in FILTERS, as given',
      points: 1,
      covers: [2],
      hint: 'client.subscribe(process.env.FILTERS.split(",")): one SUBSCRIBE can carry them all, and the broker matches for you.',
      lessonSection: 'subscribing-with-wildcards',
      async run(h) {
        const filters = h.inputs.FILTERS.split(',')
        const subscribed = (): string[] =>
          h.tap.trace
            .packets(
              (e) => e.direction === 'to-broker' && e.packet.cmd === 'subscribe' && h.isTaskConnection(e.connection),
            )
            .flatMap((e) => (e.packet as ISubscribePacket).subscriptions.map((s) => s.topic))
        for (const filter of filters) {
          await h
            .expectPacket({
              from: 'program',
              description: `a SUBSCRIBE to ${JSON.stringify(filter)}`,
              match: (packet): packet is ISubscribePacket =>
                packet.cmd === 'subscribe' && packet.subscriptions.some((s) => s.topic === filter),
            })
            .catch((error: unknown) => {
              const made = subscribed().filter((topic) => !topic.endsWith('/match/request'))
              if (made.length === 0) throw error
              fail({
                message: `Your program did not subscribe to ${JSON.stringify(filter)}. It subscribed to ${made.map((t) => JSON.stringify(t)).join(', ')}: subscribe to the filters in FILTERS exactly as they are, and let the broker do the matching.`,
                expected: filters.map((f) => JSON.stringify(f)).join(', '),
                received: made.map((t) => JSON.stringify(t)).join(', '),
              })
            })
        }
      },
    },
    {
      id: 'forwards-matching',
      title: 'Your program forwards exactly the messages its subscriptions match, and nothing else',
      points: 1,
      covers: [2],
      hint: 'Every message that is not a match question came through one of your subscriptions: publish its topic to TOPIC_PREFIX/forwarded, without filtering it again.',
      lessonSection: 'subscribing-with-wildcards',
      timeoutMs: 10_000,
      async run(h) {
        const { TOPIC_PREFIX } = h.inputs
        const filters = h.inputs.FILTERS.split(',')
        const { topics } = dataTopics(TOPIC_PREFIX, h.random)
        const forwardedTopic = `${TOPIC_PREFIX}/forwarded`
        const observer = await h.observer()
        const after = observer.trace.cursor
        // The last message matches: once it is forwarded, everything published before it has been handled.
        const sentinel = `${TOPIC_PREFIX}/data/${filters[1].split('/').at(-2)}/last-${h.random.hex(4)}`
        const published = [...h.random.shuffle(topics), sentinel]
        for (const topic of published)
          await observer.publish(topic, `reading ${h.random.int(1, 99)}`, { qos: 1 }, h.signal)
        const expected = published.filter((topic) => filters.some((filter) => topicMatches(filter, topic)))
        const forwarded = () =>
          observer
            .messages(after)
            .filter((m) => m.topic === forwardedTopic)
            .map(payloadText)
        for (const topic of expected) {
          await h.expectMessage(observer, {
            description: `${JSON.stringify(topic)} on ${forwardedTopic} (it matches ${filters.find((f) => topicMatches(f, topic))})`,
            match: (m) => m.topic === forwardedTopic && payloadText(m) === topic,
            isRelevant: (m) => m.topic === forwardedTopic,
            after,
          })
        }
        await h.expectNoMessage(observer, {
          description: 'a forwarded topic that none of the filters matches',
          match: (m) => m.topic === forwardedTopic && !expected.includes(payloadText(m)),
          after,
          because: `only ${expected.length} of the ${published.length} topics the grader published match your filters; forward only what your subscriptions deliver`,
        })
        const counts = new Map<string, number>()
        for (const topic of forwarded()) counts.set(topic, (counts.get(topic) ?? 0) + 1)
        const twice = [...counts].filter(([, count]) => count > 1).map(([topic]) => topic)
        if (twice.length > 0)
          fail({
            message: `Your program forwarded ${twice.map((t) => JSON.stringify(t)).join(', ')} more than once: forward each message once.`,
            expected: 'each topic once',
            received: twice.join(', '),
          })
      },
    },
    settleCheck({ covers: [3], lessonSection: 'subscribing-with-wildcards' }),
  ],
})
