import { afterAll, expect, it } from 'vitest'
import { copyCourse } from '../support/course-copy.ts'
import { startCli } from '../support/interactive-cli.ts'

const course = copyCourse()
afterAll(() => course.remove())

async function printed(
  args: string[],
  isTerminal: boolean,
): Promise<{ text: string; exitCode: number | null; isColored: boolean }> {
  // On the terminal colour is allowed (NO_COLOR unset), as a student has it.
  const cli = startCli(course.root, args, { isTerminal, env: isTerminal ? { NO_COLOR: undefined } : {} })
  const exitCode = await cli.exitCode
  return { text: cli.output.text, exitCode, isColored: cli.output.raw.includes('\u001b[') }
}

it.each([
  [['grade', 'ex1', '--solution', '--broker', 'embedded', '--seed', '99']],
  [['grade', 'ex1', 'ex2', '--solution', '--broker', 'embedded', '--seed', '99']],
  [['list']],
  [['hint', 'ex2', '--all']],
])('%j prints the same on a terminal as on a pipe (colour aside), with the same exit code', async (args) => {
  const [pipe, terminal] = [await printed(args, false), await printed(args, true)]
  expect(pipe.exitCode).toBe(0)
  expect(pipe.isColored).toBe(false)
  expect(terminal).toEqual({ ...pipe, isColored: args[0] === 'grade' })
  expect(pipe.text.length).toBeGreaterThan(100)
})
