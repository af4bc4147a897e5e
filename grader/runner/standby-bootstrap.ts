/**
 * Preloaded (`node --import`, after course-resolve-hook.ts) into a program `watch` starts ahead of the next
 * save: Node starts and MQTT.js loads while the student is still typing, and the program then waits, blocked
 * on a read of file descriptor 4, before it has run a line of the student's code. When the grade begins the
 * grader writes the run's environment there (MQTT_URL, the inputs) as one line of JSON; it is set in
 * process.env, and Node goes on to load the entry named on the command line, as in any other run: argv,
 * import.meta.main and the working folder are the same.
 *
 * Only with MQTT_COURSE_STANDBY=4 in its environment (removed at once) does it read descriptor 4: without it
 * (the grader warming the compile cache) it only loads MQTT.js, and leaves Node's own descriptors alone.
 */
import { closeSync, readSync } from 'node:fs'
import { type SandboxInit, initialiseSandbox } from '../sandbox/sandbox-init.ts'
import { useStrippedManifest } from './course-resolve-hook.ts'

const goDescriptor = process.env.MQTT_COURSE_STANDBY === '4' ? 4 : undefined
delete process.env.MQTT_COURSE_STANDBY

try {
  // What the student's `import mqtt from 'mqtt'` resolves to (the hook's fallback is the course's own
  // node_modules, where this file finds it too): the same module, loaded once, now.
  await import('mqtt')
} catch {
  // A course without MQTT.js: the program loads what it needs itself.
}

const go = goDescriptor === undefined ? undefined : readGo(goDescriptor)
if (go) {
  // Inside bubblewrap: the submission copied into the workspace, this run's listeners handed to the grader.
  if (go.sandbox) {
    try {
      await initialiseSandbox(go.sandbox)
    } catch (error) {
      process.stderr.write(`the grader's sandbox could not be set up: ${(error as Error).message}\n`)
      process.exit(125)
    }
  }
  Object.assign(process.env, go.env)
  if (go.strippedManifest) useStrippedManifest(go.strippedManifest)
}

interface Go {
  env: Record<string, string>
  strippedManifest?: string
  sandbox?: SandboxInit
}

function readGo(goDescriptor: number): Go | undefined {
  const chunks: Buffer[] = []
  const buffer = Buffer.alloc(64 * 1024)
  try {
    while (true) {
      const count = readSync(goDescriptor, buffer)
      if (count === 0) break
      chunks.push(Buffer.from(buffer.subarray(0, count)))
      if (buffer[count - 1] === 0x0a) break
    }
  } catch {
    process.exit(0) // the pipe failed: this standby is no use, and the grader starts the run afresh
  } finally {
    try {
      closeSync(goDescriptor)
    } catch {
      // Not open.
    }
  }
  if (chunks.length === 0) process.exit(0) // the grader closed the pipe without a run: nothing to do
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Go
}
