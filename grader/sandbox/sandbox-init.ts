/**
 * The first thing that runs inside bubblewrap, before any of the student's code (`node --import` for a Node
 * program, or run on its own before a `--cmd` program starts):
 *
 * 1. The workspace is a size-limited tmpfs of the sandbox's own (the disk cap): the submission's copy, bound
 *    read-only at `copyFrom`, is copied into it, so the program finds its files where they always are and may
 *    change them, within the cap.
 * 2. The program has a network namespace of its own, with nothing in it but loopback. For each port the grader
 *    names (its wire tap's, from MQTT_URL), a listener is bound here, on 127.0.0.1, and handed to the grader
 *    over the IPC channel the grader opened (Node sends the socket itself, SCM_RIGHTS): the grader accepts
 *    its connections directly (guarded-listener.ts adopt()). So the program connects to the URL it was given,
 *    and can reach nothing else: no other grade's tap or broker, nothing of the machine's.
 *
 * Then the channel is closed: the student's code never gets it. The settings come in MQTT_COURSE_SANDBOX
 * (removed at once), or, for a program on standby, with its run (standby-bootstrap.ts).
 */
import { cpSync } from 'node:fs'
import net from 'node:net'
import { sandboxInitVariable } from './sandbox-constants.ts'

export interface SandboxInit {
  /** Where the submission's copy is bound read-only, to be copied into the working folder. */
  copyFrom?: string
  /** Ports to bind on 127.0.0.1 and hand to the grader. */
  ports?: number[]
}

export async function initialiseSandbox(init: SandboxInit): Promise<void> {
  if (init.copyFrom)
    cpSync(init.copyFrom, process.cwd(), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true })
  for (const port of init.ports ?? []) await handOver(port)
  if (process.connected) process.disconnect()
}

async function handOver(port: number): Promise<void> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port, host: '127.0.0.1', backlog: 511 }, () => resolve())
  })
  await new Promise<void>((resolve, reject) =>
    process.send!({ kind: 'listening', port }, server, (error: Error | null) => (error ? reject(error) : resolve())),
  )
  // The grader holds the socket now; this process's copy must not accept the program's own connections.
  server.close()
}

const init = takeInit()
if (init) {
  try {
    await initialiseSandbox(init)
  } catch (error) {
    process.stderr.write(`the grader's sandbox could not be set up: ${(error as Error).message}\n`)
    process.exit(125)
  }
}

function takeInit(): SandboxInit | undefined {
  const text = process.env[sandboxInitVariable]
  delete process.env[sandboxInitVariable]
  return text ? (JSON.parse(text) as SandboxInit) : undefined
}
