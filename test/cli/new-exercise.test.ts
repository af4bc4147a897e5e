import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { gradeReportSchema } from '../../grader/report/result.ts'
import { copyCourse } from '../support/course-copy.ts'
import { runCli } from '../support/run-cli.ts'

// An author adds an exercise by adding its folder (docs/adding-an-exercise.md): here a 12th one, in a copy of
// the course, touching nothing else. The loader, `grade`, `grade --all`'s order and `list` find it by itself.
const course = copyCourse()
afterAll(() => course.remove())

const folder = path.join(course.root, 'exercises/ex12-fixture-greeting')
const files: Record<string, string> = {
  'exercise.ts': `import { defineExercise } from '../../grader/exercises/define-exercise.ts'
import type { IPublishPacket } from 'mqtt-packet'

export default defineExercise<{ CLIENT_ID: string; TOPIC: string }>({
  id: 'ex12',
  slug: 'fixture-greeting',
  title: 'A greeting, for the test of a new exercise',
  summary: 'Connect and publish one greeting on the topic you are given.',
  lesson: '01-mqtt-in-a-nutshell',
  run: { entry: 'main.ts', inputs: (random) => ({ CLIENT_ID: random.id('fixture'), TOPIC: \`fixture/\${random.hex(6)}\` }), deadlineMs: 30_000, clientIdInput: 'CLIENT_ID' },
  hints: ['Publish once you are connected: client.publish(process.env.TOPIC, "hello").'],
  checks: [
    {
      id: 'greets',
      title: 'Your program publishes "hello" on TOPIC',
      points: 1,
      covers: [1],
      hint: 'Call client.publish(process.env.TOPIC, "hello") in the connect handler.',
      run: async (h) => {
        await h.program()
        await h.expectPacket({
          from: 'program',
          description: \`a PUBLISH of "hello" to \${h.inputs.TOPIC}\`,
          match: (packet): packet is IPublishPacket => packet.cmd === 'publish' && packet.topic === h.inputs.TOPIC && String(packet.payload) === 'hello',
        })
      },
    },
  ],
})
`,
  'README.md':
    '# A greeting\n\n## Your task\n\n1. Publish "hello" on `TOPIC` (**greets**).\n\n## Inputs\n\n| variable | meaning |\n|---|---|\n| `MQTT_URL` | the broker |\n| `TOPIC` | where to greet |\n\n## Done when\n\n- **greets**: the grader sees the PUBLISH.\n\n## Run it\n\n`npm run grade -- ex12`\n',
  'starter/main.ts':
    "import mqtt from 'mqtt'\n\nconst client = mqtt.connect(process.env.MQTT_URL!, { clientId: process.env.CLIENT_ID })\n// TODO: publish \"hello\" on process.env.TOPIC once connected.\nclient.on('connect', () => {})\n",
  'solution/main.ts':
    "import mqtt from 'mqtt'\n\nconst client = mqtt.connect(process.env.MQTT_URL!, { clientId: process.env.CLIENT_ID })\nclient.on('connect', () => client.publish(process.env.TOPIC!, 'hello'))\n",
}
for (const [name, text] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(folder, name)), { recursive: true })
  writeFileSync(path.join(folder, name), text)
}

describe('a new exercise is its folder', () => {
  it("is graded by number: the solution passes, the starter fails with the check's sentence", async () => {
    const solution = await runCli(['grade', '12', '--solution', '--broker', 'embedded', '--json'], {
      root: course.root,
    })
    expect(solution.exitCode, solution.stderr).toBe(0)
    expect(gradeReportSchema.parse(JSON.parse(solution.stdout)).exercises[0]).toMatchObject({
      id: 'ex12',
      status: 'passed',
      points: 1,
    })
    const starter = await runCli(['grade', 'ex12', '--broker', 'embedded', '--json'], { root: course.root })
    expect(starter.exitCode, starter.stderr).toBe(1)
    const check = gradeReportSchema
      .parse(JSON.parse(starter.stdout))
      .exercises[0].checks.find((result) => result.id === 'greets')
    expect(check?.message).toMatch(/^Your program did not send a PUBLISH of "hello" to fixture\/[0-9a-f]{6} within /)
  })

  it('comes last in `list` and among the exercises an unknown name is told', async () => {
    const listed = await runCli(['list'], { root: course.root })
    expect(listed.exitCode, listed.stderr).toBe(0)
    const rows = listed.stdout.split('\n').filter((line) => /^\s+\S\s+ex\d+\s/.test(line))
    // Its points, or its best so far once the test above graded the starter (the student's own grade is recorded).
    expect(rows.at(-1)).toMatch(/\bex12\s+A greeting, for the test of a new exercise\s+(1 points|best 0\/1)$/)
    expect(listed.stdout).toContain('of 12 exercises passed')
    const unknown = await runCli(['grade', 'no-such-exercise'], { root: course.root })
    expect(unknown.exitCode).toBe(2)
    expect(unknown.stderr).toContain('ex11 (over-websockets), ex12 (fixture-greeting)')
  })
})
