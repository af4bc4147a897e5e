import { describeExit, type StudentProgram } from '../runner/student-program.ts'
import { formatPacket } from '../wiretap/format-packet.ts'
import type { PacketEvent, TraceEvent } from '../wiretap/wire-trace.ts'

// The program's side of a failure: what it sent, and how it ended (its output, which the report prints below).

/** "CONNECT, SUBSCRIBE "a/b" qos=1" — the packets the program sent, or why there are none. */
export function summarizeSent(events: readonly TraceEvent[]): string {
  const sent = events.filter(
    (e): e is PacketEvent => e.kind === 'packet' && e.direction === 'to-broker' && !e.isInjected,
  )
  if (sent.length === 0) {
    const connected = events.some((e) => e.kind === 'connection' && e.state === 'opened')
    // Connection 0: attempts the tap saw end before they became a connection (a refused TLS handshake, a
    // WebSocket handshake turned away); the trace says why.
    const triedOnly = events.some((e) => e.kind === 'connection' && e.connection === 0)
    return connected
      ? 'nothing: the connection was opened but no packet was sent'
      : triedOnly
        ? 'nothing: every attempt to connect ended before any MQTT (the trace says why)'
        : 'nothing: your program never connected to MQTT_URL'
  }
  const lines = sent.slice(-8).map((e) => formatPacket(e.packet))
  return (sent.length > 8 ? `(${sent.length - 8} earlier packets)\n` : '') + lines.join('\n')
}

/** An exit with an error code: an uncaught exception, say (not a signal the grader sent, not a clean exit). */
export function hasCrashed(program: StudentProgram): boolean {
  const exit = program.exitInfo
  return (
    exit !== undefined &&
    (exit.spawnError !== undefined ||
      (exit.exitCode !== undefined && exit.exitCode !== 0) ||
      exit.outOfMemoryLimitBytes !== undefined)
  )
}

/** One line about how the program ended, pointing at its full output (which the report prints below). */
export function describeOutput(program: StudentProgram): string | undefined {
  const exit = program.exitInfo ? describeExit(program.exitInfo) : 'ended'
  const lines = program.stderr
    .tail(40)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const error =
    lines.find((line) => /^(\w*Error|error)\b/i.test(line) || /Traceback|Exception/.test(line)) ?? lines.at(-1)
  if (error) return `it ${exit}; its stderr says: ${error} (its output is below)`
  return `it ${exit} without printing an error`
}
