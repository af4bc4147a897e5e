import type { QuizQuestion } from './quiz-progress.ts'

/**
 * Puts each question's right answer in a position chosen for the whole quiz: every position gets its share
 * (A, B, C and D about equally often), in an order that looks random but is the same on every build (seeded by
 * the quiz id), so that saved answers stay valid. Authors write the right answer wherever it reads best.
 */
export function arrangeQuiz(quizId: string, questions: readonly QuizQuestion[]): QuizQuestion[] {
  const random = seededRandom(quizId)
  const width = Math.max(...questions.map((question) => question.choices.length))
  // Seeded where the cycle starts: a quiz of one or two questions must not always put its answer first.
  const offset = Math.floor(random() * width)
  const slots = shuffle(
    questions.map((_, index) => (index + offset) % width),
    random,
  )
  return questions.map((question, index) => {
    const target = slots[index] % question.choices.length
    const wrong = shuffle(
      question.choices.filter((_, choice) => choice !== question.answer),
      random,
    )
    const choices = [...wrong.slice(0, target), question.choices[question.answer], ...wrong.slice(target)]
    return { ...question, choices, answer: target }
  })
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const result = [...items]
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1))
    ;[result[index], result[other]] = [result[other], result[index]]
  }
  return result
}

/** mulberry32, seeded with the FNV-1a hash of `seed`: small, fast, and the same everywhere. */
function seededRandom(seed: string): () => number {
  let state = 0x811c9dc5
  for (const char of seed) state = Math.imul(state ^ char.charCodeAt(0), 0x01000193) >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
