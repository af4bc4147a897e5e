import { describe, expect, it } from 'vitest'
import { parseBatchArgs } from '../../grader/batch/parse-batch-args.ts'

describe('parseBatchArgs', () => {
  it('reads the documented options', () => {
    expect(
      parseBatchArgs(
        [
          'subs',
          '--out',
          'r',
          '--jobs',
          '3',
          '--exercises',
          '5,ex1,last-will',
          '--broker',
          'embedded',
          '--seed',
          '7',
          '--shard',
          '2/8',
          '--force',
          '--sandbox',
          'none',
        ],
        {},
      ),
    ).toEqual({
      kind: 'batch',
      cohortDir: 'subs',
      outDir: 'r',
      jobs: 3,
      perJob: 8,
      exercises: ['ex1', 'ex5'],
      languageCommands: { py: 'python3 {entry}' },
      formats: [],
      hasBom: false,
      broker: 'embedded',
      seed: 7,
      shard: { index: 2, count: 8 },
      isForced: true,
      sandbox: 'none',
    })
    expect(parseBatchArgs(['subs', '--per-job', '2'], {})).toMatchObject({ perJob: 2 })
    // npm hands `--per-job 2` over as npm_config_per_job.
    expect(parseBatchArgs(['subs'], { npm_lifecycle_event: 'batch', npm_config_per_job: '3' })).toMatchObject({
      perJob: 3,
    })
    expect(() => parseBatchArgs(['subs', '--per-job', '0'], {})).toThrow(/--per-job 0 is not a number of grades/)
    expect(parseBatchArgs(['merge', 'a', 'b', '--out', 'c'], {})).toEqual({
      kind: 'merge',
      shardDirs: ['a', 'b'],
      outDir: 'c',
    })
  })

  it('npm run batch without --: --force still counts, and options npm swallowed are named in the hint', () => {
    const env = { npm_lifecycle_event: 'batch', npm_config_force: 'true', npm_config_out: 'true' }
    expect(parseBatchArgs(['subs'], env)).toMatchObject({ cohortDir: 'subs', outDir: 'reports', isForced: true })
    expect(() => parseBatchArgs(['subs', 'r'], env)).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('put -- before them') }),
    )
  })
})
