import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { findClimbs, findCycles, graderRoot, layers, readImports, sourceFiles } from '../support/import-layers.ts'

describe('the layers of grader/', () => {
  const edges = readImports(sourceFiles(graderRoot))

  it('reads the imports (a parse that found nothing would prove nothing)', () => {
    expect(edges.length).toBeGreaterThan(300)
    expect(edges).toContainEqual({
      from: 'grader/cli/grade-command.ts',
      to: 'grader/grade/grade.ts',
      isTypeOnly: false,
    })
    expect(edges.some((edge) => edge.isTypeOnly)).toBe(true)
  })

  it('has no import that climbs a layer', () => {
    expect(findClimbs(edges)).toEqual([])
  })

  it('has no cycle, of values or of types', () => {
    expect(findCycles(edges).map((cycle) => cycle.join(' <-> '))).toEqual([])
  })

  it('gives every folder of grader/ a layer, and every layer a folder', () => {
    const folders = readdirSync(graderRoot, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
    expect(folders.toSorted()).toEqual(layers.flat().toSorted())
  })

  it('catches a climb and a cycle when there is one', () => {
    const climb = { from: 'grader/broker/broker.ts', to: 'grader/cli/main.js', isTypeOnly: false }
    const intoExercises = {
      from: 'grader/checks/harness.ts',
      to: 'exercises/ex1-hello-mqtt/exercise.ts',
      isTypeOnly: false,
    }
    expect(findClimbs([climb, intoExercises])).toEqual([
      'grader/broker/broker.ts imports grader/cli/main.js, a layer above it',
      'grader/checks/harness.ts imports exercises/ex1-hello-mqtt/exercise.ts: no exercise-specific code lives in grader/',
    ])
    const ring = [
      { from: 'grader/broker/a.ts', to: 'grader/broker/b.ts', isTypeOnly: true },
      { from: 'grader/broker/b.ts', to: 'grader/broker/c.ts', isTypeOnly: false },
      { from: 'grader/broker/c.ts', to: 'grader/broker/a.ts', isTypeOnly: true },
      { from: 'grader/broker/c.ts', to: 'grader/time/deadline.ts', isTypeOnly: false },
    ]
    expect(findCycles(ring)).toEqual([['grader/broker/a.ts', 'grader/broker/b.ts', 'grader/broker/c.ts']])
  })
})
