import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../support/run-cli.ts'

/** A submission folder holding one file, outside the course folder like a real student's. */
function submission(name: string, source: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `mqtt-course-${name}-`))
  writeFileSync(path.join(dir, 'main.ts'), source)
  return dir
}

describe('npm run grade: bad input gets one clear line and the right exit code', () => {
  it('an unknown exercise lists the valid ones (exit 2)', async () => {
    const result = await runCli(['grade', 'ex42'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^error: there is no exercise "ex42"; the exercises are: ex1 \(hello-mqtt\), .*ex5 \(last-will\)/)
    expect(result.stderr).toContain('what to do: run npm run grade -- ex1, or npm run grade -- --all')
  })

  it('accepts ex1, 1 and the slug for the same exercise', async () => {
    for (const name of ['1', 'hello-mqtt', 'ex1-hello-mqtt']) {
      const result = await runCli(['grade', name, '--solution', '--broker', 'embedded', '--json'])
      expect(JSON.parse(result.stdout).exercises[0].id, name).toBe('ex1')
    }
  })

  it('no exercise at all says what to type (exit 2)', async () => {
    const result = await runCli(['grade'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toMatch(/^error: say which exercise to grade \(ex1, .*\), or --all\n  what to do: e\.g\. npm run grade -- ex1\n$/)
  })

  it('an unknown option, a bad seed and a bad broker are usage errors (exit 2)', async () => {
    const cases: Array<[string[], string]> = [
      [['ex1', '--frobnicate'], 'error: unknown option --frobnicate'],
      [['ex1', '--seed', 'abc'], 'error: --seed abc is not a seed: expected a whole number from 1 to 4294967295'],
      [['ex1', '--broker', 'mosquito'], 'error: --broker mosquito is not a broker I know'],
      [['ex1', '--dir'], 'error: --dir needs a value'],
      [['ex1', '--solution', '--dir', '.'], 'error: --solution and --dir cannot be used together'],
    ]
    for (const [args, message] of cases) {
      const result = await runCli(['grade', ...args])
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(result.stderr.split('\n')[0], args.join(' ')).toBe(message)
    }
  })

  it('a --dir that does not exist, or holds no submission, says what was expected (exit 2)', async () => {
    const missing = await runCli(['grade', 'ex1', '--dir', '/nonexistent/submissions/alice'])
    expect(missing.exitCode).toBe(2)
    expect(missing.stdout).toContain('could not grade: --dir /nonexistent/submissions/alice is not a folder')
    const empty = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-empty-'))
    mkdirSync(path.join(empty, 'ex1-hello-mqtt'))
    const nothing = await runCli(['grade', 'ex1', '--dir', empty])
    expect(nothing.exitCode).toBe(2)
    expect(nothing.stdout).toContain(`could not grade: no submission for ex1 in ${empty}: expected ${path.join(empty, 'ex1-hello-mqtt/starter/main.ts')}`)
  })

  it('a syntax error in the student file shows file:line:column and the compiler message (exit 1)', async () => {
    const dir = submission('syntax', "import mqtt from 'mqtt'\nconst options = {\nmqtt.connect(process.env.MQTT_URL!)\n")
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded'])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('✗ compiles: Your TypeScript compiles without type errors')
    expect(result.stdout).toContain("main.ts:3:5 - error TS1005: ',' expected.")
    expect(result.stdout).toContain('- connects: Your program connects to MQTT_URL with the client id CLIENT_ID (0/1)')
  })

  it('a type error shows file:line:column and the compiler message (exit 1)', async () => {
    const dir = submission('types', "import mqtt from 'mqtt'\nconst port: number = 'not a number'\nmqtt.connect(process.env.MQTT_URL!)\n")
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded'])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain("main.ts:2:7 - error TS2322: Type 'string' is not assignable to type 'number'.")
  })

  it('a program that exits early: its exit code and the error from its stderr (exit 1)', async () => {
    const dir = submission('crash', "import mqtt from 'mqtt'\nmqtt.connect(process.env.MQTT_URL!)\nthrow new Error('boom: no config file')\n")
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded'])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('Your program exited with code 1 before sending a CONNECT.')
    expect(result.stdout).toContain('received: it exited with code 1; its stderr says: Error: boom: no config file (its output is below)')
    expect(result.stdout).toContain('[your program] $ node main.ts  (exited with code 1)')
  })

  it('a program that hangs: the check says what it waited for and for how long (exit 1)', async () => {
    const dir = submission('hang', "// Never connects: waits forever.\nsetInterval(() => {}, 60_000)\n")
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded'])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('✗ connects: Your program connects to MQTT_URL with the client id CLIENT_ID (0/1)')
    expect(result.stdout).toContain('Your program did not send a CONNECT within 5 s.')
    expect(result.stdout).toContain('received: nothing: your program never connected to MQTT_URL')
    expect(result.stdout).toContain('(was still running when the grader stopped it)')
  })

  it('--broker mosquitto without the mosquitto binary says how to install it (exit 2)', async () => {
    const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'mosquitto'], { env: { MQTT_COURSE_MOSQUITTO_BIN: '/nonexistent/mosquitto' } })
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toContain('could not grade: --broker mosquitto needs the mosquitto binary, and it is not installed')
    expect(result.stdout).toContain('sudo apt install mosquitto')
    expect(result.stdout).toContain('brew install mosquitto')
    expect(result.stdout).toContain('--broker embedded or --broker container')
  })
})
