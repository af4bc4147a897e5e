import { describeError } from '../errors/grader-error.ts'

/**
 * Takes down everything a run started, in reverse order, and returns what went wrong as warnings: by now the
 * verdict is final, and a broker that was already gone must not cost the student their grade.
 */
export async function disposeAll(stack: AsyncDisposableStack): Promise<string[]> {
  try {
    await stack.disposeAsync()
    return []
  } catch (error) {
    return flattenErrors(error).map(
      (cause) => `while cleaning up after grading: ${describeError(cause).split('\n')[0]}`,
    )
  }
}

function flattenErrors(error: unknown): unknown[] {
  if (error instanceof SuppressedError) return [...flattenErrors(error.error), ...flattenErrors(error.suppressed)]
  return [error]
}
