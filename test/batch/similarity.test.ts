import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { listVariants, materializeMutant } from '../../grader/exercises/mutants.ts'
import { runCli } from '../support/run-cli.ts'
import { exerciseDir, tempDir } from './cohort-fixtures.ts'

/**
 * Issue 22, point 6: `batch similarity` ranks a copied-and-renamed submission above independently written ones.
 * The independent work is ex10's variants (other correct answers, kept to prove the checks accept them) and the
 * reference solution; the copy is the solution with its names changed and its comments gone.
 */
describe('npm run batch -- similarity', () => {
  it('ranks the copied-and-renamed pair first, leaves untouched starters out, and writes every pair', async () => {
    const root = tempDir('similarity')
    const cohort = path.join(root, 'cohort')
    const ex10 = exerciseDir('ex10-request-response')
    cpSync(path.join(ex10, 'solution'), path.join(cohort, 'dana', 'ex10'), { recursive: true })
    const variants = listVariants(ex10)
    expect(variants.length).toBeGreaterThanOrEqual(3)
    for (const variant of variants) {
      using made = materializeMutant(ex10, variant)
      cpSync(made.dir, path.join(cohort, `indie-${variant.name}`, 'ex10-request-response'), { recursive: true })
    }
    const solution = readFileSync(path.join(ex10, 'solution', 'main.ts'), 'utf8')
    const renames: [RegExp, string][] = [
      [/\bclient\b/g, 'conn'],
      [/\banswer\b/g, 'reply'],
      [/\bevaluate\b/g, 'compute'],
      [/\bproperties\b/g, 'props'],
      [/\brequest\b/g, 'req'],
      [/\bshareGroup\b/g, 'group'],
    ]
    const copy = renames.reduce(
      (text, [from, to]) => text.replace(from, to),
      solution.replace(/^\s*\/\/[^\n]*\n/gm, ''),
    )
    expect(copy).not.toMatch(/\bclient\b/)
    mkdirSync(path.join(cohort, 'copycat', 'ex10'), { recursive: true })
    writeFileSync(path.join(cohort, 'copycat', 'ex10', 'main.ts'), copy)
    // Two untouched starters are identical, and say nothing: they are left out.
    for (const student of ['idle-1', 'idle-2'])
      cpSync(path.join(ex10, 'starter'), path.join(cohort, student, 'ex10'), { recursive: true })

    const out = path.join(root, 'out')
    const result = await runCli(['batch', 'similarity', cohort, '--exercises', 'ex10', '--out', out])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toContain(`ex10 A request/response service: ${variants.length + 2} submissions compared`)
    const pairs = parse(readFileSync(path.join(out, 'similarity.csv'), 'utf8'), { columns: true }) as {
      exercise: string
      left: string
      right: string
      similarity: string
    }[]
    const names = (pair: { left: string; right: string }) => [pair.left, pair.right].sort().join(' ↔ ')
    expect(names(pairs[0])).toBe('copycat ↔ dana')
    const copied = Number(pairs[0].similarity)
    // Above every pair of independent work, and not by a rounding error.
    for (const pair of pairs.slice(1)) expect(Number(pair.similarity), names(pair)).toBeLessThan(copied - 0.02)
    expect(pairs.some((pair) => pair.left.startsWith('idle') || pair.right.startsWith('idle'))).toBe(false)
    expect(result.stdout.split('\n').find((line) => line.includes('↔'))).toMatch(
      /^\s+\d+%\s+(copycat ↔ dana|dana ↔ copycat)\s/,
    )
  })

  it('refuses a bad --top before reading anything', async () => {
    const result = await runCli(['batch', 'similarity', tempDir('similarity-bad'), '--top', 'all'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('--top all is not a number of pairs')
  })
})
