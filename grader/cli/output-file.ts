import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import path from 'node:path'
import { GraderError, describeError } from '../errors/grader-error.ts'

/**
 * Makes sure a report file (`--junit reports/x.xml`) can be written before any grading starts, so a finished
 * grade is never lost to a typo in a path: its folders are made one at a time (a recursive mkdir under /proc
 * spins forever on Node 24), and the file is opened for appending, which creates it and truncates nothing.
 */
export function prepareOutputFile(file: string, option: string): void {
  const target = path.resolve(file)
  const missing: string[] = []
  let folder = path.dirname(target)
  while (!existsSync(folder)) {
    missing.unshift(folder)
    folder = path.dirname(folder)
  }
  try {
    if (!statSync(folder).isDirectory()) throw new Error(`${folder} is a file, not a folder`)
    for (const level of missing) mkdirSync(level)
    if (existsSync(target) && statSync(target).isDirectory()) throw new Error(`${file} is a folder`)
    closeSync(openSync(target, 'a'))
  } catch (error) {
    throw new GraderError('USAGE', `${option} ${file} cannot be written: ${describeError(error)}`, {
      hint: `give ${option} a file in a folder you can write to, e.g. ${option} reports/junit.xml`,
      cause: error,
    })
  }
}
