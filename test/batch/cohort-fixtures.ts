import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { courseRoot } from '../support/run-cli.ts'

export const tempDir = (name: string) => mkdtempSync(path.join(os.tmpdir(), `mqtt-course-${name}-`))

export const exerciseDir = (folder: string) => path.join(courseRoot, 'exercises', folder)

/** Copies an exercise's solution/ or starter/ to `<dest>`. */
export function copyVariant(folder: string, variant: 'solution' | 'starter', dest: string): void {
  cpSync(path.join(exerciseDir(folder), variant), dest, { recursive: true })
}

/**
 * ex1's solution with one known mistake (it echoes only the first message): fails `echoes` alone, 3 of 5.
 * Made from the solution here so the fixture does not depend on how mutants are stored.
 */
export function writeEchoesOnlyFirst(dest: string): void {
  const solution = readFileSync(path.join(exerciseDir('ex1-hello-mqtt'), 'solution/main.ts'), 'utf8')
  const broken = solution.replace("client.on('message'", "client.once('message'")
  if (broken === solution) throw new Error("ex1's solution no longer has client.on('message': update this fixture")
  mkdirSync(dest, { recursive: true })
  writeFileSync(path.join(dest, 'main.ts'), broken)
}

/** An ex1 "program" that does the worst things a submission can do to a batch. */
export function writeHostileProgram(
  dest: string,
  behaviour: 'crash' | 'flood' | 'hang' | 'scribble',
  options: { announceToPort?: number; announceOnceConnected?: boolean } = {},
): void {
  // `announceToPort`: the program first opens a connection to that loopback port, so a test learns it runs (graded
  // with sandboxSharingLoopback: in bubblewrap a program has a network of its own). The grader starts a program
  // while the broker starts: `announceOnceConnected` announces only once the broker has answered its CONNECT.
  const knock = `net.connect(${options.announceToPort}, '127.0.0.1').on('error', () => {})`
  const announce = !options.announceToPort
    ? ''
    : options.announceOnceConnected
      ? `import net from 'node:net'\nimport mqtt from 'mqtt'\nmqtt.connect(process.env.MQTT_URL ?? '', { clientId: process.env.CLIENT_ID }).once('connect', () => ${knock})\n`
      : `import net from 'node:net'\n${knock}\n`
  const bodies = {
    crash: "throw new Error('boom')\n",
    // Output without end: the grade keeps a capped tail; the batch must not notice.
    flood:
      "const line = 'flood '.repeat(1000) + '\\n'\nsetInterval(() => { for (let i = 0; i < 50; i++) process.stdout.write(line) }, 1)\n",
    hang: 'setInterval(() => {}, 1000)\n',
    // Writes next to itself: only the temporary copy may change.
    scribble:
      "import { writeFileSync } from 'node:fs'\nwriteFileSync(new URL('./scribbled.txt', import.meta.url), 'was here')\nthrow new Error('done scribbling')\n",
  }
  mkdirSync(dest, { recursive: true })
  writeFileSync(path.join(dest, 'main.ts'), announce + bodies[behaviour])
}

/**
 * The sandbox for tests whose program announces itself to a port of the test's (announceToPort): one that shares
 * the test's loopback. As root, a uid of its own per grade (no network namespace); as a plain user, none.
 */
export const sandboxSharingLoopback = process.getuid?.() === 0 ? 'uid' : 'none'

/** A temporary folder every uid may enter: under --sandbox uid the grader puts workspaces there only then. */
export function enterableTempDir(name: string): string {
  const dir = tempDir(name)
  chmodSync(dir, 0o755)
  return dir
}
