import type { CheckInput } from '../exercises/define-exercise.ts'
import { describeExit } from '../runner/student-program.ts'
import { DeadlineExceeded, formatDuration } from '../time/deadline.ts'
import { formatPacket, formatTraceEvent } from '../wiretap/format-packet.ts'
import type { TraceEvent } from '../wiretap/wire-trace.ts'
import { fail } from './check-failure.ts'
import type { Harness, Inputs } from './harness.ts'

/**
 * How long the grader watches a program after its last check. A measurement window, like a keepalive's: what
 * is proven is that nothing happens in it, which no event can announce. MQTT.js retries a lost connection
 * after 1 s, so a takeover or reconnect loop shows up well inside it.
 */
export const settleWindowMs = 2000

/** What a program that keeps running may send while nobody asks it anything: keepalives and acknowledgements. */
const quietPackets = new Set(['pingreq', 'puback', 'pubrec', 'pubrel', 'pubcomp'])

/** The first thing in the student's trace that a program left alone does not do. */
function isUnasked(event: TraceEvent): boolean {
  if (event.kind === 'connection') return true
  if (event.kind !== 'packet' || event.isInjected || event.direction !== 'to-broker') return false
  return !quietPackets.has(event.packet.cmd)
}

/**
 * The settle check, for exercises whose program keeps running after the last check: for a while after it, the
 * grader asks nothing and watches the whole trace. The program must still be running, on the connection it had,
 * and send nothing but keepalives: no reconnection or second connection (a takeover storm starts this way), no
 * publish nobody asked for, no goodbye. A program may misbehave once the checks it fears are over; this is the
 * check that sees it. Takeovers anywhere in the run are reported by every check (ConnectionWatch).
 */
export function settleCheck<I extends Inputs>(options: { covers: number[]; points?: number; lessonSection?: string; windowMs?: number }): CheckInput<I> {
  const windowMs = options.windowMs ?? settleWindowMs
  return {
    id: 'settles',
    title: 'After the last check, your program keeps running on the connection it has, and sends nothing nobody asked for',
    points: options.points ?? 1,
    covers: options.covers,
    hint: 'Connect once and keep that client for the whole run: no timers that reconnect, publish or disconnect on their own, no second client with the same id. MQTT.js reconnects by itself when a connection is lost; the program ends only when it is stopped (SIGTERM).',
    ...(options.lessonSection ? { lessonSection: options.lessonSection } : {}),
    timeoutMs: windowMs + 5000,
    run: (h) => expectSettled(h, windowMs),
  }
}

async function expectSettled(h: Harness, windowMs: number): Promise<void> {
  const program = h.currentProgram
  if (!program) throw new Error('the settle check needs a program that was started by an earlier check')
  const window = `the ${formatDuration(windowMs)} the grader watched after the last check, asking nothing`
  if (program.exitInfo) {
    fail({
      message: `Your program ${describeExit(program.exitInfo)} once the last check was done: the task says it keeps running until it is stopped. A device or a service that ends on its own is one nobody can reach: keep the client open, and exit only on SIGTERM.`,
      expected: 'your program still running',
      received: describeExit(program.exitInfo),
    })
  }
  const after = h.cursor()
  const seen = await Promise.race([
    h.tap.trace.waitFor(isUnasked, h.within(windowMs), after),
    program.exited.then((exit) => ({ exit })),
  ]).catch((error: unknown) => {
    if (error instanceof DeadlineExceeded) return undefined
    throw error
  })
  if (!seen) return
  if ('exit' in seen) {
    fail({
      message: `Your program ${describeExit(seen.exit)} during ${window}: the task says it keeps running until it is stopped. A device or a service that ends on its own is one nobody can reach: keep the client open, and exit only on SIGTERM.`,
      expected: 'your program still running, quietly',
      received: describeExit(seen.exit),
      trace: h.studentTrace(after),
    })
  }
  fail({ ...describeUnasked(seen, window), received: formatTraceEvent(seen), trace: h.studentTrace(after) })
}

function describeUnasked(event: TraceEvent, window: string): { message: string; expected: string } {
  const expected = 'nothing but PINGREQ (keepalive) while nobody asks anything'
  if (event.kind === 'connection' && event.state === 'opened') {
    return {
      message: `Your program opened a new connection during ${window}, though the one it had was fine. A client that connects again without a reason loads the broker, and with the same client id takes its own session over. Connect once; MQTT.js reconnects by itself when a connection is really lost.`,
      expected,
    }
  }
  if (event.kind === 'connection') {
    const how = event.closedBy === 'client' ? 'Your program closed its connection' : event.closedBy === 'broker' ? 'The broker closed your program\'s connection (the trace shows what your program sent just before)' : 'A connection of your program ended'
    return {
      message: `${how} during ${window}. A device or a service stays connected until it is stopped: keep the client open, and end it only on SIGTERM.`,
      expected,
    }
  }
  const packet = event.kind === 'packet' ? event.packet : undefined
  if (packet?.cmd === 'publish') {
    return {
      message: `Your program published ${formatPacket(packet, event.kind === 'packet' ? event.protocolVersion : 4)} during ${window}. Publish only what the task asks for, when it asks: a timer that publishes again, or an answer sent twice, is noise every subscriber receives (and, retained, can overwrite the truth).`,
      expected,
    }
  }
  if (packet?.cmd === 'disconnect') {
    return {
      message: `Your program disconnected during ${window}: the task says it keeps running, connected, until it is stopped. Do not end the client on a timer or when messages stop coming; end it only on SIGTERM.`,
      expected,
    }
  }
  if (packet?.cmd === 'connect') {
    return {
      message: `Your program sent a new CONNECT during ${window}, though its connection was fine. Connect once; MQTT.js reconnects by itself when a connection is really lost.`,
      expected,
    }
  }
  return {
    message: `Your program sent ${packet ? packet.cmd.toUpperCase() : 'something'} during ${window}, when nothing had asked it to: once set up, a client only answers what arrives. Do each step of the task once, when it is due.`,
    expected,
  }
}
