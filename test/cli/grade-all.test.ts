import { expect, it } from 'vitest'
import { listExerciseFolders } from '../../grader/exercises/load-exercises.ts'
import { runCli } from '../support/run-cli.ts'

it('grade --all grades at once but prints each exercise whole, in course order, then the summary', async () => {
  const result = await runCli(['grade', '--all', '--solution'], { timeoutMs: 240_000 })
  expect(result.exitCode).toBe(0)
  const lines = result.stdout.split('\n')
  const blocks = lines.map((line) => /^\[grader (ex\d+)\]/.exec(line)?.[1]).filter((id) => id !== undefined)
  // Consecutive duplicates collapse to one per block: a block that was split would show its id twice.
  const order = blocks.filter((id, index) => id !== blocks[index - 1])
  expect(order).toEqual(listExerciseFolders().map((folder) => folder.id))
  for (const id of order) {
    const block = lines.filter((line) => line.startsWith(`[grader ${id}]`))
    expect(block[0]).toMatch(/: grading solution on /)
    expect(block.at(-1)).toMatch(/All checks passed/)
  }
  expect(result.stdout).toMatch(/\n\n {2}✓ ex1 [^\n]+\n[\s\S]+ {2}(\d+)\/\1 points\n$/)
}, 300_000)
