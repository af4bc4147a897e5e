import { describe, expect, it } from 'vitest'
import { qosExchanges } from '../../site/components/qos-exchanges.ts'
import {
  type QuizQuestion,
  type QuizStorage,
  loadAnswers,
  loadRound,
  resetAnswers,
  saveFirstAnswer,
  saveRoundAnswer,
  score,
  startOver,
  storageKey,
} from '../../site/components/quiz-progress.ts'
import { arrangeQuiz } from '../../site/components/quiz-arrangement.ts'
import { evaluateFilter } from '../../site/components/wildcard-evaluation.ts'

describe('WildcardTester logic', () => {
  it('answers with the grader matcher, one verdict per non-empty line', () => {
    const result = evaluateFilter(
      'home/+/temperature',
      'home/kitchen/temperature\n\nhome//temperature\nhome/a/b/temperature\r\n$SYS/x/temperature',
    )
    expect(result.filterProblem).toBeUndefined()
    expect(result.verdicts.map((v) => [v.topic, v.matches])).toEqual([
      ['home/kitchen/temperature', true],
      ['home//temperature', true],
      ['home/a/b/temperature', false],
      ['$SYS/x/temperature', false],
    ])
  })

  it('explains an invalid filter and gives no verdict while it is invalid; a wildcard topic is not a topic', () => {
    const invalid = evaluateFilter('home/#/x', 'home/a/x')
    expect(invalid.filterProblem).toBe("'#' must be a whole level and the last one (like sensors/#)")
    expect(invalid.verdicts).toEqual([])
    expect(evaluateFilter('home/+/x', 'home/+/x').verdicts[0]).toEqual({
      topic: 'home/+/x',
      matches: false,
      problem: 'a topic name must not contain the wildcards + or #',
    })
  })

  it('says why a topic does not match: the level that differs, a missing or extra level, the $ rule', () => {
    const reasons = evaluateFilter(
      'home/+/temperature',
      'home/kitchen/humidity\nhome/kitchen\nhome/kitchen/fridge/temperature\noffice/kitchen/temperature',
    ).verdicts.map((v) => v.reason)
    expect(reasons).toEqual([
      'level 3 is "humidity", the filter wants "temperature"',
      'the topic has 2 levels, the filter needs 3 levels',
      'level 3 is "fridge", the filter wants "temperature"',
      'level 1 is "office", the filter wants "home"',
    ])
    expect(evaluateFilter('home/+', 'home').verdicts[0].reason).toBe(
      'the topic has 1 level, the filter needs 2 levels (+ stands for exactly one level, which must be there, even if empty)',
    )
    expect(evaluateFilter('home/+', 'home/a/b').verdicts[0].reason).toBe(
      'the topic has 3 levels, the filter only 2 levels: + matches one level; end the filter with /# to match deeper topics',
    )
    expect(evaluateFilter('#', '$SYS/broker/uptime').verdicts[0].reason).toContain(
      "topics that start with $ are the broker's own: a filter that starts with # never matches them",
    )
    expect(evaluateFilter('sport/#', 'sports').verdicts[0].reason).toBe('level 1 is "sports", the filter wants "sport"')
    expect(evaluateFilter('a//c', 'a/b/c').verdicts[0].reason).toBe('level 2 is "b", the filter wants empty')
  })
})

describe('QosSequence data', () => {
  const packets = (id: keyof typeof qosExchanges) =>
    qosExchanges[id].steps.map((s) => `${s.packet.split(' ')[0]}${s.lost ? ' (lost)' : ''}`)

  it('has the exchanges of MQTT section 4.3, alternating sender and receiver', () => {
    expect(packets('0')).toEqual(['PUBLISH'])
    expect(packets('1')).toEqual(['PUBLISH', 'PUBACK'])
    expect(packets('2')).toEqual(['PUBLISH', 'PUBREC', 'PUBREL', 'PUBCOMP'])
    for (const id of ['0', '1', '2', '1-lost-puback', '2-resent-publish'] as const) {
      for (const [index, step] of qosExchanges[id].steps.entries())
        expect(step.from, `${id} step ${index + 1}`).toBe(index % 2 === 0 ? 'sender' : 'receiver')
    }
  })

  it('shows the failure paths: a lost PUBACK resent with DUP=1, a lost PUBREC recognised by its packet id', () => {
    expect(packets('1-lost-puback')).toEqual(['PUBLISH', 'PUBACK (lost)', 'PUBLISH', 'PUBACK'])
    expect(qosExchanges['1-lost-puback'].steps[2].packet).toContain('DUP=1')
    expect(qosExchanges['1-lost-puback'].steps[2].packet).toContain('id 7')
    expect(packets('2-resent-publish')).toEqual(['PUBLISH', 'PUBREC (lost)', 'PUBLISH', 'PUBREC', 'PUBREL', 'PUBCOMP'])
    expect(qosExchanges['2-resent-publish'].steps[2].packet).toBe('PUBLISH (QoS 2, id 9, DUP=1)')
    expect(qosExchanges['2-resent-publish'].steps[3].note).toContain('does not deliver the message a second time')
  })

  it('shows two hops with their own packet ids, delivered at the lower QoS', () => {
    const hops = qosExchanges['two-hops'].steps
    expect(hops.map((s) => `${s.from}→${s.to} ${s.packet}`)).toEqual([
      'publisher→broker PUBLISH (QoS 2, id 9)',
      'broker→publisher PUBREC (id 9)',
      'broker→subscriber PUBLISH (QoS 1, id 3)',
      'subscriber→broker PUBACK (id 3)',
      'publisher→broker PUBREL (id 9)',
      'broker→publisher PUBCOMP (id 9)',
    ])
  })
})

