import { describe, expect, it } from 'vitest'
import {
  formatTaskPointMap,
  mapTaskPoints,
  pointsBrokenBy,
  readTaskPoints,
} from '../../grader/exercises/task-points.ts'

const readme = `# Exercise

## Your task

1. connects as \`CLIENT_ID\` (**connects**);
2. publishes the state, retained, and
   updates it on every change (**publishes-state**, **broker-config**);
3. keeps running (**settles**).

## Inputs
`

const check = (id: string, covers: number[]) => ({ id, title: `the ${id} check`, points: 1, covers })

describe('the task-point map', () => {
  it('reads the numbered points of "Your task", nested lines included, with the ids named in bold', () => {
    expect(readTaskPoints(readme)).toEqual([
      { number: 1, text: 'connects as `CLIENT_ID` (**connects**);', named: ['connects'] },
      {
        number: 2,
        text: 'publishes the state, retained, and updates it on every change (**publishes-state**, **broker-config**);',
        named: ['publishes-state', 'broker-config'],
      },
      { number: 3, text: 'keeps running (**settles**).', named: ['settles'] },
    ])
  })

  it('maps each point to the checks that cover it, pre-checks from the README, and finds nothing wrong when both sides agree', () => {
    const { rows, problems } = mapTaskPoints(
      readme,
      [check('connects', [1]), check('publishes-state', [2]), check('settles', [3])],
      ['broker-config'],
    )
    expect(problems).toEqual([])
    expect(rows.map((row) => [row.point.number, row.checks.map((c) => c.id), row.preChecks])).toEqual([
      [1, ['connects'], []],
      [2, ['publishes-state'], ['broker-config']],
      [3, ['settles'], []],
    ])
  })

  it('says where the README and the checks disagree: a point without a check, a check without a point, one side only', () => {
    const { problems } = mapTaskPoints(
      readme,
      [check('connects', [1, 2]), check('publishes-state', [4]), check('extra', [])],
      ['broker-config'],
    )
    expect(problems).toEqual([
      "task point 2 names **publishes-state**, but that check's covers does not include 2",
      'check connects covers task point 2, but the point does not name it: add (**connects**) to point 2',
      'task point 3 ("keeps running (**settles**)....") has no check: a check must name it in covers, and the point must name that check (**check-id**); or take the point out of the task',
      'check publishes-state covers task point 4, which "## Your task" does not have',
      'check extra covers no task point: say which point it verifies (covers: [n]), or add the point to the task',
    ])
  })

  it('knows which point a mutant breaks: the one its check covers, or the one it names when its check covers several', () => {
    const { rows } = mapTaskPoints(
      readme,
      [check('connects', [1, 2]), check('publishes-state', [2]), check('settles', [3])],
      ['broker-config'],
    )
    expect(pointsBrokenBy({ name: 'no-retain', fails: 'publishes-state', points: [] }, rows)).toEqual({ points: [2] })
    expect(pointsBrokenBy({ name: 'bad-conf', fails: 'broker-config', points: [] }, rows)).toEqual({ points: [2] })
    expect(pointsBrokenBy({ name: 'random-id', fails: 'connects', points: [1] }, rows)).toEqual({ points: [1] })
    expect(pointsBrokenBy({ name: 'vague', fails: 'connects', points: [] }, rows).problem).toBe(
      'mutant vague fails connects, which covers points 1, 2: say which one it breaks, "@fails connects point 1: ..."',
    )
    expect(pointsBrokenBy({ name: 'astray', fails: 'settles', points: [1] }, rows).problem).toBe(
      'mutant astray names point 1, which settles does not cover (it covers 3)',
    )
  })

  it('prints the map a reviewer reads: point, checks, mutants', () => {
    const { rows } = mapTaskPoints(
      readme,
      [check('connects', [1]), check('publishes-state', [2]), check('settles', [3])],
      ['broker-config'],
    )
    expect(formatTaskPointMap('ex0 sample', rows, new Map([[1, ['random-id']]]))).toBe(
      [
        'ex0 sample:',
        '  1. connects as `CLIENT_ID`',
        '     checked by connects; broken by 1 mutant: random-id',
        '  2. publishes the state, retained, and updates it on every change',
        '     checked by broker-config, publishes-state; broken by 0 mutants',
        '  3. keeps running',
        '     checked by settles; broken by 0 mutants',
      ].join('\n'),
    )
  })
})
