import { randomUUID } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatDiagnostic, parseDiagnostics, typecheckProgram } from '../../grader/runner/typecheck.ts'

const deadline = () => AbortSignal.timeout(60_000)

describe('typecheckProgram', () => {
  it('reports file:line:column and the message, then answers from its cache for the same files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mqtt-course-tsc-test-'))
    // Results are cached by content, wherever the files are: a new comment makes this a program never seen before.
    const seen = `// ${randomUUID()}`
    writeFileSync(
      path.join(dir, 'main.ts'),
      `import mqtt from 'mqtt'\nconst client = mqtt.connect(process.env.MQTT_URL!)\nclient.publish(42, 'x')\n${seen}\n`,
    )
    const first = await typecheckProgram(dir, 'main.ts', deadline())
    expect(first.isOk).toBe(false)
    expect(first.isCached).toBe(false)
    expect(first.diagnostics.map(formatDiagnostic)).toEqual([
      "main.ts:3:16 - error TS2769: No overload matches this call.\n  The last overload gave the following error.\n    Argument of type 'number' is not assignable to parameter of type 'string'.",
    ])
    const second = await typecheckProgram(dir, 'main.ts', deadline())
    expect(second).toMatchObject({ isOk: false, isCached: true, diagnostics: first.diagnostics })
    // A change to any .ts file in the folder is a new program.
    writeFileSync(path.join(dir, 'main.ts'), `import mqtt from 'mqtt'\nmqtt.connect(process.env.MQTT_URL!)\n${seen}\n`)
    expect(await typecheckProgram(dir, 'main.ts', deadline())).toMatchObject({
      isOk: true,
      isCached: false,
      diagnostics: [],
    })
  })

  it("parses tsc's --pretty false output, continuation lines included", () => {
    const output =
      "main.ts(2,7): error TS2322: Type 'string' is not assignable to type 'number'.\nlib/x.ts(10,1): error TS2769: No overload matches this call.\n  Overload 1 of 2 gave the following error.\n"
    expect(parseDiagnostics(output, '/somewhere').map(formatDiagnostic)).toEqual([
      "main.ts:2:7 - error TS2322: Type 'string' is not assignable to type 'number'.",
      'lib/x.ts:10:1 - error TS2769: No overload matches this call.\n  Overload 1 of 2 gave the following error.',
    ])
  })
})
