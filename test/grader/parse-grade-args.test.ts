import { describe, expect, it } from 'vitest'
import { parseGradeArgs } from '../../grader/cli/parse-grade-args.ts'

describe('parseGradeArgs', () => {
  it('reads the documented interface', () => {
    expect(
      parseGradeArgs(
        ['ex5', '--solution', '--broker', 'mosquitto', '--seed', '42', '--json', '--junit', 'out.xml'],
        {},
      ),
    ).toEqual({
      exercises: ['ex5'],
      source: { kind: 'solution' },
      broker: 'mosquitto',
      seed: 42,
      isJson: true,
      junitFile: 'out.xml',
      sandbox: 'auto',
      isHelp: false,
    })
    expect(parseGradeArgs(['ex1', '--sandbox', 'none'], {})).toMatchObject({ sandbox: 'none' })
    expect(() => parseGradeArgs(['ex1', '--sandbox', 'docker'], {})).toThrow(
      '--sandbox docker is not a sandbox mode: expected one of auto, isolated, bwrap, uid, none',
    )
    expect(
      parseGradeArgs(
        ['--all', '--dir', 'subs/alice', '--cmd', 'python3 main.py', '--broker', 'mqtt://localhost:1884'],
        {},
      ),
    ).toMatchObject({
      exercises: 'all',
      source: { kind: 'dir', dir: 'subs/alice' },
      command: 'python3 main.py',
      broker: 'mqtt://localhost:1884',
    })
  })

  it('picks up flags npm kept for itself when the -- was forgotten (npm run grade ex1 --solution)', () => {
    const env = {
      npm_lifecycle_event: 'grade',
      npm_config_solution: 'true',
      npm_config_broker: 'embedded',
      npm_config_seed: '7',
    }
    expect(parseGradeArgs(['ex1'], env)).toMatchObject({ source: { kind: 'solution' }, broker: 'embedded', seed: 7 })
    // Outside `npm run grade` those variables mean nothing to us.
    expect(parseGradeArgs(['ex1'], { ...env, npm_lifecycle_event: 'test' })).toMatchObject({
      source: { kind: 'starter' },
      broker: 'auto',
    })
  })

  it('rejects bad input with a message that says what to type', () => {
    const message = (args: string[]) => {
      try {
        parseGradeArgs(args, {})
        return 'no error'
      } catch (error) {
        return `${(error as Error).message} | ${(error as { hint?: string }).hint}`
      }
    }
    expect(message(['--all', 'ex1'])).toMatchInlineSnapshot(`"--all grades every exercise; drop "ex1" | undefined"`)
    expect(message(['ex1', '--seed', '0'])).toMatchInlineSnapshot(
      `"--seed 0 is not a seed: expected a whole number from 1 to 4294967295 | copy the seed from the line that printed it"`,
    )
    expect(message(['ex1', '--cmd', ' '])).toMatchInlineSnapshot(
      `"--cmd needs a command | e.g. --cmd "python3 main.py""`,
    )
    expect(message(['ex1', '--broker', 'http://x'])).toMatchInlineSnapshot(
      `"--broker http://x is not a broker I know | use one of: auto, embedded, mosquitto, container, or a URL like mqtt://localhost:1883"`,
    )
    expect(message(['ex1', '--junit'])).toMatchInlineSnapshot(
      `"--junit needs a value | run npm run grade -- --help for the options"`,
    )
  })
})