describe('Quiz progress', () => {
  /** The Web Storage contract, kept in memory (the browser's localStorage is exercised end to end). */
  class MemoryStorage implements QuizStorage {
    readonly items = new Map<string, string>()
    getItem(key: string) {
      return this.items.get(key) ?? null
    }
    setItem(key: string, value: string) {
      this.items.set(key, value)
    }
    removeItem(key: string) {
      this.items.delete(key)
    }
  }
  const questions: QuizQuestion[] = [
    { question: 'a', choices: ['x', 'y'], answer: 1, explanation: '' },
    { question: 'b', choices: ['x', 'y'], answer: 0, explanation: '' },
  ]

  it('keeps answers per quiz, scores them, and forgets them on reset', () => {
    const storage = new MemoryStorage()
    saveFirstAnswer(storage, 'q1', 0, 1)
    saveFirstAnswer(storage, 'q1', 1, 1)
    saveFirstAnswer(storage, 'other', 0, 0)
    expect(loadAnswers(storage, 'q1')).toEqual({ 0: 1, 1: 1 })
    expect(score(questions, loadAnswers(storage, 'q1'))).toEqual({ answered: 2, correct: 1, total: 2 })
    resetAnswers(storage, 'q1')
    expect(loadAnswers(storage, 'q1')).toEqual({})
    expect(loadAnswers(storage, 'other')).toEqual({ 0: 0 })
  })

  it('survives corrupt or missing storage', () => {
    const storage = new MemoryStorage()
    storage.setItem(storageKey('q1'), '{not json')
    expect(loadAnswers(storage, 'q1')).toEqual({})
    storage.setItem(storageKey('q1'), JSON.stringify({ 0: 1, x: 2, 1: 'a' }))
    expect(loadAnswers(storage, 'q1')).toEqual({ 0: 1 })
    expect(saveFirstAnswer(undefined, 'q1', 0, 1)).toEqual({ 0: 1 })
  })

  it('scores the first try: checking again after seeing the answer does not raise the score', () => {
    const storage = new MemoryStorage()
    saveFirstAnswer(storage, 'q1', 0, 0) // wrong
    expect(saveFirstAnswer(storage, 'q1', 0, 1)).toEqual({ 0: 0 }) // the right one, second try
    expect(score(questions, loadAnswers(storage, 'q1'))).toEqual({ answered: 1, correct: 0, total: 2 })
  })

  it('"Start over" clears the answers shown but keeps the first tries: revealed answers never make a first-try score', () => {
    const storage = new MemoryStorage()
    saveFirstAnswer(storage, 'q1', 0, 0) // wrong, and the answer is revealed
    expect(loadRound(storage, 'q1')).toBeUndefined()
    startOver(storage, 'q1')
    expect(loadRound(storage, 'q1')).toEqual({})
    saveFirstAnswer(storage, 'q1', 0, 1)
    saveFirstAnswer(storage, 'q1', 1, 0)
    expect(saveRoundAnswer(storage, 'q1', 0, 1)).toEqual({ 0: 1 })
    expect(saveRoundAnswer(storage, 'q1', 1, 0)).toEqual({ 0: 1, 1: 0 })
    // Question 1 was a first try; question 0 was not.
    expect(score(questions, loadAnswers(storage, 'q1'))).toEqual({ answered: 2, correct: 1, total: 2 })
    expect(score(questions, loadRound(storage, 'q1')!)).toEqual({ answered: 2, correct: 2, total: 2 })
    resetAnswers(storage, 'q1')
    expect(loadRound(storage, 'q1')).toBeUndefined()
  })

  it('puts the right answer in every position about equally often, the same way on every build', () => {
    const many: QuizQuestion[] = Array.from({ length: 22 }, (_, index) => ({
      question: `q${index}`,
      choices: ['right', 'w1', 'w2', 'w3'],
      answer: 0,
      explanation: '',
    }))
    const arranged = arrangeQuiz('lesson-x', many)
    const counts = [0, 1, 2, 3].map((position) => arranged.filter((q) => q.answer === position).length)
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1)
    for (const question of arranged) {
      expect(question.choices[question.answer]).toBe('right')
      expect([...question.choices].sort()).toEqual(['right', 'w1', 'w2', 'w3'])
    }
    expect(arrangeQuiz('lesson-x', many)).toEqual(arranged)
    expect(arrangeQuiz('lesson-y', many).map((q) => q.answer)).not.toEqual(arranged.map((q) => q.answer))
  })
})
