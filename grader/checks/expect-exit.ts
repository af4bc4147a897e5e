import type { StudentProgram } from '../runner/student-program.ts'
import { formatDuration } from '../time/deadline.ts'
import type { CheckContext } from './check-context.ts'
import { ConnectionTrouble, fail } from './check-failure.ts'

/** Harness.expectExit, for a check's harness (harness.ts says what it waits for). */
export async function expectExit(
  h: CheckContext,
  description: string,
): Promise<NonNullable<StudentProgram['exitInfo']>> {
  const program = h.currentProgram
  if (!program) throw new Error('expectExit() before any program was started')
  const trouble = h.untilProgramFails()
  const exited = await Promise.race([
    program.exited,
    new Promise<undefined>((resolve) => {
      if (trouble.aborted) resolve(undefined)
      trouble.addEventListener('abort', () => resolve(undefined), { once: true })
    }),
  ])
  if (exited) return exited
  if (program.exitInfo) return program.exitInfo
  if (trouble.reason instanceof ConnectionTrouble) throw trouble.reason
  fail({
    message: `Your program was still running ${formatDuration(h.timeoutMs)} later: it should have ${description}.`,
    expected: `your program ${description}`,
    received: 'it kept running',
    trace: h.tap.trace.events(),
  })
}
