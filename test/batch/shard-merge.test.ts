import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { batchManifestSchema } from '../../grader/batch/batch-manifest.ts'
import { runCli } from '../support/run-cli.ts'
import { copyVariant, tempDir, writeEchoesOnlyFirst, writeHostileProgram } from './cohort-fixtures.ts'

describe('npm run batch -- --shard i/n, then merge', () => {
  let cohort: string
  let root: string
  const batch = (out: string, ...args: string[]) =>
    runCli(
      [
        'batch',
        cohort,
        '--out',
        path.join(root, out),
        '--exercises',
        'ex1',
        '--broker',
        'embedded',
        '--jobs',
        '2',
        '--seed',
        '99',
        ...args,
      ],
      { timeoutMs: 240_000 },
    )

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
      const manifest = batchManifestSchema.parse(
        JSON.parse(readFileSync(path.join(root, `shard-${index}`, 'batch.json'), 'utf8')),
      )
      shardStudents.push(manifest.students.map((entry) => entry.student))
    }
    // Disjoint, complete, and as even as ten students allow.
    expect(shardStudents.flat().sort()).toEqual([
      'ana',
      'ben',
      'cleo',
      'dmitri',
      'eve',
      'fatima',
      'gus',
      'hana',
      'ivan',
      'zoe',
    ])
    expect(shardStudents.map((students) => students.length)).toEqual([3, 3, 2, 2])

    const merged = await runCli([
      'batch',
      'merge',
      ...[1, 2, 3, 4].map((index) => path.join(root, `shard-${index}`)),
      '--out',
      path.join(root, 'merged'),
    ])
    expect(merged.stderr).toBe('')
    expect(merged.exitCode).toBe(0)
    expect(merged.stdout).toContain('Merged 4 shard outputs: 10 students')
    const gradebook = readFileSync(path.join(root, 'whole', 'gradebook.csv'), 'utf8')
    expect(readFileSync(path.join(root, 'merged', 'gradebook.csv'), 'utf8')).toBe(gradebook)
    expect(gradebook.split('\n').slice(0, 4)).toEqual([
      'student,ex1,total,max,errors',
      'ana,5,5,5,',
      'ben,3,3,5,',
      'cleo,0,0,5,',
    ])
    // Every student's reports come along, and the cohort report lists them all.
    for (const student of ['ana', 'zoe']) {
      expect(readFileSync(path.join(root, 'merged', student, 'result.json'), 'utf8')).toBe(
        readFileSync(path.join(root, `shard-${student === 'ana' ? 1 : 2}`, student, 'result.json'), 'utf8'),
      )
      expect(readFileSync(path.join(root, 'merged', student, 'junit.xml'), 'utf8')).toContain('<testsuites')
    }
    expect(readFileSync(path.join(root, 'merged', 'index.html'), 'utf8')).toContain('10 students')
    // The merged folder carries the shards' stored results: grading the cohort into it again grades nothing.
    const again = await runCli(
      [
        'batch',
        cohort,
        '--out',
        path.join(root, 'merged'),
        '--exercises',
        'ex1',
        '--broker',
        'embedded',
        '--seed',
        '99',
      ],
      { timeoutMs: 240_000 },
    )
    expect(again.stdout).toContain('0 exercises graded; 10 unchanged results reused')
    expect(readFileSync(path.join(root, 'merged', 'gradebook.csv'), 'utf8')).toBe(gradebook)
  })

  it('refuses to merge shards that graded different exercises, and says how to fix it', async () => {
    const other = await runCli(
      [
        'batch',
        cohort,
        '--out',
        path.join(root, 'other'),
        '--exercises',
        'ex2',
        '--broker',
        'embedded',
        '--shard',
        '4/4',
        '--seed',
        '99',
      ],
      { timeoutMs: 240_000 },
    )
    // Nobody in this cohort submitted ex2: the batch writes its outputs and says so (exit 1, one line).
    expect(other.exitCode).toBe(1)
    expect(other.stderr).toMatch(/^error: \d+ of \d+ submissions have no exercise found/)
    const merged = await runCli([
      'batch',
      'merge',
      path.join(root, 'shard-1'),
      path.join(root, 'other'),
      '--out',
      path.join(root, 'bad-merge'),
    ])
    expect(merged.exitCode).toBe(2)
    expect(merged.stderr).toMatch(/graded ex2 but .* graded ex1: shards of one batch grade the same exercises/)
    expect(merged.stderr).toContain('run every shard with the same --exercises')
  })
})

describe('batch merge refuses an incomplete or inconsistent set of shards, naming them (issue 22)', () => {
  let cohort: string
  let root: string
  const shard = (out: string, shardArg: string, seed = '7') =>
    runCli(
      [
        'batch',
        cohort,
        '--out',
        path.join(root, out),
        '--exercises',
        'ex1',
        '--broker',
        'embedded',
        '--jobs',
        '1',
        '--seed',
        seed,
        '--shard',
        shardArg,
      ],
      { timeoutMs: 240_000 },
    )
  const merge = (...dirs: string[]) =>
    runCli([
      'batch',
      'merge',
      ...dirs.map((dir) => path.join(root, dir)),
      '--out',
      path.join(root, `merged-${dirs.join('-')}`),
    ])

  beforeAll(async () => {
    cohort = tempDir('cohort-merge-checks')
    root = tempDir('merge-checks')
    for (const student of ['ana', 'ben', 'cleo'])
      copyVariant('ex1-hello-mqtt', 'starter', path.join(cohort, student, 'ex1'))
    for (const [out, arg, seed] of [
      ['s1', '1/3', '7'],
      ['s2', '2/3', '7'],
      ['s3', '3/3', '7'],
      ['s3-other-seed', '3/3', '8'],
    ] as const) {
      const result = await shard(out, arg, seed)
      expect(result.exitCode, result.stderr).toBe(0)
    }
  }, 300_000)

  it('shards 1 and 3 of 3: shard 2/3 is missing', async () => {
    const result = await merge('s1', 's3')
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('shard 2/3 is missing: the merged gradebook would leave out its students')
    expect(result.stderr).toContain('--shard 2/3 --seed 7')
  })

  it('a shard given twice', async () => {
    const result = await merge('s1', 's2', 's3', 's1')
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(`shard 1/3 is given twice: ${path.join(root, 's1')} and ${path.join(root, 's1')}`)
  })

  it('shards of different seeds', async () => {
    const result = await merge('s1', 's2', 's3-other-seed')
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain(
      `the shards were graded with different seeds: 7 (${path.join(root, 's1')}, ${path.join(root, 's2')}), 8 (${path.join(root, 's3-other-seed')})`,
    )
  })

  it('shards of different grader versions', async () => {
    const manifestFile = path.join(root, 's3', 'batch.json')
    const original = readFileSync(manifestFile, 'utf8')
    writeFileSync(
      manifestFile,
      original.replace(/"graderVersion": "[^"]+"/, '"graderVersion": "0.0.1+0000000000000000"'),
    )
    try {
      const result = await merge('s1', 's2', 's3')
      expect(result.exitCode).toBe(2)
      expect(result.stderr).toContain(
        `${path.join(root, 's3')} was graded by grader 0.0.1+0000000000000000 but ${path.join(root, 's1')} by `,
      )
    } finally {
      writeFileSync(manifestFile, original)
    }
    const complete = await merge('s1', 's2', 's3')
    expect(complete.exitCode, complete.stderr).toBe(0)
    expect(complete.stdout).toContain('Merged 3 shard outputs: 3 students')
  })
})
