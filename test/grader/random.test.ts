import { describe, expect, it } from 'vitest'
import { createRandom } from '../../grader/runner/random.ts'

describe('createRandom', () => {
  it('gives the same sequence for the same seed, and another for another seed', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed)
      return [random.int(0, 1000), random.hex(8), random.word(), random.id('sensor'), random.decimal(-20, 50, 1)]
    }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
  })

  it('keeps values in their ranges', () => {
    const random = createRandom(123)
    for (let index = 0; index < 2000; index++) {
      const value = random.int(-3, 3)
      expect(value).toBeGreaterThanOrEqual(-3)
      expect(value).toBeLessThanOrEqual(3)
      const decimal = random.decimal(0, 1, 2)
      expect(decimal).toBeGreaterThanOrEqual(0)
      expect(decimal).toBeLessThanOrEqual(1)
    }
    expect(random.id('valve')).toMatch(/^valve-[0-9a-f]{4}$/)
    expect(random.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5])
  })

  it('reaches every value of a small range', () => {
    const random = createRandom(5)
    const seen = new Set(Array.from({ length: 500 }, () => random.int(1, 6)))
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6])
  })
})
