import type { TraceEvent } from '../wiretap/wire-trace.ts'

export interface FailureDetails {
  /** What went wrong, in a sentence that tells the student what to do: "Your CONNECT has no will: ...". */
  message: string
  expected?: string
  received?: string
  /** The packets to quote; by default the end of the student's trace. */
  trace?: readonly TraceEvent[]
  /**
   * Set when the check failed because the program crashed (exited with an error) before it could be judged:
   * the report then gives the crash's hint, not the check's, which is about something the program never reached.
   */
  isCrash?: boolean
}

/** The hint for a check the program crashed during: the check's own hint would be about another mistake. */
export const crashHint =
  'Your program crashed before the grader could see this part work: its error is in its output below ([your program]). Run it by hand (the README\'s "Run it") to see the whole stack trace, and fix that first.'

/**
 * Thrown inside a check to end it as `failed`. It never escapes the check runner: to everything outside,
 * a failed check is a result.
 */
export class CheckFailure extends Error {
  readonly details: FailureDetails
  constructor(details: FailureDetails) {
    super(details.message)
    this.name = 'CheckFailure'
    this.details = details
  }
}

export function fail(details: FailureDetails | string): never {
  throw new CheckFailure(typeof details === 'string' ? { message: details } : details)
}

/** The program's exit as an abort reason: waits stop early instead of running into the deadline. */
export class ProgramExited extends Error {
  readonly description: string
  constructor(description: string) {
    super(`your program ${description}`)
    this.name = 'ProgramExited'
    this.description = description
  }
}

/**
 * An abort reason: one of the program's connections was taken over or refused (ConnectionWatch). The wait that
 * sees it stops at once; run-checks ends the check with the problem's own message.
 */
export class ConnectionTrouble extends Error {
  constructor() {
    super('a connection of your program was taken over or refused')
    this.name = 'ConnectionTrouble'
  }
}
