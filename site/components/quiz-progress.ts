/** A self-check question: one right choice, and why. */
export interface QuizQuestion {
  question: string
  choices: string[]
  /** Index of the right choice. */
  answer: number
  explanation: string
}

/** Just the part of the Web Storage API the quiz uses (localStorage in the browser). */
export interface QuizStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** The first choice made for each question answered so far, by question index. */
export type QuizAnswers = Record<number, number>

export function storageKey(quizId: string): string {
  return `mqtt-course:quiz:${quizId}`
}

/** The answers saved for a quiz; nothing (not an error) when storage is empty, unavailable or corrupt. */
export function loadAnswers(storage: QuizStorage | undefined, quizId: string): QuizAnswers {
  return readAnswers(storage, storageKey(quizId)) ?? {}
}

function readAnswers(storage: QuizStorage | undefined, key: string): QuizAnswers | undefined {
  try {
    const saved = storage?.getItem(key)
    if (!saved) return undefined
    const parsed = JSON.parse(saved) as unknown
    if (typeof parsed !== 'object' || parsed === null) return {}
    return Object.fromEntries(
      Object.entries(parsed).filter(([key, value]) => /^\d+$/.test(key) && Number.isInteger(value)),
    ) as QuizAnswers
  } catch {
    return {}
  }
}

/** Keeps the first choice made for a question (the score counts first tries); later ones change nothing. */
export function saveFirstAnswer(
  storage: QuizStorage | undefined,
  quizId: string,
  question: number,
  choice: number,
): QuizAnswers {
  const saved = loadAnswers(storage, quizId)
  if (question in saved) return saved
  const answers = { ...saved, [question]: choice }
  try {
    storage?.setItem(storageKey(quizId), JSON.stringify(answers))
  } catch {
    // Private browsing or a full storage: the quiz still works, it just forgets.
  }
  return answers
}

export function resetAnswers(storage: QuizStorage | undefined, quizId: string): void {
  try {
    storage?.removeItem(storageKey(quizId))
    storage?.removeItem(roundKey(quizId))
  } catch {
    // As above: nothing to forget.
  }
}

/**
 * "Start over": a new round of answers, shown and scored apart. The first tries stay, so that a student who has
 * seen the answers cannot answer again and claim a first-try score.
 */
export function roundKey(quizId: string): string {
  return `${storageKey(quizId)}:round`
}

export function startOver(storage: QuizStorage | undefined, quizId: string): void {
  write(storage, roundKey(quizId), {})
}

/** The answers of the round started by "Start over", or undefined when the student never started over. */
export function loadRound(storage: QuizStorage | undefined, quizId: string): QuizAnswers | undefined {
  try {
    if (storage?.getItem(roundKey(quizId)) === null || !storage) return undefined
  } catch {
    return undefined
  }
  return readAnswers(storage, roundKey(quizId)) ?? {}
}

/** Records an answer of the current round (the latest choice); undefined when there is no round. */
export function saveRoundAnswer(
  storage: QuizStorage | undefined,
  quizId: string,
  question: number,
  choice: number,
): QuizAnswers | undefined {
  const round = loadRound(storage, quizId)
  if (!round) return undefined
  const answers = { ...round, [question]: choice }
  write(storage, roundKey(quizId), answers)
  return answers
}

function write(storage: QuizStorage | undefined, key: string, answers: QuizAnswers): void {
  try {
    storage?.setItem(key, JSON.stringify(answers))
  } catch {
    // Private browsing or a full storage: the quiz still works, it just forgets.
  }
}

export function score(
  questions: readonly QuizQuestion[],
  answers: QuizAnswers,
): { answered: number; correct: number; total: number } {
  const answered = Object.keys(answers).filter((key) => Number(key) < questions.length)
  return {
    answered: answered.length,
    correct: answered.filter((key) => questions[Number(key)].answer === answers[Number(key)]).length,
    total: questions.length,
  }
}
