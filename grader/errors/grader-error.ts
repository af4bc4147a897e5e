/**
 * Our own errors: something about the command line or the machine that stops grading before any check can run.
 * Every one carries a code (stable, for scripts and tests), a one-line message that says what happened, and a
 * hint that says what to do next. A failed check is never a GraderError: it is a result.
 */
export type GraderErrorCode =
  | 'USAGE'
  | 'UNKNOWN_EXERCISE'
  | 'NO_SUBMISSION'
  | 'INVALID_EXERCISE'
  | 'BROKER_UNAVAILABLE'
  | 'DOCKER_UNAVAILABLE'
  | 'MOSQUITTO_NOT_INSTALLED'
  | 'BROKER_START_FAILED'
  | 'PORT_IN_USE'
  | 'CANNOT_RESET'
  | 'SANDBOX_UNAVAILABLE'
  | 'COMMAND_NOT_FOUND'
  | 'SUBMISSION_TOO_LARGE'
  | 'BAD_ZIP'
  | 'INTERNAL'

export interface GraderErrorOptions {
  hint?: string
  cause?: unknown
}

export class GraderError extends Error {
  readonly code: GraderErrorCode
  readonly hint: string | undefined

  constructor(code: GraderErrorCode, message: string, options: GraderErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'GraderError'
    this.code = code
    this.hint = options.hint
  }
}

export function isGraderError(error: unknown): error is GraderError {
  return error instanceof GraderError
}

/** The message of any thrown value, for places that only need a line of text. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}
