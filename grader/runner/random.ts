import { randomInt } from 'node:crypto'

/**
 * Seeded randomness for one grading run. Every input the student's program gets (device ids, topics, payloads,
 * counts) comes from here, so a hard-coded answer fails, and `--seed` replays a run exactly.
 */
export interface Random {
  readonly seed: number
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number
  pick<T>(items: readonly T[]): T
  shuffle<T>(items: readonly T[]): T[]
  /** `length` lowercase hex digits. */
  hex(length: number): string
  /** A short lowercase word, for readable topics: "amber", "delta". */
  word(): string
  /** `prefix-` and four hex digits: `sensor-4f2a`. */
  id(prefix: string): string
  /** A number in [min, max] rounded to `decimals`. */
  decimal(min: number, max: number, decimals: number): number
}

const words = [
  'amber',
  'birch',
  'cedar',
  'delta',
  'ember',
  'fjord',
  'garnet',
  'harbor',
  'indigo',
  'juniper',
  'kelp',
  'lumen',
  'maple',
  'nectar',
  'onyx',
  'pebble',
  'quartz',
  'raven',
  'sable',
  'tundra',
  'umber',
  'violet',
  'willow',
  'yarrow',
  'zephyr',
]

export function newSeed(): number {
  return randomInt(1, 2 ** 31 - 1)
}

/** sfc32 seeded through splitmix32: small, fast, and the same sequence on every platform. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0
  const splitmix = () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = splitmix()
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t / 4294967296
  }
  const random: Random = {
    seed,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    shuffle: (items) => {
      const copy = [...items]
      for (let index = copy.length - 1; index > 0; index--) {
        const other = Math.floor(next() * (index + 1))
        ;[copy[index], copy[other]] = [copy[other], copy[index]]
      }
      return copy
    },
    hex: (length) => Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join(''),
    word: () => random.pick(words),
    id: (prefix) => `${prefix}-${random.hex(4)}`,
    decimal: (min, max, decimals) => Number((min + next() * (max - min)).toFixed(decimals)),
  }
  return random
}
