import { readFile } from 'node:fs/promises'
import path from 'node:path'

/** Where Node refuses a file, and what to write instead. */
export interface UnrunnableCode {
  file: string
  line: number
  message: string
  instead: string | undefined
}

/**
 * What TypeScript syntax Node's type stripping refuses, and the erasable way to write it: the sentence a student
 * needs, since Node's own message only names the feature.
 */
const insteadOf: Array<[RegExp, string]> = [
  [
    /\benum\b/i,
    'Instead of an enum, use a union of strings (type Led = "on" | "off") or a const object (const Led = { on: "on", off: "off" } as const).',
  ],
  [
    /parameter propert/i,
    'Instead of constructor(private client: MqttClient), declare the field (client: MqttClient) and assign it in the constructor (this.client = client).',
  ],
  [/namespace|module declaration/i, 'Instead of a namespace, use the file itself as the module: export what you need.'],
  [/decorator/i, 'Decorators need a compiler: call the function yourself instead.'],
]

/**
 * The first of `files` (relative to `dir`) that Node cannot run, judged by Node's own type stripper: a syntax
 * error, or TypeScript syntax that stripping refuses (enums, parameter properties, namespaces). Undefined when
 * Node can run them all, type errors or not. Only asked when the compiler found errors, so the stripper (a wasm
 * module, ~100 ms) never loads for code that is fine.
 */
export async function findUnrunnableCode(dir: string, files: readonly string[]): Promise<UnrunnableCode | undefined> {
  const { stripTypeScriptTypes } = await import('node:module')
  for (const file of files.filter((name) => /\.(m|c)?ts$/.test(name))) {
    const source = await readFile(path.join(dir, file), 'utf8').catch(() => undefined)
    if (source === undefined) continue
    const emitWarning = process.emitWarning
    try {
      // The stripper announces itself as experimental on first use: not the student's concern.
      process.emitWarning = () => {}
      stripTypeScriptTypes(source)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const line = Number(/^[^\n]*:(\d+)\n/.exec((error as Error).stack ?? '')?.[1] ?? 0)
      return { file, line, message, instead: insteadOf.find(([pattern]) => pattern.test(message))?.[1] }
    } finally {
      process.emitWarning = emitWarning
    }
  }
  return undefined
}
