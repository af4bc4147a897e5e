import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { courseRoot, runCli } from '../support/run-cli.ts'

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
    expect(result.stderr).toMatch(
      /^error: there is no exercise "ex42"; the exercises are: ex1 \(hello-mqtt\), .*ex5 \(last-will\)/,
    )
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
    expect(result.stderr).toMatch(
      /^error: say which exercise to grade \(ex1, .*\), or --all\n {2}what to do: e\.g\. npm run grade -- ex1\n$/,
    )
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
    expect(nothing.stdout).toContain(
      `could not grade: no submission for ex1 in ${empty}: ex1: ${path.basename(empty)}/ex1-hello-mqtt/ is empty: put main.ts in it`,
    )
  })

  it('a syntax error stops grading: Node cannot run the file, and the message says where (exit 1)', async () => {
    const dir = submission(
      'syntax',
      "import mqtt from 'mqtt'\nconst options = {\nmqtt.connect(process.env.MQTT_URL!)\n",
    )
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded'])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('✗ types: Your TypeScript has no type errors')
    expect(result.stdout).toMatch(/Node cannot run your code, so no check could run:\n\s+main\.ts:3 - /)
    expect(result.stdout).toContain('- connects: Your program connects to MQTT_URL with the client id CLIENT_ID (0/1)')
  })

  it('TypeScript that type stripping refuses (an enum, a parameter property) stops grading, saying what to write instead', async () => {
    const cases: Array<[string, string]> = [
      ['enum Led { On, Off }\nconsole.log(Led.On)\n', 'Instead of an enum, use a union of strings'],
      [
        "class Device { constructor(private id: string) {} }\nconsole.log(new Device('x'))\n",
        'Instead of constructor(private client: MqttClient), declare the field',
      ],
    ]
    for (const [source, instead] of cases) {
      const result = await runCli(['grade', 'ex1', '--dir', submission('unrunnable', source), '--broker', 'embedded'])
      expect(result.exitCode).toBe(1)
      expect(result.stdout).toMatch(
        /Node cannot run your code, so no check could run:\n\s+main\.ts:1 - TypeScript (enum|parameter property) is not supported in strip-only mode/,
      )
      expect(result.stdout).toContain(instead)
    }
  })

  it('a type error is a failed, 0-point types check with file:line:column, and the checks still run (exit 1)', async () => {
    // The reference solution with one type error: every behaviour check passes, every point is earned.
    const solution = readFileSync(path.join(courseRoot, 'exercises/ex1-hello-mqtt/solution/main.ts'), 'utf8')
    const dir = submission('types', `${solution}\nconst port: number = 'not a number'\nvoid port\n`)
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded', '--json'])
    expect(result.exitCode).toBe(1)
    const exercise = JSON.parse(result.stdout).exercises[0]
    const types = exercise.checks.find((check: { id: string }) => check.id === 'types')
    expect(types).toMatchObject({ status: 'failed', points: 0, maxPoints: 0 })
    expect(types.message).toMatch(/main\.ts:\d+:7 - error TS2322: Type 'string' is not assignable to type 'number'\./)
    expect(
      exercise.checks
        .filter((check: { status: string }) => check.status === 'passed')
        .map((check: { id: string }) => check.id),
    ).toEqual(['connects', 'subscribes', 'says-hello', 'echoes', 'settles'])
    expect(exercise.points).toBe(exercise.maxPoints)
  })

  it("Node's TLS options that MQTT.js's type does not list are no obstacle to grading (ex9's typed options)", async () => {
    const solution = readFileSync(path.join(courseRoot, 'exercises/ex9-tls/solution/main.ts'), 'utf8')
    const withOptions = solution.replace(
      '{ clientId, ca: readFileSync(caFile), reconnectPeriod: 0 }',
      "{ clientId, ca: readFileSync(caFile), minVersion: 'TLSv1.2', reconnectPeriod: 0 }",
    )
    expect(withOptions).not.toBe(solution)
    const dir = submission('tls-options', withOptions)
    writeFileSync(
      path.join(dir, 'mosquitto.conf'),
      readFileSync(path.join(courseRoot, 'exercises/ex9-tls/solution/mosquitto.conf')),
    )
    const result = await runCli(['grade', 'ex9', '--dir', dir, '--json'])
    const exercise = JSON.parse(result.stdout).exercises[0]
    expect(exercise.checks.find((check: { id: string }) => check.id === 'types').status).toBe('passed')
  })

  it('a program that exits early: its exit code and the error from its stderr (exit 1)', async () => {
    const dir = submission(
      'crash',
      "import mqtt from 'mqtt'\nmqtt.connect(process.env.MQTT_URL!)\nthrow new Error('boom: no config file')\n",
    )
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded'])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toMatch(
      /Your program exited with code 1 before sending a CONNECT with the client id CLIENT_ID \("student-[0-9a-f]{4}"\)\./,
    )
    expect(result.stdout).toContain('hint: Your program crashed before the grader could see this part work')
    expect(result.stdout).toContain(
      'received: it exited with code 1; its stderr says: Error: boom: no config file (its output is below)',
    )
    expect(result.stdout).toContain('[your program] $ node main.ts  (exited with code 1)')
  })

  it('a program that hangs: the check says what it waited for and for how long (exit 1)', async () => {
    const dir = submission('hang', '// Never connects: waits forever.\nsetInterval(() => {}, 60_000)\n')
    const result = await runCli(['grade', 'ex1', '--dir', dir, '--broker', 'embedded'])
    expect(result.exitCode).toBe(1)
    expect(result.stdout).toContain('✗ connects: Your program connects to MQTT_URL with the client id CLIENT_ID (0/1)')
    expect(result.stdout).toMatch(
      /Your program did not send a CONNECT with the client id CLIENT_ID \("student-[0-9a-f]{4}"\) within 5 s\./,
    )
    expect(result.stdout).toContain('received: nothing: your program never connected to MQTT_URL')
    expect(result.stdout).toContain('(was still running when the grader stopped it)')
  })

  it('--broker mosquitto without the mosquitto binary says how to install it (exit 2)', async () => {
    const result = await runCli(['grade', 'ex1', '--solution', '--broker', 'mosquitto'], {
      env: { MQTT_COURSE_MOSQUITTO_BIN: '/nonexistent/mosquitto' },
    })
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toContain(
      'could not grade: --broker mosquitto needs the mosquitto binary, and it is not installed',
    )
    expect(result.stdout).toContain('sudo apt install mosquitto')
    expect(result.stdout).toContain('brew install mosquitto')
    expect(result.stdout).toContain('or use --broker auto: it picks a broker that can run the exercise')
  })
})
