import { readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { batchManifestSchema } from '../../grader/batch/batch-manifest.ts'
import { runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst, writeHostileProgram } from './cohort-fixtures.ts'

describe('npm run batch -- --shard i/n, then merge', () => {
  let cohort: string
  let root: string
  const batch = (out: string, ...args: string[]) => runCli(['batch', cohort, '--out', path.join(root, out), '--exercises', 'ex1', '--broker', 'embedded', '--jobs', '2', '--seed', '99', ...args], { timeoutMs: 240_000 })

  beforeAll(() => {
    cohort = tempDir('cohort-shards')
    root = tempDir('shards')
    // Nine students, so that four shards are uneven (3, 2, 2, 2); each a little different from the others.
    const students = ['ana', 'ben', 'cleo', 'dmitri', 'eve', 'fatima', 'gus', 'hana', 'ivan']
    for (const [position, student] of students.entries()) {
      const dir = path.join(cohort, student, 'ex1-hello-mqtt')
      if (position % 3 === 0) copyVariant('ex1-hello-mqtt', 'solution', dir)
      else if (position % 3 === 1) writeEchoesOnlyFirst(dir)
      else copyVariant('ex1-hello-mqtt', 'starter', dir)
    }
    writeHostileProgram(path.join(cohort, 'zoe', 'ex1'), 'crash')
  })

  it('4 shards merged give the gradebook of one unsharded run, byte for byte', async () => {
    const whole = await batch('whole')
    expect(whole.exitCode).toBe(0)
    const shardStudents: string[][] = []
    for (let index = 1; index <= 4; index++) {
      const shard = await batch(`shard-${index}`, '--shard', `${index}/4`)
      expect(shard.exitCode).toBe(0)
      expect(shard.stdout).toContain(`shard ${index}/4`)
      const manifest = batchManifestSchema.parse(JSON.parse(readFileSync(path.join(root, `shard-${index}`, 'batch.json'), 'utf8')))
      shardStudents.push(manifest.students.map((entry) => entry.student))
    }
    // Disjoint, complete, and as even as ten students allow.
    expect(shardStudents.flat().sort()).toEqual(['ana', 'ben', 'cleo', 'dmitri', 'eve', 'fatima', 'gus', 'hana', 'ivan', 'zoe'])
    expect(shardStudents.map((students) => students.length)).toEqual([3, 3, 2, 2])

    const merged = await runCli(['batch', 'merge', ...[1, 2, 3, 4].map((index) => path.join(root, `shard-${index}`)), '--out', path.join(root, 'merged')])
    expect(merged.stderr).toBe('')
    expect(merged.exitCode).toBe(0)
    expect(merged.stdout).toContain('Merged 4 shard outputs: 10 students')
    const gradebook = readFileSync(path.join(root, 'whole', 'gradebook.csv'), 'utf8')
    expect(readFileSync(path.join(root, 'merged', 'gradebook.csv'), 'utf8')).toBe(gradebook)
    expect(gradebook.split('\n').slice(0, 4)).toEqual(['student,ex1,total,max,errors', 'ana,5,5,5,', 'ben,3,3,5,', 'cleo,0,0,5,'])
    // Every student's reports come along, and the cohort report lists them all.
    for (const student of ['ana', 'zoe']) {
      expect(readFileSync(path.join(root, 'merged', student, 'result.json'), 'utf8')).toBe(readFileSync(path.join(root, `shard-${student === 'ana' ? 1 : 2}`, student, 'result.json'), 'utf8'))
      expect(readFileSync(path.join(root, 'merged', student, 'junit.xml'), 'utf8')).toContain('<testsuites')
    }
    expect(readFileSync(path.join(root, 'merged', 'index.html'), 'utf8')).toContain('10 students')
    // The merged folder carries the shards' stored results: grading the cohort into it again grades nothing.
    const again = await runCli(['batch', cohort, '--out', path.join(root, 'merged'), '--exercises', 'ex1', '--broker', 'embedded', '--seed', '99'], { timeoutMs: 240_000 })
    expect(again.stdout).toContain('0 exercises graded; 10 unchanged results reused')
    expect(readFileSync(path.join(root, 'merged', 'gradebook.csv'), 'utf8')).toBe(gradebook)
  })

  it('refuses to merge shards that graded different exercises, and says how to fix it', async () => {
    const other = await runCli(['batch', cohort, '--out', path.join(root, 'other'), '--exercises', 'ex2', '--broker', 'embedded', '--shard', '4/4', '--seed', '99'], { timeoutMs: 240_000 })
    // Nobody in this cohort submitted ex2: the batch writes its outputs and says so (exit 1, one line).
    expect(other.exitCode).toBe(1)
    expect(other.stderr).toMatch(/^error: \d+ of \d+ submissions have no exercise found/)
    const merged = await runCli(['batch', 'merge', path.join(root, 'shard-1'), path.join(root, 'other'), '--out', path.join(root, 'bad-merge')])
    expect(merged.exitCode).toBe(2)
    expect(merged.stderr).toMatch(/graded ex2 but .* graded ex1: shards of one batch grade the same exercises/)
    expect(merged.stderr).toContain('run every shard with the same --exercises')
  })
})
