import { describe, expect, it } from 'vitest'
import { gradeUsage, parseGradeArgs } from '../../grader/cli/parse-grade-args.ts'
import { describeFormats, platformFormats, platformReporters } from '../../grader/cli/report-formats.ts'

describe('--format, from the registry of platform reporters', () => {
  it('lists every registered format with what it does, in the help and in the error for an unknown one', () => {
    expect(platformFormats).toEqual(['gradescope', 'classroom', 'github'])
    const help = gradeUsage.replace(/\n +/g, ' ')
    for (const name of platformFormats) expect(help).toContain(`${name} (${platformReporters[name].description})`)
    expect(() => parseGradeArgs(['ex1', '--format', 'moodle'], {})).toThrow(
      '--format moodle: expected gradescope, classroom, github (several with commas)',
    )
  })

  it('takes several formats, and refuses --json beside a format that prints a document', () => {
    expect(parseGradeArgs(['ex1', '--format', 'classroom,github,classroom'], {})).toMatchObject({
      formats: ['classroom', 'github'],
    })
    expect(() => parseGradeArgs(['ex1', '--format', 'gradescope', '--json'], {})).toThrow(
      '--json and --format gradescope both print one document: choose one',
    )
  })

  it('wraps the help under the option column at the width it is given', () => {
    const lines = describeFormats({ indent: '    ', widthChars: 40 }).split('\n')
    expect(lines.length).toBeGreaterThan(3)
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40)
    expect(lines.slice(1).every((line) => line.startsWith('    '))).toBe(true)
    expect(lines.join(' ').replace(/ +/g, ' ')).toMatch(/several with commas: classroom,github$/)
  })
})
